"""Global sensitivity of sweep outcomes to the varied parameters (SALib).

The method follows the design, because each estimator is only valid on its own sample:
Sobol first- and total-order indices on a Saltelli ("sobol") design, Morris elementary
effects on Morris trajectories, RBD-FAST first-order indices on Latin-hypercube or
quasi-random ("lhs", "qmc") designs. Spearman rank correlations (with bootstrap intervals)
are added for every design, grids included, as a plain model-free check.

Replicates are averaged per design point first (they share seeds across points: common
random numbers), so indices describe the expected outcome, not seed noise.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import yaml

from simulation.sweeps.spec import SweepError, SweepSpec, parse_spec, salib_problem, sample_unit

#: Columns of the table `analyse` returns.
COLUMNS = ["scenario", "outcome", "param", "method", "index", "value", "conf"]


def spec_of(spec_yaml: str) -> SweepSpec:
    return parse_spec(yaml.safe_load(spec_yaml), "stored sweep spec")


def point_means(runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Mean of an outcome over replicates per (scenario, point), in design order."""
    return (runs.groupby(["scenario", "point_id"], sort=True)[outcome].mean().reset_index()
            .sort_values(["scenario", "point_id"]))


def _unit_for(spec: SweepSpec) -> np.ndarray | None:
    if spec.design in ("sobol", "morris", "lhs", "qmc"):
        return sample_unit(spec)
    return None


def analyse(runs: pd.DataFrame, spec: SweepSpec, outcomes: list[str],
            conf_level: float = 0.95, resamples: int = 500, seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices with confidence half-widths (`conf`) for each outcome.

    runs: `store.load_runs` output for one complete sweep. Raises SweepError if runs are
    missing, since Sobol and Morris estimators need every design point.
    """
    missing = [o for o in outcomes if o not in runs]
    if missing:
        raise SweepError(f"unknown outcome(s) {missing}; stored outcomes include "
                         f"{sorted(c for c in runs.columns if c not in spec.vary)[:40]}")
    if runs[outcomes].isna().all(axis=1).any() and "run_key" in runs:
        absent = runs[outcomes].isna().all(axis=1).sum()
        raise SweepError(f"sweep incomplete: {absent} of {len(runs)} runs have no stored "
                         "results; resume it (run the same sweep command again) first")
    params = list(spec.vary)
    unit = _unit_for(spec)
    rows: list[dict] = []
    for scenario, group in runs.groupby("scenario", sort=False):
        for outcome in outcomes:
            means = point_means(group, outcome)
            y = means[outcome].to_numpy(dtype=float)
            rows += _spearman(group, params, outcome, scenario, conf_level, resamples, seed)
            if unit is None or not params:
                continue
            if len(y) != len(unit):
                raise SweepError(f"scenario {scenario}: {len(y)} points stored but the "
                                 f"{spec.design} design has {len(unit)}")
            _check_design(spec, unit, group)
            if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
                # Constant (or undefined, e.g. a date after the run ends): nothing to apportion.
                why = "constant" if np.all(np.isfinite(y)) else "undefined"
                for p in params:
                    rows.append(_row(scenario, outcome, p, spec.design, why, np.nan, np.nan))
                continue
            rows += _salib(spec, unit, y, scenario, outcome, conf_level, resamples, seed)
    return pd.DataFrame(rows, columns=COLUMNS)


def _check_design(spec: SweepSpec, unit: np.ndarray, group: pd.DataFrame) -> None:
    """The regenerated design must be the one that ran (e.g. same SALib/scipy samplers)."""
    stored = group.drop_duplicates("point_id").sort_values("point_id")
    for j, p in enumerate(spec.vary):
        want = unit[:, j]
        if getattr(spec.vary[p], "log", False):
            want = 10.0 ** want
        got = pd.to_numeric(stored[p]).to_numpy(dtype=float)
        integral = np.all(got == np.round(got))
        ok = np.abs(got - want) <= (0.5 + 1e-9 if integral else 0) + 1e-9 * np.abs(want)
        if not ok.all():
            raise SweepError(f"the stored points of '{p}' differ from the regenerated "
                             f"{spec.design} design (another scipy/SALib version?); "
                             "sensitivity indices would be wrong")


def _row(scenario: str, outcome: str, param: str, method: str, index: str, value: float,
         conf: float) -> dict:
    return {"scenario": scenario, "outcome": outcome, "param": param, "method": method,
            "index": index, "value": float(value), "conf": float(conf)}


def _salib(spec: SweepSpec, unit: np.ndarray, y: np.ndarray, scenario: str, outcome: str,
           conf_level: float, resamples: int, seed: int) -> list[dict]:
    problem = salib_problem(spec)
    names = problem["names"]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's N-not-power-of-two and similar notes
        if spec.design == "sobol":
            from SALib.analyze import sobol
            res = sobol.analyze(problem, y, calc_second_order=spec.second_order,
                                num_resamples=resamples, conf_level=conf_level, seed=seed)
            for i, p in enumerate(names):
                rows.append(_row(scenario, outcome, p, "sobol", "S1", res["S1"][i],
                                 res["S1_conf"][i]))
                rows.append(_row(scenario, outcome, p, "sobol", "ST", res["ST"][i],
                                 res["ST_conf"][i]))
        elif spec.design == "morris":
            from SALib.analyze import morris
            res = morris.analyze(problem, unit, y, num_resamples=resamples,
                                 conf_level=conf_level, num_levels=spec.morris_levels,
                                 seed=seed)
            for i, p in enumerate(names):
                rows.append(_row(scenario, outcome, p, "morris", "mu_star", res["mu_star"][i],
                                 res["mu_star_conf"][i]))
                rows.append(_row(scenario, outcome, p, "morris", "sigma", res["sigma"][i],
                                 np.nan))
        else:
            from SALib.analyze import rbd_fast
            harmonics = min(10, (len(y) - 1) // 4)  # RBD-FAST needs N well above 2M
            if harmonics < 2:
                return [_row(scenario, outcome, p, "rbd_fast", "too_few_points", np.nan,
                             np.nan) for p in names]
            res = rbd_fast.analyze(problem, unit, y, M=harmonics, num_resamples=resamples,
                                   conf_level=conf_level, seed=seed)
            for i, p in enumerate(names):
                rows.append(_row(scenario, outcome, p, "rbd_fast", "S1", res["S1"][i],
                                 res["S1_conf"][i]))
    return rows


def _spearman(group: pd.DataFrame, params: list[str], outcome: str, scenario: str,
              conf_level: float, resamples: int, seed: int) -> list[dict]:
    """Rank correlation of each numeric parameter with the outcome over all runs, with a
    percentile-bootstrap half-width."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(seed)
    y = group[outcome].to_numpy(dtype=float)
    rows = []
    for p in params:
        x = pd.to_numeric(group[p], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
            rows.append(_row(scenario, outcome, p, "spearman", "rho", np.nan, np.nan))
            continue
        xs, ys = x[ok], y[ok]
        rho = spearmanr(xs, ys).statistic
        boots = []
        for _ in range(min(resamples, 200)):
            idx = rng.integers(0, len(xs), len(xs))
            if np.ptp(xs[idx]) > 0 and np.ptp(ys[idx]) > 0:
                boots.append(spearmanr(xs[idx], ys[idx]).statistic)
        half = (np.subtract(*np.nanpercentile(boots, [100 * (1 + conf_level) / 2,
                                                      100 * (1 - conf_level) / 2])) / 2
                if boots else np.nan)
        rows.append(_row(scenario, outcome, p, "spearman", "rho", rho, half))
    return rows
