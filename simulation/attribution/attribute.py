"""`attribute()`: how much of the fall in an outcome each group of instruments or actors
accounts for, by Shapley values over the groups (or one at a time), with common random
numbers and intervals over seeds."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import simulation
from simulation.attribution.groups import Group, ResolvedGroups, resolve_groups
from simulation.attribution.runs import (
    CoalitionRun,
    check_outcome,
    check_years,
    coalition_scenarios,
    run_coalitions,
    year_end,
)
from simulation.attribution.shapley import (
    MAX_SHAPLEY_GROUPS,
    all_on,
    mask_label,
    one_at_a_time,
    one_at_a_time_masks,
    shapley,
    shapley_masks,
)
from simulation.comparison.statistics import mean_ci
from simulation.errors import UsageError
from simulation.runs.executors import default_workers, is_dask_address
from simulation.runs.runner import git_commit
from simulation.scenario import Overrides, Scenario, load_scenario, with_overrides

METHODS = ("shapley", "one-at-a-time")
DEFAULT_OUTCOME = "survey_poverty_incidence"  # the record's measure (metrics.YearIncome)


def is_share(outcome: str) -> bool:
    """Whether the outcome is a share of people or households (shown in percentage points)."""
    return "incidence" in outcome or outcome.startswith(
        ("share_", "awareness_", "understanding_", "participation_", "ever_joined_")) \
        or outcome.endswith(("_error", "_rate"))


@dataclass
class AttributionResult:
    """`table`: one row per group, then `remaining` (the fall with no group on), for
    one-at-a-time `interaction`, and `total` (all on); means over seeds with 95% t
    intervals. `by_seed`: the same rows for every seed. `coalitions`: every run's values.
    `one_at_a_time`: with Shapley, the one-at-a-time table from the same runs."""

    table: pd.DataFrame
    by_seed: pd.DataFrame
    coalitions: pd.DataFrame
    meta: dict[str, object]
    groups: tuple[Group, ...]
    notes: tuple[str, ...] = ()
    one_at_a_time: pd.DataFrame | None = None
    runs: dict[tuple[int, int], CoalitionRun] = field(default_factory=dict, repr=False)


def plan(scenario: Scenario, groups: Sequence[Group | str] | None, method: str,
         from_year: int, to_year: int, outcome: str, executor: str = "process"
         ) -> tuple[ResolvedGroups, list[int]]:
    """Check everything before any run; the groups and coalitions to run."""
    if method not in METHODS:
        raise UsageError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    if executor not in ("serial", "process") and not is_dask_address(executor):
        raise UsageError(f"--executor {executor!r}: expected serial, process or a Dask "
                         "scheduler address like tcp://127.0.0.1:8786")
    check_years(scenario, from_year, to_year)
    check_outcome(scenario, outcome)
    resolved = resolve_groups(scenario, groups)
    n = len(resolved.groups)
    if method == "shapley" and n > MAX_SHAPLEY_GROUPS:
        raise UsageError(f"Shapley over {n} groups needs {2 ** n} runs per seed; it is "
                         f"limited to {MAX_SHAPLEY_GROUPS} groups ({2 ** MAX_SHAPLEY_GROUPS} "
                         f"runs); use --method one-at-a-time ({n + 2} runs per seed)")
    masks = shapley_masks(n) if method == "shapley" else one_at_a_time_masks(n)
    return resolved, masks


def _summary(by_seed: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rows = []
    for name in order:
        part = by_seed[by_seed["group"] == name].sort_values("seed")
        rec: dict[str, object] = {"group": name, "label": part["label"].iloc[0]}
        for col in ("fall", "share"):
            v = part[col].to_numpy(float)
            mean, low, high = mean_ci(v)
            if len(v) < 2:
                low = high = np.nan
            rec |= {col: float(mean), f"{col}_low": float(low), f"{col}_high": float(high)}
        rec["seeds"] = len(part)
        rows.append(rec)
    return pd.DataFrame(rows)


def _rows(seed: int, groups: Sequence[Group], values: dict[int, float], method: str
          ) -> list[dict]:
    """One seed's rows: each group, remaining, interaction (one at a time) and total."""
    n = len(groups)
    total, rest = values[all_on(n)], values[0]
    if method == "shapley":
        effects, residual = shapley(values, n), None
    else:
        effects, residual = one_at_a_time(values, n)
    parts = [(g.name, g.label, e) for g, e in zip(groups, effects, strict=True)]
    parts.append(("remaining", "Remaining: no group on (baseline trends, demography)", rest))
    if residual is not None:
        parts.append(("interaction", "Interaction residual (one at a time)", residual))
    parts.append(("total", "Total fall, all on", total))
    return [{"seed": seed, "group": name, "label": label, "fall": fall,
             "share": fall / total if total != 0 else np.nan} for name, label, fall in parts]


