"""Compare countermeasures with a baseline over paired replicates (common random numbers).

Every countermeasure is run with the same seeds as the baseline. Because every mechanism
draws from its own random stream keyed by seed, name and month, run *i* of a countermeasure
and run *i* of the baseline share their households, shocks and draws, and differ only where
the policies differ. The difference is therefore measured replicate by replicate (a paired
design), which removes most of the run-to-run noise from the comparison.

`compare()` is the one entry point from Python: it runs the arms and returns a
`Comparison` whose `tables` are the headline table (change versus baseline with paired
confidence intervals and corrected tests), results by period, income deciles, winners and
losers, poverty by group, cost-effectiveness, the ranking, the trajectories behind the
figures and every replicate's outcomes. `simulation.compare_report` writes them as an HTML
report with CSV and Parquet tables; `povsim compare` (simulation/compare_cli.py) does both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import simulation
from simulation.executors import Task, default_workers, run_tasks
from simulation.runner import SUMMARY_DATES, git_commit, run, summarise
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
from simulation.timeline import month_index, month_label

#: Dates at which incidence is compared by default (those inside the run are used).
DEFAULT_DATES = SUMMARY_DATES
#: First month of the transition period after the 2020 deadline.
TRANSITION_START = "2021-01"
#: Seed of independent replicate i of countermeasure k (pairing="independent").
INDEPENDENT_SEED_STRIDE = 100_003
#: Monthly series summarised as trajectories (mean and 95% band per arm and month).
TRAJECTORY_COLUMNS = ("income_poverty_incidence", "registered_poor_incidence", "income_pc",
                      "people_lifted", "cumulative_spending", "smith_policy", "smith_agency",
                      "smith_target", "smith_environment")
GROUPS = {"elderly": "elderly-headed", "low_education": "low education (head <= 6 years)",
          "remote": "remote villages (top third)", "registered": "registered poor",
          "not_registered": "not registered"}


# ----------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Outcome:
    """One compared outcome: how to read it, display it and which direction is better."""

    key: str
    label: str
    unit: str  # 'share' (shown in percentage points), 'people', 'yuan', 'rate', 'index'
    better: str  # 'lower' or 'higher'


def headline_outcomes(dates: Sequence[str]) -> list[Outcome]:
    """The headline outcomes, with incidence at each of `dates`."""
    out = [Outcome(f"incidence_{d}", f"Income-poverty incidence, {d}", "share", "lower")
           for d in dates]
    return out + [
        Outcome("people_lifted", "People lifted out of poverty (in exited state at end)",
                "people", "higher"),
        Outcome("cumulative_exits", "Exits from poverty, whole run (people)", "people",
                "higher"),
        Outcome("returns", "Returns to poverty, whole run (people)", "people", "lower"),
        Outcome("income_growth", "Mean real income growth (year on year)", "rate", "higher"),
        Outcome("income_pc_end", "Per-capita income at end (yuan/yr)", "yuan", "higher"),
        Outcome("gini_end", "Gini coefficient at end", "index", "lower"),
        Outcome("total_spending", "Total spending (yuan)", "yuan", "lower"),
        Outcome("cost_per_person_lifted", "Cost per person lifted (yuan)", "yuan", "lower"),
    ]


PERIOD_OUTCOMES = [
    Outcome("incidence_end", "Incidence at end of period", "share", "lower"),
    Outcome("incidence_change", "Change in incidence over period", "share", "lower"),
    Outcome("exits", "Exits from poverty in period (people)", "people", "higher"),
    Outcome("returns", "Returns to poverty in period (people)", "people", "lower"),
    Outcome("income_growth", "Mean real income growth in period", "rate", "higher"),
    Outcome("spending", "Spending in period (yuan)", "yuan", "lower"),
]


def _row_at(df: pd.DataFrame, date: str) -> int:
    idx = np.flatnonzero(df["date"].to_numpy() == date)
    if not len(idx):
        raise KeyError(date)
    return int(idx[0])


def run_outcomes(monthly: pd.DataFrame, dates: Sequence[str]) -> dict[str, float]:
    """Headline outcomes of one run from its monthly series (the run summary's figures,
    named as the comparison names them, and incidence at each of `dates`)."""
    s = summarise(monthly)
    out = {f"incidence_{d}": float(monthly["income_poverty_incidence"].iloc[_row_at(monthly, d)])
           for d in dates}
    return out | {name: s[key] for name, key in _SUMMARY_KEYS}


#: Comparison outcome <- run summary key.
_SUMMARY_KEYS = (("people_lifted", "people_lifted_end"), ("cumulative_exits", "cumulative_exits"),
                 ("returns", "cumulative_returns"), ("income_growth", "mean_real_income_growth"),
                 ("income_pc_end", "income_pc_end"), ("gini_end", "gini_end"),
                 ("total_spending", "total_spending"),
                 ("cost_per_person_lifted", "cost_per_person_lifted"))


def periods_of(start: str, months: int, transition: str = TRANSITION_START
               ) -> list[tuple[str, str, str]]:
    """(name, first month, last month) of the push to 2020 and the transition after it."""
    end = month_label(start, months - 1)
    cut = month_index(transition, start)
    if cut <= 0:
        return [("transition", start, end)]
    if cut >= months:
        return [("push to 2020", start, end)]
    return [("push to 2020", start, month_label(start, cut - 1)),
            ("transition", transition, end)]


def period_outcomes(monthly: pd.DataFrame, first: str, last: str) -> dict[str, float]:
    """Outcomes of one run within one period (flows are differences of cumulative series)."""
    i, j = _row_at(monthly, first), _row_at(monthly, last)

    def before(col: str) -> float:
        return float(monthly[col].iloc[i - 1]) if i > 0 else 0.0

    inc = monthly["income_poverty_incidence"]
    growth = monthly["income_growth"].iloc[i:j + 1].dropna()
    inc_before = float(inc.iloc[i - 1]) if i > 0 else float(inc.iloc[0])
    return {
        "incidence_end": float(inc.iloc[j]),
        "incidence_change": float(inc.iloc[j]) - inc_before,
        "exits": float(monthly["cumulative_exits"].iloc[j]) - before("cumulative_exits"),
        "returns": float(monthly["cumulative_returns"].iloc[j]) - before("cumulative_returns"),
        "income_growth": float(growth.mean()) if len(growth) else float("nan"),
        "spending": float(monthly["cumulative_spending"].iloc[j]) - before("cumulative_spending"),
    }


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


# ------------------------------------------------------------------------- statistics
def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error); NaN entries are left NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Multiple-comparison adjustment: 'holm' (family-wise), 'bh' (false discovery rate,
    scipy.stats.false_discovery_control) or 'none'."""
    p = np.asarray(p, dtype=float)
    if method == "holm":
        return holm(p)
    if method == "none":
        return p.copy()
    if method == "bh":
        out = np.full_like(p, np.nan)
        ok = ~np.isnan(p)
        if ok.any():
            out[ok] = stats.false_discovery_control(p[ok], method="bh")
        return out
    raise ValueError(f"unknown correction {method!r}: expected 'holm', 'bh' or 'none'")


