"""Sweeps on a real Dask cluster: a scheduler and worker processes started here on
127.0.0.1 (separate OS processes, as on a real cluster) give the same numbers as the serial
executor, and losing a worker mid-sweep loses and repeats no run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.sweeps import store
from simulation.sweeps.spec import make_plan, parse_spec, run_sweep

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.xdist_group("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and named workers as subprocesses; stopped by `close`."""

    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.tmp = tmp
        self.workers: dict[str, subprocess.Popen] = {}
        self.scheduler = self._spawn("scheduler", [str(BIN / "dask"), "scheduler", "--host",
                                                   "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard"])

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=self.tmp)

    def add_worker(self, name: str) -> None:
        self.workers[name] = self._spawn(name, [
            str(BIN / "dask"), "worker", self.address, "--name", name, "--nworkers", "1",
            "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
            "--local-directory", str(self.tmp / name)])

    def wait_for(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=90)

    def kill(self, name: str) -> None:
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait(timeout=30)

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers.values(), self.scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def log(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted(self.tmp.glob("*.log")))


@pytest.fixture
def cluster(tmp_path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        c.add_worker("w1")
        c.add_worker("w2")
        c.wait_for(2)
        yield c
    finally:
        c.close()


ARGS = ["--scenario", "demo", "--households", "400", "--set", "months=24",
        "--vary", "instruments.microcredit.budget=0:5e8", "--vary", "behaviour.trust=0.5:3",
        "--design", "sobol", "--samples", "4", "--replicates", "2", "--name", "dask",
        "--quiet"]


def test_dask_cluster_gives_the_serial_numbers(cluster, tmp_path):
    serial_db, dask_db = tmp_path / "serial.duckdb", tmp_path / "dask.duckdb"
    assert main(["sweep", "run", *ARGS, "--executor", "serial", "--db", str(serial_db)]) == 0
    assert main(["sweep", "run", *ARGS, "--scheduler", cluster.address,
                 "--db", str(dask_db)]) == 0, cluster.log()
    a, b = store.load_runs(serial_db, "dask"), store.load_runs(dask_db, "dask")
    assert len(a) == 32 and a["run_key"].is_unique
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a["participation_microcredit_mean"].nunique() > 4  # not a vacuous comparison
    query = "SELECT * EXCLUDE (model_version) FROM monthly ORDER BY run_key, month"
    with store.connect(serial_db) as ca, store.connect(dask_db) as cb:
        pd.testing.assert_frame_equal(ca.execute(query).df(), cb.execute(query).df(),
                                      check_exact=True)
    # Both workers took part.
    from distributed import Client
    with Client(cluster.address) as client:
        counts = client.run(lambda dask_worker: len(dask_worker.data) + sum(
            1 for _ in dask_worker.state.log), nanny=False)
    assert len(counts) == 2 and all(v > 0 for v in counts.values()), counts


def test_losing_a_worker_mid_sweep_loses_and_repeats_nothing(cluster, tmp_path):
    cluster.add_worker("w3")
    cluster.wait_for(3)
    spec = parse_spec({"name": "lost", "scenario": "demo", "households": 1500,
                       "set": {"months": 36}, "design": "lhs", "samples": 24,
                       "vary": {"instruments.microcredit.budget": "0:5e8"}})
    plan = make_plan(spec)
    killed: list[float] = []

    def on_stored(status, key: str) -> None:
        if status.ran == 4 and not killed:
            cluster.kill("w1")
            killed.append(time.monotonic())

    with store.Store(tmp_path / "r.duckdb", tmp_path / "pq") as st:
        status = run_sweep(plan, st, cluster.address, on_stored=on_stored)
    assert killed, "the worker was never killed"
    assert status.ran == 24 and status.complete
    for path in (tmp_path / "r.duckdb", tmp_path / "pq"):
        with store.connect(path) as con:
            n, d = con.execute("SELECT count(*), count(DISTINCT run_key) FROM runs").fetchone()
            assert n == d == 24
            assert con.execute("SELECT count(*) FROM monthly").fetchone()[0] == 24 * 36


def test_compare_on_dask_equals_serial(cluster):
    """The comparison's per-household runs go through the same executors."""
    from simulation.comparison.compare import compare
    from simulation.scenario import load_scenario

    base = load_scenario("demo", {"months": 24, "households": 300})
    more = load_scenario("demo", {"months": 24, "households": 300,
                                  "instruments.microcredit.budget": 3e8})
    serial = compare(base, [more], replicates=2, executor="serial")
    dask = compare(base, [more], replicates=2, executor=cluster.address)
    for name in ("headline", "deciles"):
        pd.testing.assert_frame_equal(serial[name], dask[name],
                                      check_exact=True)