def attribute(scenario: Scenario | str, groups: Sequence[Group | str] | None = None,
              seeds: Sequence[int] = (1, 2, 3), from_year: int = 2014, to_year: int = 2019,
              outcome: str = DEFAULT_OUTCOME, method: str = "shapley",
              executor: str = "process", workers: int | None = None,
              households: int | None = None, overrides: Overrides = None,
              progress: Callable[[int, int], None] | None = None,
              keep_runs: bool = False) -> AttributionResult:
    """Attribute the fall in `outcome` between the year-ends of `from_year` and `to_year`
    to `groups` (default `DEFAULT_GROUPS`; `Group`s or `--group` specs).

    Every coalition of groups is run with the same seeds; a coalition's value is the fall
    with only its groups on. Shapley values (2**G runs per seed, G <= 6) sum exactly to the
    fall with all on minus the fall with none on; `remaining` is the latter (baseline
    trends, demography, what no group covers). Shares are of the all-on fall, per seed.
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario, overrides, households)
    else:
        if overrides:
            scenario = with_overrides(scenario, overrides)
        if households is not None:
            scenario = with_overrides(scenario, {"households": households})
    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise UsageError(f"seeds must be distinct and at least one, got {seeds}")
    resolved, masks = plan(scenario, groups, method, from_year, to_year, outcome, executor)
    gs = list(resolved.groups)
    names = [g.name for g in gs]
    scenarios = coalition_scenarios(scenario, gs, masks, to_year)
    started = time.perf_counter()
    runs = run_coalitions(scenarios, seeds, executor, workers, progress)
    seconds = time.perf_counter() - started

    coal_rows: list[dict] = []
    seed_rows: list[dict] = []
    oat_rows: list[dict] = []
    inert = set(range(len(gs)))  # groups that never change the outcome
    for seed in seeds:
        values: dict[int, float] = {}
        for mask in masks:
            ye = runs[mask, seed].year_ends.set_index("date")[outcome]
            a, b = float(ye.loc[year_end(from_year)]), float(ye.loc[year_end(to_year)])
            values[mask] = a - b
            coal_rows.append({"seed": seed, "coalition": mask_label(mask, names),
                              "groups_on": mask.bit_count(), "from_value": a, "to_value": b,
                              "fall": a - b, "scenario_hash": scenarios[mask].content_hash()})
        seed_rows += _rows(seed, gs, values, method)
        for i in range(len(gs)):
            bit = 1 << i
            if any(values[m] != values[m | bit] for m in values if m | bit in values):
                inert.discard(i)
        if method == "shapley":  # every coalition it needs is among Shapley's
            oat_rows += _rows(seed, gs, values, "one-at-a-time")
    by_seed = pd.DataFrame(seed_rows)
    order = list(dict.fromkeys(by_seed["group"]))
    table = _summary(by_seed, order)
    oat = pd.DataFrame(oat_rows)
    oat_table = _summary(oat, list(dict.fromkeys(oat["group"]))) if oat_rows else None
    notes = (*resolved.notes, *(
        f"group '{gs[i].name}': the outcome is identical with and without it in every pair "
        "of runs (it spends nothing here, or acts outside the years compared)"
        for i in sorted(inert)))
    meta: dict[str, object] = {
        "model_version": simulation.__version__, "git_commit": git_commit(),
        "scenario_name": scenario.name, "scenario_hash": scenario.content_hash(),
        "households": scenario.households, "start": scenario.start,
        "months": scenario.months, "seeds": seeds, "method": method, "outcome": outcome,
        "unit": "share (pp)" if is_share(outcome) else "outcome units",
        "from": year_end(from_year), "to": year_end(to_year),
        "groups": {g.name: {"label": g.label, "overrides": dict(g.overrides)} for g in gs},
        "notes": list(notes), "runs": len(runs), "run_seconds": round(seconds, 1),
        "executor": executor,
        "workers": 1 if executor == "serial" else (workers or default_workers()),
        "coalition_hashes": {mask_label(m, names): s.content_hash()
                             for m, s in scenarios.items()},
    }
    return AttributionResult(table, by_seed, pd.DataFrame(coal_rows), meta, tuple(gs),
                             notes, oat_table, runs if keep_runs else {})
