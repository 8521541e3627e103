"""One way to run many (scenario, seed) runs: serially, in a local process pool, or on a
Dask cluster. Results are identical whichever executor ran them, because a run is a pure
function of (scenario, seed).

Tasks are sent as plain scenario mappings (JSON-able dicts), so workers rebuild and
re-validate the scenario themselves; results come back as `RunResult` without the model.

Stable API (used by sweeps, comparison and calibration): `Task`, `Task.of`, `Task.key`,
`execute`, `default_workers`, `run_tasks`. New arguments are only ever added as optional
keywords.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from simulation.lifeline import worker_init
from simulation.runs.runner import RunResult, run, run_key
from simulation.scenario import Scenario, build

#: Address prefixes that mean "a Dask scheduler".
DASK_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


@dataclass(frozen=True)
class Task:
    """One run to do: a scenario (as a validated mapping) and a seed, with a caller tag.

    The tag is returned untouched with the result (sweeps use it for the design point).
    """

    scenario: dict
    seed: int
    tag: object = None

    @classmethod
    def of(cls, scenario: Scenario, seed: int, tag: object = None) -> Task:
        return cls(scenario.model_dump(mode="json"), int(seed), tag)

    @property
    def key(self) -> str:
        """`{scenario hash}-{seed}-{code fingerprint}`, as `RunResult.meta["run_key"]`."""
        return run_key(build(self.scenario).content_hash(), self.seed)


_MALLOC_TUNED = False


def _undo_malloc_trim() -> None:
    """Give numpy its usual allocator behaviour back in Dask worker processes.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536. Setting it also freezes
    glibc's mmap threshold at 128 KiB, so every array temporary above that (a column of a
    few tens of thousands of households) is mmapped and page-faulted afresh: runs took 1.7x
    as long as in a pool worker (measured with the benchmark). Large static thresholds, set
    once per process, restore the speed; results are unaffected (allocation only).
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD (its 64-bit maximum)
        libc.mallopt(-1, 64 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: nothing to undo


def execute(task: Task) -> tuple[Task, RunResult]:
    """Run one task (in whatever process this is)."""
    _undo_malloc_trim()
    return task, run(build(task.scenario, "task scenario"), task.seed)


def default_workers() -> int:
    """All cores this process may use (respects CPU affinity, e.g. under taskset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def is_dask_address(executor: str) -> bool:
    return executor.startswith(DASK_SCHEMES)


def describe(executor: str, workers: int | None = None) -> str:
    """A short human description of an executor choice, for logs and progress bars."""
    if executor == "process":
        return f"process pool ({workers or default_workers()} workers)"
    if is_dask_address(executor):
        return f"Dask cluster at {executor}"
    return executor


def run_tasks(tasks: Iterable[Task], executor: str = "process", workers: int | None = None,
              on_result: Callable[[Task, RunResult], None] | None = None, *,
              max_in_flight: int | None = None, retries: int = 0,
              fn: Callable[[Task], tuple[Task, Any]] | None = None
              ) -> Iterator[tuple[Task, RunResult]]:
    """Yield (task, result) as runs finish (in completion order, not submission order).

    executor: "serial", "process" (a local pool; forkserver context, so it is safe next to
    progress-bar threads), or a Dask scheduler address such as "tcp://127.0.0.1:8786".
    workers: pool size for "process" (default: all cores); ignored otherwise.
    max_in_flight: at most this many runs submitted but not yet yielded (default 2 per
    worker for the pool, 4 per worker thread on Dask). Bounding it keeps memory flat and
    makes Ctrl-C prompt: closing the generator (or an exception in the consumer) cancels
    everything not yet started instead of running it to the end.
    retries: Dask only; how often a run that raised is retried (a run is deterministic, so
    only for transient errors). Runs on a worker that dies are rescheduled by Dask itself
    (up to its `distributed.scheduler.allowed-failures`), with no retry needed.
    fn: what to run for each task instead of `execute` (a picklable top-level function
    returning (task, anything)), e.g. to bring back per-household arrays.
    """
    tasks = list(tasks)
    fn = fn or execute
    if executor == "serial" or (executor == "process" and (workers == 1 or len(tasks) <= 1)):
        for task in tasks:
            out = fn(task)
            if on_result:
                on_result(*out)
            yield out
        return
    if executor == "process":
        yield from _run_pool(tasks, workers or default_workers(), on_result, max_in_flight, fn)
        return
    if is_dask_address(executor):
        yield from _run_dask(tasks, executor, on_result, max_in_flight, retries, fn)
        return
    raise ValueError(f"unknown executor {executor!r}: expected 'serial', 'process' or a Dask "
                     "scheduler address like tcp://127.0.0.1:8786")


def _run_pool(tasks: list[Task], workers: int,
              on_result: Callable[[Task, RunResult], None] | None,
              max_in_flight: int | None, fn: Callable = execute
              ) -> Iterator[tuple[Task, RunResult]]:
    ctx = mp.get_context("forkserver")
    # Workers import the model once in the fork server rather than once per process.
    ctx.set_forkserver_preload(["simulation.runs.runner", "simulation.runs.executors"])
    limit = max(workers, max_in_flight or 2 * workers)
    # Workers exit when the sweep dies, even by SIGKILL (see simulation.lifeline).
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                               initializer=worker_init, initargs=(os.getpid(),))
    todo = iter(tasks)
    pending: set[Future] = set()
    clean = False
    try:
        for task in todo:
            pending.add(pool.submit(fn, task))
            if len(pending) >= limit:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                out = fut.result()
                for task in todo:  # refill one slot per finished run
                    pending.add(pool.submit(fn, task))
                    break
                if on_result:
                    on_result(*out)
                yield out
        clean = True
    finally:
        # On error, Ctrl-C or an abandoned generator: drop queued runs, don't wait for them.
        pool.shutdown(wait=clean, cancel_futures=not clean)


def _run_dask(tasks: list[Task], address: str,
              on_result: Callable[[Task, RunResult], None] | None,
              max_in_flight: int | None, retries: int, fn: Callable = execute
              ) -> Iterator[tuple[Task, RunResult]]:
    import uuid

    from distributed import Client, as_completed

    with Client(address, set_as_default=False) as client:
        threads = sum(client.nthreads().values()) or 1
        limit = max(1, max_in_flight or 4 * threads)
        todo = iter(enumerate(tasks))
        batch = uuid.uuid4().hex[:12]  # keys unique to this call: other clients may share

        def submit(i: int, task: Task):
            # Unique key per submission: identical tasks are still each returned once.
            return client.submit(fn, task, key=f"povsim-{batch}-{i}", pure=False,
                                 retries=retries)

        first = [submit(i, t) for i, t in _take(todo, limit)]
        futures = as_completed(first, loop=client.loop)
        try:
            for fut in futures:
                out = fut.result()
                fut.release()
                for i, task in _take(todo, 1):
                    futures.add(submit(i, task))
                if on_result:
                    on_result(*out)
                yield out
        finally:
            futures.clear()


def _take(it: Iterator, n: int) -> list:
    out = []
    for item in it:
        out.append(item)
        if len(out) >= n:
            break
    return out
