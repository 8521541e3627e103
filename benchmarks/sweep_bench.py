"""Sweep throughput: runs per second serially versus the local process pool, and the per-run
overhead of a Dask cluster over the process pool.

    .venv/bin/python benchmarks/sweep_bench.py [--target 1.0] [--runs 8] [--tiny 60]

1. Sizes the demo scenario (144 months) so that one run takes about `--target` seconds.
2. Runs `--runs` distinct seeds serially, then in a process pool with all cores (pool
   start-up included, as a user would see it): runs/s and the speed-up.
3. Starts a Dask scheduler and one single-threaded worker per core as separate processes on
   127.0.0.1, warms it up, and runs the same runs on it, and `--tiny` very short runs on
   both the pool and Dask: the difference in wall time per run is Dask's overhead.

Prints figures only; it asserts nothing (timings depend on the machine and its load, which
is printed too). Besides wall-clock rates it prints, per executor, the worker time spent
outside the model per run (wall x workers - time inside `run`, divided by runs): on a busy
machine wall-clock rates mostly measure the competition (Linux autogroup scheduling gives
each session, not each process, a fair share, so separately started Dask workers get more CPU
than a pool that shares the caller's session), while this overhead stays meaningful.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulation.runs.executors import Task, default_workers, run_tasks
from simulation.runs.runner import run
from simulation.scenario import load_scenario


def busy_cores(seconds: float = 1.0) -> float:
    """Cores kept busy by other processes over a short window (Linux /proc/stat), NaN
    elsewhere; the load average lags by minutes, so it cannot tell."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        t0, i0 = sample()
        time.sleep(seconds)
        t1, i1 = sample()
    except OSError:
        return float("nan")
    return (os.cpu_count() or 1) * (1 - (i1 - i0) / max(1, t1 - t0))


def timed_run(households: int) -> float:
    s = load_scenario("demo", {"households": households})
    t = time.perf_counter()
    run(s, 1)
    return time.perf_counter() - t


def size_for(target: float) -> int:
    """Households for a run of about `target` seconds (time is ~linear in households)."""
    timed_run(500)  # warm-up (imports, caches)
    small, large = 1000, 8000
    t_small = min(timed_run(small) for _ in range(2))
    t_large = min(timed_run(large) for _ in range(2))
    per = (t_large - t_small) / (large - small)
    return max(200, int(round(small + (target - t_small) / per)))


#: Seconds spent inside `run` (as the runs report it) during the last `throughput` call.
IN_RUNS = [0.0]


def throughput(tasks: list[Task], executor: str, workers: int | None = None) -> float:
    """Wall-clock seconds for all tasks (results consumed as they arrive)."""
    t = time.perf_counter()
    n, inside = 0, 0.0
    for _, result in run_tasks(tasks, executor, workers):
        n += 1
        inside += float(result.meta["run_seconds"])
    assert n == len(tasks)
    IN_RUNS[0] = inside
    return time.perf_counter() - t