@dataclass(frozen=True)
class Diff:
    """The difference countermeasure - baseline over replicates, with its interval and test."""

    mean: float
    low: float
    high: float
    p: float
    n: int
    identical: bool


def paired_diff(treated: np.ndarray, control: np.ndarray, level: float = 0.95) -> Diff:
    """Paired t interval and test (scipy.stats.ttest_rel) of treated - control.

    Replicates where either value is NaN (e.g. cost per person lifted with nobody lifted)
    are dropped. Identical arrays give a zero difference with zero width and p = 1.
    """
    t, c = np.asarray(treated, float), np.asarray(control, float)
    ok = ~(np.isnan(t) | np.isnan(c))
    t, c = t[ok], c[ok]
    n = len(t)
    if n == 0:
        return Diff(np.nan, np.nan, np.nan, np.nan, 0, False)
    d = t - c
    mean = float(d.mean())
    if np.all(d == 0):
        return Diff(0.0, 0.0, 0.0, 1.0, n, True)
    if n < 2:
        return Diff(mean, np.nan, np.nan, np.nan, n, False)
    if np.all(d == d[0]):  # a constant non-zero difference: no spread, certainly non-zero
        return Diff(mean, mean, mean, 0.0, n, False)
    res = stats.ttest_rel(t, c)
    ci = res.confidence_interval(level)
    return Diff(mean, float(ci.low), float(ci.high), float(res.pvalue), n, False)


