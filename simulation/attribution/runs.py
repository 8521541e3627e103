"""The runs of an attribution: one scenario per coalition of groups, every coalition with
the same seeds (common random numbers), run on the existing executors.

A coalition's scenario is the scenario with the overrides of every group *not* in it
applied. Runs stop at the December of the last year compared: the model is causal and its
random streams are keyed by month, so the months compared are those of the full run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from simulation.attribution.groups import Group
from simulation.attribution.shapley import mask_label
from simulation.errors import UsageError
from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import run
from simulation.scenario import Scenario, build, with_overrides
from simulation.scenario.checks import run_window
from simulation.timeline import month_index


def year_end(year: int) -> str:
    return f"{int(year):04d}-12"


def check_years(scenario: Scenario, from_year: int, to_year: int) -> None:
    """UsageError unless both year-ends (December rows) are inside the run, in order."""
    first, last = run_window(scenario)
    for flag, year in (("--from", from_year), ("--to", to_year)):
        month = month_index(year_end(year), scenario.start)
        if not 0 <= month < scenario.months:
            raise UsageError(f"{flag} {year}: its year-end {year_end(year)} is outside the "
                             f"run ({first} to {last}) of scenario '{scenario.name}'; expected "
                             "a year whose December is simulated")
    if from_year >= to_year:
        raise UsageError(f"--from {from_year} must be before --to {to_year}")


def probe_columns(scenario: Scenario) -> list[str]:
    """Numeric columns of the scenario's monthly table, from a one-month run of at most 50
    households."""
    from simulation.model import PovertyModel

    tiny = with_overrides(scenario, {"households": max(10, min(50, scenario.households)),
                                     "months": 1})
    model = PovertyModel(tiny, seed=0, agent_views=False)
    model.step()
    frame = model.series()
    return [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])]


def check_outcome(scenario: Scenario, outcome: str) -> None:
    """UsageError unless `outcome` is a numeric column of the monthly table."""
    numeric = probe_columns(scenario)
    if outcome not in numeric:
        near = [c for c in numeric if outcome.split("_")[0] in c][:8]
        hint = f" (close: {', '.join(near)})" if near else ""
        raise UsageError(f"--outcome {outcome!r} is not a numeric column of the monthly "
                         f"table{hint}; expected e.g. income_poverty_incidence or "
                         "registered_poor_incidence")


def coalition_scenarios(scenario: Scenario, groups: Sequence[Group], masks: Sequence[int],
                        to_year: int) -> dict[int, Scenario]:
    """Each coalition's scenario (validated now, so errors come before any run)."""
    months = month_index(year_end(to_year), scenario.start) + 1
    names = [g.name for g in groups]
    out = {}
    for mask in masks:
        overrides: dict[str, object] = {"months": months}
        for i, g in enumerate(groups):
            if not mask >> i & 1:
                overrides.update(g.overrides)
        sc = with_overrides(scenario, overrides)
        out[mask] = sc.model_copy(update={"name": f"{scenario.name}[{mask_label(mask, names)}]"})
    return out


@dataclass
class CoalitionRun:
    """What a worker sends back: the year-end rows of one coalition and seed."""

    mask: int
    seed: int
    year_ends: pd.DataFrame
    meta: dict[str, object]


def run_coalition(task: Task) -> tuple[Task, CoalitionRun]:
    """Run one (coalition, seed) and keep only the December rows. Top-level so process
    pools can import it; the same function runs serially, so results do not depend on the
    executor."""
    result = run(build(task.scenario, f"coalition {task.tag!r}"), task.seed)
    monthly = result.monthly
    rows = monthly[monthly["date"].str.endswith("-12")].reset_index(drop=True)
    meta = {k: result.meta[k] for k in ("model_version", "git_commit", "scenario_name",
                                        "scenario_hash", "seed", "code_fingerprint",
                                        "run_seconds")}
    assert isinstance(task.tag, int)
    return task, CoalitionRun(task.tag, task.seed, rows, meta)


def run_coalitions(scenarios: dict[int, Scenario], seeds: Sequence[int],
                   executor: str = "process", workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None
                   ) -> dict[tuple[int, int], CoalitionRun]:
    """Every coalition with every seed, keyed by (mask, seed)."""
    tasks = [Task.of(sc, seed, mask) for seed in seeds for mask, sc in scenarios.items()]
    done: dict[tuple[int, int], CoalitionRun] = {}
    results: Iterator = run_tasks(tasks, executor, workers, fn=run_coalition)
    for _, out in results:
        done[out.mask, out.seed] = out
        if progress is not None:
            progress(len(done), len(tasks))
    return done
