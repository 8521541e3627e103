"""One way to run many (scenario, seed) runs: serially, in a local process pool, or on a
Dask cluster. Results are identical whichever executor ran them, because a run is a pure
function of (scenario, seed).

Tasks are sent as plain scenario mappings (JSON-able dicts), so workers rebuild and
re-validate the scenario themselves; results come back as `RunResult` without the model.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

from simulation.runner import RunResult, run
from simulation.scenario import Scenario, build


@dataclass(frozen=True)
class Task:
    """One run to do: a scenario (as a validated mapping) and a seed, with a caller tag."""

    scenario: dict
    seed: int
    tag: object = None

    @classmethod
    def of(cls, scenario: Scenario, seed: int, tag: object = None) -> Task:
        return cls(scenario.model_dump(mode="json"), int(seed), tag)

    @property
    def key(self) -> str:
        return f"{build(self.scenario).content_hash()}-{self.seed}"


def execute(task: Task) -> tuple[Task, RunResult]:
    """Run one task (in whatever process this is)."""
    return task, run(build(task.scenario, "task scenario"), task.seed)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_tasks(tasks: Iterable[Task], executor: str = "process", workers: int | None = None,
              on_result: Callable[[Task, RunResult], None] | None = None
              ) -> Iterator[tuple[Task, RunResult]]:
    """Yield (task, result) as runs finish.

    executor: "serial", "process" (a local pool; forkserver context, so it is safe next to
    progress-bar threads), or a Dask scheduler address such as "tcp://127.0.0.1:8786".
    """
    tasks = list(tasks)
    if executor == "serial" or (executor == "process" and (workers == 1 or len(tasks) <= 1)):
        for task in tasks:
            out = execute(task)
            if on_result:
                on_result(*out)
            yield out
        return
    if executor == "process":
        ctx = mp.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers or default_workers(),
                                 mp_context=ctx) as pool:
            pending = {pool.submit(execute, t) for t in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    out = fut.result()
                    if on_result:
                        on_result(*out)
                    yield out
        return
    if executor.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        from distributed import Client, as_completed

        with Client(executor) as client:
            futures = client.map(execute, tasks, pure=False)
            for fut in as_completed(futures):
                out = fut.result()
                if on_result:
                    on_result(*out)
                yield out
        return
    raise ValueError(f"unknown executor {executor!r}: expected 'serial', 'process' or a Dask "
                     "scheduler address like tcp://127.0.0.1:8786")
