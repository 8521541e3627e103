"""Paired and independent differences, multiple-comparison corrections and verdicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


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