def overhead(wall: float, slots: int, n: int) -> str:
    """Worker time not spent inside runs, per run: robust to a busy machine, since both
    terms are wall time measured the same way on the same workers."""
    per = (wall * slots - IN_RUNS[0]) / n
    return f"{1000 * per:.0f} ms per run outside the model ({IN_RUNS[0] / (wall * slots):.0%} " \
           "of worker time in runs)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """Scheduler + one single-threaded worker per core, each its own process."""

    def __init__(self, workers: int):
        self.dir = tempfile.TemporaryDirectory(prefix="povsim-bench-")
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        dask = str(Path(sys.executable).with_name("dask"))
        common = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      start_new_session=True, cwd=self.dir.name)
        self.procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                        str(port), "--no-dashboard"], **common)]
        for i in range(workers):
            self.procs.append(subprocess.Popen(
                [dask, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                 "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}"], **common))
        from distributed import Client
        with Client(self.address, timeout=60) as c:
            c.wait_for_workers(workers, timeout=90)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.dir.cleanup()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", type=float, default=1.0, help="seconds per run (about)")
    ap.add_argument("--runs", type=int, default=8, help="runs per executor")
    ap.add_argument("--tiny", type=int, default=60, help="tiny runs for the Dask overhead")
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    workers = args.workers or default_workers()
    start_busy = busy_cores()
    print(f"cores usable: {default_workers()}, workers: {workers}, cores busy with other "
          f"work at start: {start_busy:.2f}")

    households = size_for(args.target)
    base = load_scenario("demo", {"households": households})
    one = min(timed_run(households) for _ in range(2))
    print(f"scenario: demo, 144 months, {households:,} households: {one:.2f} s per run")
    tasks = [Task.of(base, seed) for seed in range(1, args.runs + 1)]

    t_serial = throughput(tasks, "serial")
    # First pool in a process also starts the forkserver, which imports the model once
    # (a one-off per sweep); later pools fork from it.
    t_cold = throughput(tasks, "process", workers)
    t_pool = throughput(tasks, "process", workers)
    pool_overhead = overhead(t_pool, workers, args.runs)
    r_serial, r_pool, r_cold = (args.runs / t for t in (t_serial, t_pool, t_cold))
    print(f"serial:       {args.runs} runs in {t_serial:6.2f} s = {r_serial:.3f} runs/s")
    print(f"process pool: {args.runs} runs in {t_pool:6.2f} s = {r_pool:.3f} runs/s "
          f"(speed-up {r_pool / r_serial:.2f}x on {workers} workers, pool start-up included)")
    print(f"  pool: {pool_overhead}")
    print(f"  first pool of the process (+ forkserver start and model import): "
          f"{t_cold:6.2f} s = {r_cold:.3f} runs/s (speed-up {r_cold / r_serial:.2f}x)")

    if not args.no_dask:
        tiny = load_scenario("demo", {"households": 100, "months": 12})
        tiny_tasks = [Task.of(tiny, seed) for seed in range(1, args.tiny + 1)]
        cluster = LocalCluster(workers)
        try:
            throughput(tiny_tasks[:workers * 2], cluster.address)  # warm up imports
            t_dask = throughput(tasks, cluster.address)
            dask_overhead = overhead(t_dask, workers, args.runs)
            t_pool_tiny = throughput(tiny_tasks, "process", workers)
            pool_tiny = overhead(t_pool_tiny, workers, args.tiny)
            t_dask_tiny = throughput(tiny_tasks, cluster.address)
            dask_tiny = overhead(t_dask_tiny, workers, args.tiny)
        finally:
            cluster.close()
        print(f"dask cluster: {args.runs} runs in {t_dask:6.2f} s = {args.runs / t_dask:.3f} "
              f"runs/s ({workers} single-threaded worker processes, warmed up)")
        print(f"  dask: {dask_overhead}")
        print(f"dask overhead on ~{one:.1f} s runs: "
              f"{1000 * (t_dask - t_pool) / args.runs:+.0f} ms per run over the process pool")
        print(f"tiny runs ({args.tiny} x {t_pool_tiny / args.tiny * workers * 1000:.0f} ms): "
              f"pool {t_pool_tiny:.2f} s, dask {t_dask_tiny:.2f} s -> Dask overhead "
              f"{1000 * (t_dask_tiny - t_pool_tiny) / args.tiny:+.1f} ms per run (wall clock)")
        print(f"  tiny runs, pool: {pool_tiny}")
        print(f"  tiny runs, dask: {dask_tiny}")
    end_busy = busy_cores()
    print(f"cores busy with other work at end: {end_busy:.2f}")
    if max(start_busy, end_busy) > 0.3:
        print(f"warning: other processes were using {max(start_busy, end_busy):.1f} of "
              f"{os.cpu_count()} cores: figures understate the pool on an idle machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
