"""Which parameters the targets pin: posterior spread against prior spread, and trade-offs.

The ratio posterior sd / prior sd is about 1 when the targets say nothing about a parameter
(the posterior is the prior) and small when they pin it; a strong posterior correlation
means two parameters trade off (a ridge: the data fix a combination, not each one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: sd ratio at or below which a parameter counts as pinned by the targets.
IDENTIFIED = 0.5
#: sd ratio above which the targets barely inform a parameter (posterior ≈ prior).
UNIDENTIFIED = 0.8
#: |correlation| at or above which two parameters are reported as trading off.
RIDGE = 0.7


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    cw /= cw[-1]
    return float(x[order][min(np.searchsorted(cw, q, side="left"), len(x) - 1)])


def verdict(ratio: float) -> str:
    if ratio <= IDENTIFIED:
        return "identified"
    if ratio <= UNIDENTIFIED:
        return "weakly identified"
    return "not identified"


def identifiability_table(x: np.ndarray, w: np.ndarray, names: list[str],
                          prior_mean: np.ndarray, prior_sd: np.ndarray,
                          prior_kind: list[str] | None = None
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per parameter, the posterior correlation matrix) from weighted draws."""
    w = np.asarray(w, dtype=float) / np.sum(w)
    mean = w @ x
    cov = np.atleast_2d(np.cov(x, rowvar=False, aweights=w)) if len(x) > 1 else np.zeros(
        (len(names), len(names)))
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    rows = []
    for j, n in enumerate(names):
        ratio = float(sd[j] / prior_sd[j]) if prior_sd[j] > 0 else float("nan")
        others = [(names[k], corr[j, k]) for k in range(len(names)) if k != j]
        ridge = [f"{m} ({r:+.2f})" for m, r in others if abs(r) >= RIDGE]
        rows.append({"parameter": n, "prior": (prior_kind or ["uniform"] * len(names))[j],
                     "prior_mean": float(prior_mean[j]), "prior_sd": float(prior_sd[j]),
                     "posterior_mean": float(mean[j]), "posterior_sd": float(sd[j]),
                     "q05": weighted_quantile(x[:, j], w, 0.05),
                     "q50": weighted_quantile(x[:, j], w, 0.5),
                     "q95": weighted_quantile(x[:, j], w, 0.95),
                     "sd_ratio": ratio, "verdict": verdict(ratio),
                     "max_abs_correlation": max((abs(r) for _, r in others), default=0.0),
                     "trades_off_with": "; ".join(ridge)})
    return pd.DataFrame(rows), pd.DataFrame(corr, index=names, columns=names)


def markdown_table(table: pd.DataFrame, corr: pd.DataFrame) -> str:
    """The identifiability table and the correlation matrix as Markdown."""
    cols = ["parameter", "prior", "prior_sd", "posterior_mean", "posterior_sd", "q05", "q95",
            "sd_ratio", "verdict", "trades_off_with"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = [f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c] or "") for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"sd_ratio = posterior sd / prior sd: ≤ {IDENTIFIED} identified, "
              f"> {UNIDENTIFIED} not identified by these targets (posterior ≈ prior); "
              f"pairs with |correlation| ≥ {RIDGE} trade off.", "",
              "Posterior correlations:", "",
              "| | " + " | ".join(corr.columns) + " |", "|---|" + "---|" * len(corr.columns)]
    for name, row in corr.iterrows():
        lines.append(f"| {name} | " + " | ".join(f"{v:+.2f}" for v in row) + " |")
    return "\n".join(lines)
