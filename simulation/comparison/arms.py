"""The arms of a comparison (baseline and countermeasures, from files or bundled names)
and their runs, which keep compact per-household arrays for the distributional tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import run
from simulation.scenario import (
    Scenario,
    ScenarioError,
    build,
    deep_merge,
    finish,
    load_raw,
    override_items,
    resolve,
)


# ------------------------------------------------------------------------------- runs
@dataclass
class ArmRun:
    """What a worker sends back for one (arm, seed): series, summary and household arrays."""

    arm: str
    seed: int
    monthly: pd.DataFrame
    meta: dict[str, object]
    households: dict[str, np.ndarray]


def run_arm(task: Task) -> tuple[Task, ArmRun]:
    """Run one task keeping the model, and return compact per-household arrays.

    Top-level so that process pools and Dask workers can import it; the same function runs
    under every executor, so results do not depend on which one ran them.
    """
    result = run(build(task.scenario, f"arm {task.tag!r}"), task.seed, keep_model=True)
    model = result.model
    assert model is not None
    hh = model.households
    arrays = {
        "annual_income": hh.annual_income.astype(np.float64, copy=True),
        "size": hh.size.astype(np.float64, copy=True),
        "state": hh.state.astype(np.int8, copy=True),
        "registered": hh.registered.copy(),
        "head_age": hh.head_age.astype(np.float64, copy=True),
        "village": hh.village.astype(np.int32, copy=True),
    }
    meta = {k: v for k, v in result.meta.items() if k not in ("scenario_yaml", "timings")}
    arm = task.tag[0] if isinstance(task.tag, tuple) else str(task.tag)
    return task, ArmRun(str(arm), task.seed, result.monthly, meta, arrays)


def map_runs(tasks: Iterable[Task], executor: str = "process", workers: int | None = None,
             fn: Callable[[Task], tuple[Task, ArmRun]] = run_arm
             ) -> Iterator[tuple[Task, ArmRun]]:
    """Yield fn(task) as runs finish, on any executor (see `executors.run_tasks`), so
    per-household arrays come back from every executor alike."""
    yield from run_tasks(tasks, executor, workers, fn=fn)


# ----------------------------------------------------------------------------- arms
@dataclass
class Arm:
    """A scenario in the comparison, with where it came from."""

    name: str
    scenario: Scenario
    source: str


def _structure_check(baseline: Arm, arm: Arm) -> None:
    for fld in ("households", "start", "months"):
        a, b = getattr(baseline.scenario, fld), getattr(arm.scenario, fld)
        if a != b:
            raise ScenarioError(
                f"{arm.source}: field '{fld}': a countermeasure must keep the baseline's "
                f"{fld} ({a!r} in {baseline.source}) so that households and months pair "
                f"across runs; got {b!r}")


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}#{k}", k + 1
    taken.add(out)
    return out


def load_arms(countermeasures: Sequence[str | Path], baseline: str | Path | None = None,
              base: str | Path | None = None, households: int | None = None,
              overrides: Sequence[str] | Mapping[str, object] | None = None
              ) -> tuple[Arm, list[Arm]]:
    """Baseline and countermeasure arms from files or bundled names.

    With `base` (an archetype such as 'liangshan'), the baseline is the archetype and every
    countermeasure file is an overlay deep-merged onto it. Without `base`, `baseline` is
    the baseline scenario and every countermeasure file is deep-merged onto it in the same
    way (a file that `extends:` an archetype is merged with its whole chain). `scale:` and
    `per_household:` blocks of an overlay resolve against the merged scenario, so "twice
    the archetype's budget" means twice this baseline's. `overrides` (dotted 'a.b=value')
    and `households` then apply to every arm, last, as in `load_scenario`.
    """
    if (base is None) == (baseline is None):
        raise ScenarioError("give either a baseline scenario or --base ARCHETYPE (not both)")
    root = base if base is not None else baseline
    assert root is not None
    root_path = resolve(root)
    base_raw = load_raw(root_path)
    items = override_items(overrides)

    def finish_arm(data: dict, source: str) -> Scenario:
        return finish(data, source, dict(items), households)

    taken: set[str] = set()
    base_name = str(base_raw.get("name", root_path.stem))
    baseline_arm = Arm(_unique(base_name, taken), finish_arm(dict(base_raw), str(root_path)),
                       str(root_path))
    arms = []
    for cm in countermeasures:
        path = resolve(cm)
        overlay = load_raw(path)
        data = deep_merge(base_raw, overlay)
        name = _unique(str(overlay.get("name", path.stem)), taken)
        data["name"] = f"{name}@{base_name}" if "name" in overlay else name
        arm = Arm(name, finish_arm(data, f"{path} on {root_path}"), str(path))
        _structure_check(baseline_arm, arm)
        arms.append(arm)
    if not arms:
        raise ScenarioError("no countermeasure given: compare needs at least one scenario "
                            "besides the baseline")
    return baseline_arm, arms
