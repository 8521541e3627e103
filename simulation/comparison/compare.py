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
figures and every replicate's outcomes. `simulation.comparison.report` writes them as an HTML
report with CSV and Parquet tables; `povsim compare` (simulation/comparison/cli.py) does both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

import simulation
from simulation.comparison.arms import Arm, ArmRun, _structure_check, _unique, map_runs
from simulation.comparison.outcomes import (
    DEFAULT_DATES,
    PERIOD_OUTCOMES,
    TRANSITION_START,
    Outcome,
    headline_outcomes,
    period_outcomes,
    periods_of,
    row_at,
    run_outcomes,
)
from simulation.comparison.statistics import (
    Diff,
    adjust,
    independent_diff,
    mean_ci,
    paired_diff,
    verdict,
)
from simulation.runs.executors import Task, default_workers
from simulation.runs.runner import git_commit
from simulation.scenario import Scenario, ScenarioError
from simulation.timeline import month_index, month_label

#: Seed of independent replicate i of countermeasure k (pairing="independent").
INDEPENDENT_SEED_STRIDE = 100_003
#: Monthly series summarised as trajectories (mean and 95% band per arm and month).
TRAJECTORY_COLUMNS = ("income_poverty_incidence", "registered_poor_incidence", "income_pc",
                      "people_lifted", "cumulative_spending", "smith_policy", "smith_agency",
                      "smith_target", "smith_environment")
GROUPS = {"elderly": "elderly-headed", "low_education": "low education (head <= 6 years)",
          "remote": "remote villages (top third)", "registered": "registered poor",
          "not_registered": "not registered"}




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
    idx = {d: row_at(ctx.runs[ctx.base, ctx.seeds[0]].monthly, d) for d in dates}
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
