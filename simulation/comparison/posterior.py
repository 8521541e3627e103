"""Countermeasure effects over a calibration posterior: how much of their uncertainty is
the parameters' and how much is chance.

`povsim compare` alone runs every arm at one parameter set, so its intervals cover the
seeds' noise only, as if the fitted parameters were known. Here K parameter sets are drawn
from a posterior (`povsim calibrate --method posterior` writes `posterior.parquet`); for
each draw the baseline and every countermeasure run with the draw's values and the same R
seeds (common random numbers within a draw). For a countermeasure and an outcome:

- the paired difference of replicate r in draw d is `delta[d, r]`, and the draw's effect
  `tau[d]` its mean over the seeds;
- the interval is the spread of `tau` over the draws (its 1-alpha quantiles): what the
  effect may be given what the record says about the parameters, estimated with R seeds;
- its variance splits by a one-way analysis of variance of `delta`: chance is the seed
  noise left in each `tau[d]` (the within-draw variance / R), the parameters the rest of
  the between-draw variance (the variance of the true effect over the posterior). More
  seeds shrink the first; only more data shrink the second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import simulation
from simulation.calibration.fit import expand_paths
from simulation.calibration.posterior import read_metadata
from simulation.calibration.spec import Parameter
from simulation.comparison.arms import Arm, _structure_check, map_runs
from simulation.comparison.outcomes import DEFAULT_DATES, headline_outcomes, run_outcomes
from simulation.outcomes import Outcome
from simulation.runs.executors import Task, default_workers
from simulation.runs.runner import git_commit
from simulation.scenario import Scenario, ScenarioError, get_dotted, with_overrides
from simulation.timeline import month_index, month_label


class PosteriorFileError(ValueError):
    """A posterior file cannot be used: the message names the file and what is wrong."""


@dataclass
class Posterior:
    """The draws of a posterior file and the parameters they set."""

    path: Path
    parameters: list[Parameter]
    values: np.ndarray  # (draws, parameters)
    weights: np.ndarray  # sums to 1
    scenario: str  # the calibration's scenario (name or path)
    meta: dict

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]


def load_posterior(path: str | Path) -> Posterior:
    """Read `posterior.parquet` (draws, weights and the spec in its metadata)."""
    path = Path(path)
    if not path.is_file():
        raise PosteriorFileError(f"{path}: no such posterior file (expected the "
                                 "posterior.parquet that `povsim calibrate --method posterior` "
                                 "writes)")
    try:
        meta = read_metadata(path)
        frame = pq.read_table(path).to_pandas()
    except (KeyError, OSError, ValueError) as exc:
        raise PosteriorFileError(
            f"{path}: not a povsim posterior (expected a Parquet file with povsim metadata, "
            f"as `povsim calibrate --method posterior` writes): {exc}") from None
    spec = meta.get("spec") or {}
    try:
        parameters = [Parameter(**p) for p in spec["parameters"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise PosteriorFileError(f"{path}: metadata field 'spec.parameters': expected the "
                                 f"calibration's parameters: {exc}") from None
    missing = [c for c in [p.name for p in parameters] + ["weight"] if c not in frame.columns]
    if missing:
        raise PosteriorFileError(f"{path}: columns {missing} missing; expected one column per "
                                 f"parameter ({[p.name for p in parameters]}) and 'weight'")
    values = frame[[p.name for p in parameters]].to_numpy(float)
    weights = frame["weight"].to_numpy(float)
    if not len(values) or not np.all(np.isfinite(values)) or np.any(weights < 0) \
            or not weights.sum() > 0:
        raise PosteriorFileError(f"{path}: expected at least one draw with finite values and "
                                 "non-negative weights that sum above 0")
    return Posterior(path, parameters, values, weights / weights.sum(),
                     str(spec.get("scenario", "")), meta)


def pick_draws(posterior: Posterior, k: int, seed: int = 1) -> np.ndarray:
    """Rows of `k` draws: all of them when there are no more than k, else a weighted sample
    without replacement (reproducible from `seed`)."""
    n = len(posterior.values)
    if k >= n:
        return np.arange(n)
    rng = np.random.default_rng([seed, 4241])
    return np.sort(rng.choice(n, size=k, replace=False, p=posterior.weights))


def check_arms(parameters: Sequence[Parameter], base: Arm, arms: Sequence[Arm]) -> None:
    """A countermeasure may not change what the posterior sets by value: the draw would
    overwrite it. (Multipliers (`scale`) apply to each arm's own values, so they may.)"""
    dump = base.scenario.model_dump(mode="json")
    arm_dumps = [(arm, arm.scenario.model_dump(mode="json")) for arm in arms]
    for p in parameters:
        if p.path is None:
            continue
        try:
            want = get_dotted(dump, p.path)
        except KeyError:
            raise ScenarioError(f"{base.source}: the posterior's parameter {p.name!r} sets "
                                f"{p.path!r}, which the baseline has no field for") from None
        for arm, arm_dump in arm_dumps:
            got = get_dotted(arm_dump, p.path)
            if got != want:
                raise ScenarioError(
                    f"{arm.source}: field '{p.path}': the countermeasure changes a value the "
                    f"posterior fits (parameter {p.name!r}; {got!r} against the baseline's "
                    f"{want!r}); each draw would overwrite it. Drop it from the "
                    "countermeasure or compare without --posterior")


def with_draw(scenario: Scenario, parameters: Sequence[Parameter], x: np.ndarray) -> Scenario:
    """The scenario with one draw's values: set where the parameter has a path, and
    multiplying the scenario's own values where it scales."""
    dump = scenario.model_dump(mode="json")
    overrides: dict[str, float] = {}
    for p, v in zip(parameters, x, strict=True):
        if p.path is not None:
            overrides[p.path] = float(v)
        else:
            for q in (q for pat in p.scale or [] for q in expand_paths(dump, pat)):
                overrides[q] = float(get_dotted(dump, q)) * float(v)
    return with_overrides(scenario, overrides)


def compared_dates(scenario: Scenario, dates: Sequence[str] | None = None) -> list[str]:
    """The dates incidence is compared at: `dates` (checked to be inside the run) or the
    default dates inside it (the last month if none is)."""
    end = month_label(scenario.start, scenario.months - 1)
    inside = [d for d in DEFAULT_DATES if 0 <= month_index(d, scenario.start) < scenario.months]
    dates = list(dates) if dates is not None else (inside or [end])
    for d in dates:
        if not 0 <= month_index(d, scenario.start) < scenario.months:
            raise ValueError(f"date {d} is outside the run ({scenario.start} to {end})")
    return dates


@dataclass
class PosteriorComparison:
    """Effects over the posterior (`tables['effects']`) and what produced them."""

    tables: dict[str, pd.DataFrame]
    meta: dict[str, object]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def split_variance(delta: np.ndarray) -> tuple[float, float]:
    """(parameter variance, chance variance) of the draw effects from the (draws, seeds)
    paired differences: one-way analysis of variance, the parameter part floored at 0."""
    k, r = delta.shape
    within = float(np.mean(np.var(delta, axis=1, ddof=1))) if r > 1 else 0.0
    between = float(np.var(delta.mean(axis=1), ddof=1)) if k > 1 else 0.0
    chance = within / r
    return max(between - chance, 0.0), chance


def compare_over_posterior(baseline: Arm, countermeasures: Sequence[Arm],
                           posterior: Posterior, draws: int = 20, replicates: int = 3,
                           seed0: int = 1, draw_seed: int = 1,
                           dates: Sequence[str] | None = None, alpha: float = 0.05,
                           executor: str = "process", workers: int | None = None,
                           progress: Callable[[int, int], None] | None = None
                           ) -> PosteriorComparison:
    """Run baseline and countermeasures for `draws` posterior draws x `replicates` seeds."""
    if not countermeasures:
        raise ValueError("compare needs at least one countermeasure")
    if replicates < 2:
        raise ValueError("--replicates must be at least 2 per draw (the chance part is "
                         "measured within draws)")
    if draws < 2:
        raise ValueError("--draws must be at least 2 (the parameter part is measured "
                         "between draws)")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    for arm in countermeasures:
        _structure_check(baseline, arm)
    check_arms(posterior.parameters, baseline, countermeasures)
    sc = baseline.scenario
    dates = compared_dates(sc, dates)
    rows = pick_draws(posterior, draws, draw_seed)
    seeds = list(range(seed0, seed0 + replicates))
    arms = [baseline, *countermeasures]
    tasks = []
    for d, row in enumerate(rows):
        x = posterior.values[row]
        for a in arms:
            scenario = with_draw(a.scenario, posterior.parameters, x)
            tasks += [Task.of(scenario, s, (a.name, d, s)) for s in seeds]
    started = time.perf_counter()
    outcomes: dict[tuple[str, int, int], dict[str, float]] = {}
    for done, (task, res) in enumerate(map_runs(tasks, executor, workers), 1):
        outcomes[task.tag] = run_outcomes(res.monthly, dates)  # type: ignore[index]
        if progress is not None:
            progress(done, len(tasks))
    elapsed = time.perf_counter() - started

    runs = pd.DataFrame([{"arm": a, "draw": d, "posterior_row": int(rows[d]), "seed": s,
                          **dict(zip(posterior.names, posterior.values[rows[d]], strict=True)),
                          **v} for (a, d, s), v in outcomes.items()])
    effects = _effects(runs, baseline.name, [a.name for a in countermeasures],
                       headline_outcomes(dates), len(rows), seeds, alpha)
    meta: dict[str, object] = {
        "model_version": simulation.__version__, "git_commit": git_commit(),
        "baseline": baseline.name, "countermeasures": [a.name for a in countermeasures],
        "posterior": str(posterior.path), "posterior_scenario": posterior.scenario,
        "posterior_fingerprint": posterior.meta.get("posterior_fingerprint"),
        "posterior_converged": posterior.meta.get("converged"),
        "parameters": posterior.names, "draws": len(rows),
        "posterior_rows": [int(r) for r in rows], "draw_seed": draw_seed,
        "seeds": seeds, "replicates": len(seeds), "dates": list(dates), "alpha": alpha,
        "households": sc.households, "start": sc.start, "months": sc.months,
        "executor": executor,
        "workers": workers or (default_workers() if executor == "process" else 1),
        "runs": len(tasks), "run_seconds": round(elapsed, 2),
    }
    return PosteriorComparison({"effects": effects, "runs": runs}, meta)


def _effects(runs: pd.DataFrame, base: str, arms: list[str], outcomes: Sequence[Outcome],
             k: int, seeds: list[int], alpha: float) -> pd.DataFrame:
    by_arm = {name: runs[runs["arm"] == name].sort_values(["draw", "seed"])
              for name in (base, *arms)}
    rows = []
    for arm in arms:
        for o in outcomes:
            level = np.stack([by_arm[name][o.key].to_numpy(float).reshape(k, len(seeds))
                              for name in (base, arm)])
            delta = level[1] - level[0]
            if not np.all(np.isfinite(delta)):
                continue  # an outcome undefined in some run (no one lifted): not compared
            tau = delta.mean(axis=1)
            param, chance = split_variance(delta)
            total = param + chance
            low, high = np.quantile(tau, [alpha / 2, 1 - alpha / 2])
            rows.append({"countermeasure": arm, "outcome": o.key, "label": o.label,
                         "unit": o.unit, "better": o.better,
                         "baseline": float(level[0].mean()), "value": float(level[1].mean()),
                         "diff": float(tau.mean()), "low": float(low), "high": float(high),
                         "sd_parameters": float(np.sqrt(param)),
                         "sd_chance": float(np.sqrt(chance)),
                         "parameter_share": param / total if total > 0 else np.nan,
                         "chance_share": chance / total if total > 0 else np.nan,
                         "draws": k, "replicates": len(seeds)})
    return pd.DataFrame(rows)
