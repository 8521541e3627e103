"""An interrupted sweep resumes without losing or repeating a run: the sweep process (with
its process-pool workers) is interrupted with Ctrl-C, then killed outright (SIGKILL), and
each time the same command finishes the rest; at the end every run is stored exactly once,
in DuckDB and in Parquet, with the numbers a clean run gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulation.runs.executors import Task, execute
from simulation.scenario import build
from simulation.sweeps import store

POVSIM = str(Path(sys.executable).with_name("povsim"))
N_RUNS = 30


def _command(tmp_path: Path) -> list[str]:
    # Runs long enough (~0.3 s each) that the sweep is still going when the signal is sent.
    return [POVSIM, "sweep", "run", "--scenario", "demo", "--households", "10000",
            "--set", "months=72", "--vary", "instruments.microcredit.budget=0:5e8",
            "--samples", "10", "--replicates", "3", "--design", "lhs", "--name", "resume",
            "--executor", "process", "--workers", "2", "--db", str(tmp_path / "r.duckdb"),
            "--parquet", str(tmp_path / "pq")]


def _interrupt_after(cmd: list[str], cwd: Path, stored: int, sig: int) -> tuple[int, str]:
    """Start the sweep, wait until `stored` runs are reported stored, send `sig` to its
    process group (the sweep and its pool workers), return (exit code, output)."""
    # Ctrl-C must reach the sweep as it does from a terminal, even when the tests themselves
    # run in the background of a non-interactive shell (which starts them ignoring SIGINT).
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(f"stored {stored}/"):
                os.killpg(proc.pid, sig)
                break
            assert time.monotonic() < deadline, "".join(lines)
        rest, _ = proc.communicate(timeout=60)
        lines.append(rest)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, "".join(lines)


def _already(output: str) -> int:
    for line in output.splitlines():
        if "distinct runs already stored" in line:
            return int(line.split()[0])
    raise AssertionError(f"no resume line in:\n{output}")


@pytest.mark.xdist_group("dask")  # a process pool on both cores
def test_sweep_survives_ctrl_c_and_sigkill_and_resumes_exactly_once(tmp_path):
    cmd = _command(tmp_path)
    code, out = _interrupt_after(cmd, tmp_path, 6, signal.SIGINT)
    assert code == 130 and "interrupted" in out, out
    stored_after_int = sum(line.startswith("stored ") for line in out.splitlines())

    code, out = _interrupt_after(cmd, tmp_path, 16, signal.SIGKILL)
    assert code == -signal.SIGKILL, out
    # Every run reported stored before Ctrl-C survived it.
    assert _already(out) >= stored_after_int >= 6

    done = subprocess.run(cmd + ["--quiet"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    already = _already(done.stdout)
    assert 16 <= already < N_RUNS  # the killed run's stored runs were kept, not redone
    assert f"done: {N_RUNS - already} run(s)" in done.stdout

    for path in (tmp_path / "r.duckdb", tmp_path / "pq"):
        with store.connect(path) as con:
            n, distinct = con.execute("SELECT count(*), count(DISTINCT run_key) FROM runs"
                                      ).fetchone()
            assert n == distinct == N_RUNS, path
            per_run = con.execute("SELECT run_key, count(*) AS n FROM monthly GROUP BY 1"
                                  ).df()
            assert len(per_run) == N_RUNS and (per_run["n"] == 72).all(), path
            outs = con.execute("SELECT run_key, count(*) AS n, count(DISTINCT outcome) AS d "
                               "FROM outcomes GROUP BY 1").df()
            assert len(outs) == N_RUNS and (outs["n"] == outs["d"]).all(), path
            missing = con.execute("SELECT count(*) FROM sweep_runs sr WHERE sr.run_key NOT IN"
                                  " (SELECT run_key FROM runs)").fetchone()[0]
            assert missing == 0, path

    # The stored numbers are those of a clean run (spot-check two runs, one from each
    # interrupted session and one from the last).
    runs = store.load_runs(tmp_path / "r.duckdb", "resume")
    with store.connect(tmp_path / "r.duckdb") as con:
        for key in (runs["run_key"].iloc[0], runs["run_key"].iloc[-1]):
            yaml_text, seed = con.execute(
                "SELECT s.scenario_yaml, r.seed FROM runs r JOIN scenarios s USING "
                "(scenario_hash) WHERE r.run_key = ?", [key]).fetchone()
            import yaml
            _, fresh = execute(Task(yaml.safe_load(yaml_text), int(seed)))
            assert fresh.meta["run_key"] == key
            got = con.execute("SELECT * FROM monthly WHERE run_key = ? ORDER BY month",
                              [key]).df()
            pd.testing.assert_frame_equal(got[fresh.monthly.columns], fresh.monthly,
                                          check_dtype=False, check_exact=True)
            assert build(yaml.safe_load(yaml_text)).content_hash() == key.split("-")[0]


@pytest.mark.xdist_group("dask")
def test_a_killed_pool_worker_stops_the_sweep_cleanly_and_resume_completes(tmp_path):
    import psutil

    cmd = _command(tmp_path)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    victim = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("stored 4/"):
                # Pool workers are children of the forkserver, a child of the sweep.
                workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
                           if c.ppid() != proc.pid]
                assert workers, "no pool worker found"
                victim = workers[0].pid
                os.kill(victim, signal.SIGKILL)
                break
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert victim is not None
    assert proc.returncode == 1 and "a worker process died" in out, out

    done = subprocess.run(cmd + ["--quiet"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 4 <= _already(done.stdout) < N_RUNS
    for path in (tmp_path / "r.duckdb", tmp_path / "pq"):
        with store.connect(path) as con:
            n, distinct = con.execute("SELECT count(*), count(DISTINCT run_key) FROM runs"
                                      ).fetchone()
            assert n == distinct == N_RUNS, path
            assert con.execute("SELECT count(*) FROM monthly").fetchone()[0] == N_RUNS * 72