def independent_diff(treated: np.ndarray, control: np.ndarray, level: float = 0.95) -> Diff:
    """Welch two-sample interval and test (scipy.stats.ttest_ind) for unpaired replicates."""
    t, c = np.asarray(treated, float), np.asarray(control, float)
    t, c = t[~np.isnan(t)], c[~np.isnan(c)]
    n = min(len(t), len(c))
    if n < 2:
        return Diff(float(t.mean() - c.mean()) if n else np.nan, np.nan, np.nan, np.nan, n,
                    False)
    mean = float(t.mean() - c.mean())
    if np.all(t == t[0]) and np.all(c == c[0]):
        return Diff(mean, mean, mean, 1.0 if mean == 0 else 0.0, n, mean == 0)
    res = stats.ttest_ind(t, c, equal_var=False)
    ci = res.confidence_interval(level)
    return Diff(mean, float(ci.low), float(ci.high), float(res.pvalue), n, False)


def mean_ci(values: np.ndarray, level: float = 0.95, axis: int = 0
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t-interval of the mean along `axis` (zero width when values agree)."""
    v = np.asarray(values, float)
    n = v.shape[axis]
    mean = v.mean(axis=axis)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    half = stats.t.ppf(0.5 + level / 2, n - 1) * v.std(axis=axis, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def verdict(diff: Diff, p_adj: float, alpha: float) -> str:
    """A plain statement of what the replicates show about the difference."""
    if diff.identical:
        return "identical to baseline in every replicate"
    if np.isnan(diff.mean):
        return "not available (undefined in every replicate)"
    if np.isnan(p_adj):
        return "too few replicates to test"
    if p_adj < alpha:
        return f"{'higher' if diff.mean > 0 else 'lower'} than baseline (adjusted p = " \
               f"{p_adj:.2g})"
    return f"not distinguishable from zero (adjusted p = {p_adj:.2g})"


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


# ------------------------------------------------------------------------ comparison
@dataclass
class Comparison:
    """The tables of a comparison (see `tables`) and what produced them (`meta`)."""

    tables: dict[str, pd.DataFrame]
    meta: dict[str, object]
    scenarios: dict[str, str]  # arm name -> resolved scenario YAML
    runs: list[ArmRun] = field(default_factory=list, repr=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _as_arm(x: Scenario | Arm, taken: set[str]) -> Arm:
    if isinstance(x, Arm):
        return Arm(_unique(x.name, taken), x.scenario, x.source)
    return Arm(_unique(x.name, taken), x, f"scenario '{x.name}'")


def compare(baseline: Scenario | Arm, countermeasures: Sequence[Scenario | Arm],
            replicates: int = 30, seeds: Sequence[int] | None = None,
            pairing: str = "crn", dates: Sequence[str] | None = None,
            transition: str = TRANSITION_START, threshold: float = 0.05,
            alpha: float = 0.05, correction: str = "holm", rank_by: str | None = None,
            executor: str = "process", workers: int | None = None, keep_runs: bool = False,
            progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run every countermeasure against the baseline and return the comparison tables.

    pairing='crn' (default) runs every arm with the same seeds and uses paired tests;
    'independent' gives countermeasure k the seeds seed + k * 100003 and uses Welch tests
    (to measure what common random numbers buy). `threshold` is the relative income change
    beyond which a household counts as a winner or loser. `rank_by` is a headline outcome
    key (default: incidence at the last compared date).
    """
    if pairing not in ("crn", "independent"):
        raise ValueError(f"pairing must be 'crn' or 'independent', got {pairing!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    adjust(np.array([0.5]), correction)  # validates the method name early
    taken: set[str] = set()
    base = _as_arm(baseline, taken)
    arms = [_as_arm(c, taken) for c in countermeasures]
    if not arms:
        raise ValueError("compare needs at least one countermeasure")
    for arm in arms:
        _structure_check(base, arm)
    seeds = list(seeds) if seeds is not None else list(range(1, replicates + 1))
    if len(seeds) < 2:
        raise ValueError("compare needs at least 2 replicates for an interval")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    sc = base.scenario
    start, months = sc.start, sc.months
    run_end = month_label(start, months - 1)
    if dates is None:
        dates = [d for d in DEFAULT_DATES if 0 <= month_index(d, start) < months] or [run_end]
    for d in dates:
        if not 0 <= month_index(d, start) < months:
            raise ValueError(f"date {d} is outside the run ({start} to {run_end})")
    outcomes = headline_outcomes(dates)
    rank_by = rank_by or f"incidence_{dates[-1]}"
    if rank_by not in {o.key for o in outcomes}:
        raise ValueError(f"rank_by {rank_by!r} is not a headline outcome; expected one of "
                         f"{[o.key for o in outcomes]}")

    all_arms = [base, *arms]
    seed_of = {(a.name, s): (s if pairing == "crn" or k == 0 else s + k * INDEPENDENT_SEED_STRIDE)
               for k, a in enumerate(all_arms) for s in seeds}
    tasks = [Task.of(a.scenario, seed_of[a.name, s], (a.name, s)) for s in seeds
             for a in all_arms]
    started = time.perf_counter()
    runs: dict[tuple[str, int], ArmRun] = {}
    for done, (task, res) in enumerate(map_runs(tasks, executor, workers), 1):
        runs[task.tag] = res  # type: ignore[index]
        if progress is not None:
            progress(done, len(tasks))
    elapsed = time.perf_counter() - started

    if pairing == "crn":
        for a in arms:
            for s in seeds:
                if not np.array_equal(runs[a.name, s].households["head_age"],
                                      runs[base.name, s].households["head_age"]):
                    raise ScenarioError(
                        f"{a.source}: households of '{a.name}' differ from the baseline's "
                        f"with seed {s}: the countermeasure changes the drawn population, so "
                        "households cannot be paired by row")

    diff_fn = paired_diff if pairing == "crn" else independent_diff
    ctx = _Ctx(base.name, [a.name for a in arms], seeds, runs, diff_fn, alpha, correction)
    tables: dict[str, pd.DataFrame] = {}
    tables["replicates"] = _replicate_table(ctx, all_arms, seeds, dates, seed_of)
    tables["headline"] = _headline(ctx, tables["replicates"], outcomes)
    periods = periods_of(start, months, transition)
    tables["periods"] = _periods(ctx, periods)
    tables["deciles"] = _deciles(ctx) if pairing == "crn" else _empty_deciles()
    tables["winners_losers"] = (_winners_losers(ctx, threshold) if pairing == "crn"
                                else _empty_winners())
    tables["groups"] = _groups(ctx, dates)
    tables["cost_effectiveness"] = _cost_effectiveness(ctx, tables["replicates"])
    by_key = {o.key: o for o in outcomes}
    tables["ranking"] = _ranking(ctx, tables["replicates"], by_key[rank_by])
    tables["trajectories"] = _trajectories(ctx, all_arms)
    tables["arms"] = pd.DataFrame([{
        "arm": a.name, "role": "baseline" if a is base else "countermeasure",
        "scenario_name": a.scenario.name, "scenario_hash": a.scenario.content_hash(),
        "source": a.source, "households": a.scenario.households,
        "households_represented": a.scenario.region.households_represented,
        "start": a.scenario.start, "months": a.scenario.months,
        "seeds": " ".join(str(seed_of[a.name, s]) for s in seeds)} for a in all_arms])
    better = by_key[rank_by].better
    meta: dict[str, object] = {
        "model_version": simulation.__version__, "git_commit": git_commit(),
        "baseline": base.name, "countermeasures": [a.name for a in arms],
        "seeds": seeds, "replicates": len(seeds), "pairing": pairing,
        "dates": list(dates), "periods": [list(p) for p in periods], "threshold": threshold,
        "alpha": alpha, "confidence_level": 1 - alpha, "correction": correction,
        "rank_by": rank_by,
        "criterion": f"{by_key[rank_by].label}: mean change versus baseline over "
                     f"{len(seeds)} {'paired' if pairing == 'crn' else 'independent'} "
                     f"replicates, {better} is better",
        "households": sc.households, "households_represented": sc.region.households_represented,
        "start": start, "months": months, "executor": executor,
        "workers": workers or (default_workers() if executor == "process" else 1),
        "runs": len(tasks), "run_seconds": round(elapsed, 2),
    }
    return Comparison(tables, meta, {a.name: a.scenario.to_yaml() for a in all_arms},
                      list(runs.values()) if keep_runs else [])


@dataclass
class _Ctx:
    base: str
    arms: list[str]
    seeds: list[int]
    runs: dict[tuple[str, int], ArmRun]
    diff_fn: Callable[[np.ndarray, np.ndarray], Diff]
    alpha: float
    correction: str

    def series(self, arm: str, col: str) -> np.ndarray:
        """(replicates, months) array of one monthly column."""
        return np.vstack([self.runs[arm, s].monthly[col].to_numpy(float) for s in self.seeds])


def _finish(rows: list[dict], ctx: _Ctx, diffs: list[Diff]) -> pd.DataFrame:
    """Add adjusted p-values and verdicts; the table is one family for the correction."""
    df = pd.DataFrame(rows)
    p = np.array([d.p for d in diffs], float)
    p_adj = adjust(p, ctx.correction)
    df["diff"] = [d.mean for d in diffs]
    df["ci_low"] = [d.low for d in diffs]
    df["ci_high"] = [d.high for d in diffs]
    df["n"] = [d.n for d in diffs]
    df["p"] = p
    df["p_adjusted"] = p_adj
    df["distinguishable"] = [bool(not d.identical and q < ctx.alpha) for d, q in
                             zip(diffs, p_adj, strict=True)]
    df["verdict"] = [verdict(d, q, ctx.alpha) for d, q in zip(diffs, p_adj, strict=True)]
    return df


def _replicate_table(ctx: _Ctx, arms: list[Arm], seeds: list[int], dates: Sequence[str],
                     seed_of: dict) -> pd.DataFrame:
    rows = []
    for a in arms:
        for s in seeds:
            r = ctx.runs[a.name, s]
            rows.append({"arm": a.name, "replicate": seeds.index(s), "seed": seed_of[a.name, s],
                         "run_key": r.meta["run_key"], **run_outcomes(r.monthly, dates)})
    return pd.DataFrame(rows)


def _values(reps: pd.DataFrame, arm: str, key: str) -> np.ndarray:
    return reps.loc[reps["arm"] == arm].sort_values("replicate")[key].to_numpy(float)


def _headline(ctx: _Ctx, reps: pd.DataFrame, outcomes: list[Outcome]) -> pd.DataFrame:
    rows, diffs = [], []
    for arm in ctx.arms:
        for o in outcomes:
            b, c = _values(reps, ctx.base, o.key), _values(reps, arm, o.key)
            diffs.append(ctx.diff_fn(c, b))
            rows.append({"countermeasure": arm, "outcome": o.key, "label": o.label,
                         "unit": o.unit, "better": o.better,
                         "baseline": float(np.nanmean(b)) if np.isfinite(b).any() else np.nan,
                         "value": float(np.nanmean(c)) if np.isfinite(c).any() else np.nan})
    return _finish(rows, ctx, diffs)


def _periods(ctx: _Ctx, periods: list[tuple[str, str, str]]) -> pd.DataFrame:
    rows, diffs = [], []
    per = {(arm, s, name): period_outcomes(ctx.runs[arm, s].monthly, first, last)
           for arm in [ctx.base, *ctx.arms] for s in ctx.seeds for name, first, last in periods}
    for arm in ctx.arms:
        for name, first, last in periods:
            for o in PERIOD_OUTCOMES:
                b = np.array([per[ctx.base, s, name][o.key] for s in ctx.seeds])
                c = np.array([per[arm, s, name][o.key] for s in ctx.seeds])
                diffs.append(ctx.diff_fn(c, b))
                rows.append({"countermeasure": arm, "period": name, "first": first,
                             "last": last, "outcome": o.key, "label": o.label, "unit": o.unit,
                             "better": o.better, "baseline": float(np.nanmean(b)),
                             "value": float(np.nanmean(c))})
    return _finish(rows, ctx, diffs)


def weighted_deciles(income: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Decile (1-10) of each household by people-weighted rank of `income`."""
    order = np.argsort(income, kind="stable")
    cum = np.cumsum(weights[order])
    mid = (cum - weights[order] / 2) / cum[-1]
    dec = np.empty(len(income), dtype=np.int64)
    dec[order] = np.minimum((mid * 10).astype(np.int64), 9) + 1
    return dec


def _deciles(ctx: _Ctx) -> pd.DataFrame:
    """Change in per-capita income at end by decile of the baseline run's income."""
    rows, diffs = [], []
    per_seed = {}
    for s in ctx.seeds:
        b = ctx.runs[ctx.base, s].households
        per_seed[s] = (weighted_deciles(b["annual_income"], b["size"]), b["size"],
                       b["annual_income"])
    for arm in ctx.arms:
        for d in range(1, 11):
            base_means, cm_means = [], []
            for s in ctx.seeds:
                dec, w, bi = per_seed[s]
                m = dec == d
                ci = ctx.runs[arm, s].households["annual_income"]
                base_means.append(np.average(bi[m], weights=w[m]))
                cm_means.append(np.average(ci[m], weights=w[m]))
            b, c = np.array(base_means), np.array(cm_means)
            diffs.append(ctx.diff_fn(c, b))
            rows.append({"countermeasure": arm, "decile": d, "unit": "yuan",
                         "baseline": float(b.mean()), "value": float(c.mean()),
                         "pct_change": float((c.mean() - b.mean()) / b.mean())
                         if b.mean() else np.nan})
    return _finish(rows, ctx, diffs)


def _empty_deciles() -> pd.DataFrame:
    return pd.DataFrame(columns=["countermeasure", "decile", "unit", "baseline", "value",
                                 "pct_change", "diff", "ci_low", "ci_high", "n", "p",
                                 "p_adjusted", "distinguishable", "verdict"])


WINNER_MEASURES = [
    ("winners", "Better off by more than the threshold"),
    ("losers", "Worse off by more than the threshold"),
    ("lifted_by_countermeasure", "Poor under baseline, not poor under countermeasure"),
    ("pushed_into_poverty", "Not poor under baseline, poor under countermeasure"),
]


def _winners_losers(ctx: _Ctx, threshold: float) -> pd.DataFrame:
    """People-weighted shares of households better or worse off than under the baseline."""
    rows = []
    for arm in ctx.arms:
        shares: dict[str, list[float]] = {k: [] for k, _ in WINNER_MEASURES}
        for s in ctx.seeds:
            b, c = ctx.runs[ctx.base, s].households, ctx.runs[arm, s].households
            w = b["size"] / b["size"].sum()
            ref = np.maximum(np.abs(b["annual_income"]), 1.0)
            change = (c["annual_income"] - b["annual_income"]) / ref
            line = ctx.runs[ctx.base, s].monthly["poverty_line"].iloc[-1]
            bp, cp = b["annual_income"] < line, c["annual_income"] < line
            shares["winners"].append(float(w[change > threshold].sum()))
            shares["losers"].append(float(w[change < -threshold].sum()))
            shares["lifted_by_countermeasure"].append(float(w[bp & ~cp].sum()))
            shares["pushed_into_poverty"].append(float(w[~bp & cp].sum()))
        for key, label in WINNER_MEASURES:
            mean, lo, hi = mean_ci(np.array(shares[key]), 1 - ctx.alpha)
            rows.append({"countermeasure": arm, "measure": key, "label": label,
                         "threshold": threshold, "share": float(mean), "ci_low": float(lo),
                         "ci_high": float(hi), "n": len(ctx.seeds)})
    return pd.DataFrame(rows)


def _empty_winners() -> pd.DataFrame:
    return pd.DataFrame(columns=["countermeasure", "measure", "label", "threshold", "share",
                                 "ci_low", "ci_high", "n"])


def _groups(ctx: _Ctx, dates: Sequence[str]) -> pd.DataFrame:
    rows, diffs = [], []
    idx = {d: _row_at(ctx.runs[ctx.base, ctx.seeds[0]].monthly, d) for d in dates}
    for arm in ctx.arms:
        for g, label in GROUPS.items():
            bs, cs = ctx.series(ctx.base, f"incidence_{g}"), ctx.series(arm, f"incidence_{g}")
            for d in dates:
                b, c = bs[:, idx[d]], cs[:, idx[d]]
                diffs.append(ctx.diff_fn(c, b))
                rows.append({"countermeasure": arm, "group": g, "label": label, "date": d,
                             "unit": "share", "baseline": float(b.mean()),
                             "value": float(c.mean())})
    return _finish(rows, ctx, diffs)


def _cost_effectiveness(ctx: _Ctx, reps: pd.DataFrame) -> pd.DataFrame:
    """Extra spending, extra people lifted, and yuan per extra person lifted (ratio of mean
    differences, paired bootstrap interval). The ratio is given only when the extra people
    lifted are distinguishable from zero and spending moves the same way (more for more, or a
    saving for fewer); dominant and dominated countermeasures are named instead."""
    rows = []
    for arm in ctx.arms:
        ds = _values(reps, arm, "total_spending") - _values(reps, ctx.base, "total_spending")
        dl = _values(reps, arm, "people_lifted") - _values(reps, ctx.base, "people_lifted")
        if ctx.diff_fn is independent_diff:
            sp = independent_diff(_values(reps, arm, "total_spending"),
                                  _values(reps, ctx.base, "total_spending"))
            li = independent_diff(_values(reps, arm, "people_lifted"),
                                  _values(reps, ctx.base, "people_lifted"))
        else:
            sp, li = paired_diff(ds, np.zeros_like(ds)), paired_diff(dl, np.zeros_like(dl))
        ratio, lo, hi, note = np.nan, np.nan, np.nan, ""
        lifted_nonzero = not li.identical and li.low * li.high > 0
        if not lifted_nonzero:
            note = ("undefined: the change in people lifted is not distinguishable from zero"
                    if not li.identical else "undefined: people lifted identical to baseline")
        elif li.mean > 0 and sp.mean <= 0:
            note = "dominant: lifts more people for no extra spending (no ratio)"
        elif li.mean < 0 and sp.mean >= 0:
            note = "dominated: lifts fewer people for no saving (no ratio)"
        else:
            ratio = sp.mean / li.mean
            note = ("yuan per extra person lifted" if li.mean > 0 else
                    "saving: yuan saved per person fewer lifted")
            if ctx.diff_fn is paired_diff:
                boot = stats.bootstrap((ds, dl), lambda a, b: np.mean(a) / np.mean(b),
                                       paired=True, vectorized=False, n_resamples=2000,
                                       confidence_level=1 - ctx.alpha, method="percentile",
                                       rng=np.random.default_rng(12345))
                lo, hi = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
                note += "; paired bootstrap percentile interval"
            else:
                note += "; no interval for unpaired replicates"
        rows.append({"countermeasure": arm, "extra_spending": sp.mean,
                     "extra_spending_low": sp.low, "extra_spending_high": sp.high,
                     "extra_people_lifted": li.mean, "extra_people_lifted_low": li.low,
                     "extra_people_lifted_high": li.high,
                     "yuan_per_extra_person_lifted": ratio, "ratio_low": lo, "ratio_high": hi,
                     "note": note})
    return pd.DataFrame(rows)


def _ranking(ctx: _Ctx, reps: pd.DataFrame, o: Outcome) -> pd.DataFrame:
    """Countermeasures ordered by the mean change in the criterion (best first), with tests
    against the baseline and against the next-ranked countermeasure (Holm within each)."""
    base = _values(reps, ctx.base, o.key)
    vals = {a: _values(reps, a, o.key) for a in ctx.arms}
    d_base = {a: ctx.diff_fn(vals[a], base) for a in ctx.arms}
    sign = -1.0 if o.better == "lower" else 1.0

    def key(a: str) -> float:
        m = d_base[a].mean
        return np.inf if np.isnan(m) else -sign * m

    order = sorted(ctx.arms, key=key)
    p_base = adjust(np.array([d_base[a].p for a in order]), ctx.correction)
    nxt = [ctx.diff_fn(vals[a], vals[b]) for a, b in zip(order, order[1:], strict=False)]
    p_next = adjust(np.array([d.p for d in nxt]), ctx.correction) if nxt else np.array([])
    rows = []
    for i, a in enumerate(order):
        d = d_base[a]
        if i < len(nxt):
            dn = nxt[i]
            if dn.identical:
                vs_next = f"tied with {order[i + 1]} in every replicate"
            elif p_next[i] < ctx.alpha:
                vs_next = f"better than {order[i + 1]} (adjusted p = {p_next[i]:.2g})"
            else:
                vs_next = (f"not distinguishable from {order[i + 1]} (adjusted p = "
                           f"{p_next[i]:.2g})")
            pn = float(p_next[i])
        else:
            vs_next, pn = None, np.nan
        rows.append({"rank": i + 1, "countermeasure": a, "criterion": o.key,
                     "criterion_label": o.label, "unit": o.unit, "better": o.better,
                     "diff": d.mean, "ci_low": d.low, "ci_high": d.high,
                     "p_adjusted_vs_baseline": p_base[i],
                     "vs_baseline": verdict(d, p_base[i], ctx.alpha),
                     "p_adjusted_vs_next": pn, "vs_next": vs_next})
    return pd.DataFrame(rows)


def _trajectories(ctx: _Ctx, arms: list[Arm]) -> pd.DataFrame:
    """Per arm, month and series: mean with 95% interval, and the change versus baseline."""
    dates = ctx.runs[ctx.base, ctx.seeds[0]].monthly["date"].to_numpy()
    level = 1 - ctx.alpha
    frames = []
    for col in TRAJECTORY_COLUMNS:
        bs = ctx.series(ctx.base, col)
        for a in arms:
            v = ctx.series(a.name, col)
            mean, lo, hi = mean_ci(v, level)
            if ctx.diff_fn is paired_diff:
                dm, dlo, dhi = mean_ci(v - bs, level)
            else:
                dm = v.mean(0) - bs.mean(0)
                se = np.sqrt(v.var(0, ddof=1) / len(v) + bs.var(0, ddof=1) / len(bs))
                half = stats.t.ppf(0.5 + level / 2, 2 * len(v) - 2) * se
                dlo, dhi = dm - half, dm + half
            frames.append(pd.DataFrame({"arm": a.name, "series": col, "date": dates,
                                        "mean": mean, "low": lo, "high": hi, "diff": dm,
                                        "diff_low": dlo, "diff_high": dhi}))
    return pd.concat(frames, ignore_index=True)
