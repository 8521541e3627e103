"""Log-likelihood of one target given the model's value, as a loss.

Each component is the negative log-likelihood *relative to a perfect fit* (the model value
equal to the reported one), so a component is 0 when the model hits the target and grows
with the misfit; the weighted sum is the calibration loss. Relative terms make the loss
by component readable (about ½ per standard error squared for a normal target) without
changing the optimum.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import optimize, stats

from simulation.calibration.targets import Target

EPS = 1e-9
#: Loss given to a parameter point whose model value is undefined (NaN).
PENALTY = 1e12


def _clip(p: float) -> float:
    return float(min(max(p, EPS), 1.0 - EPS))


def _binomial(k: int, n: int, m: float) -> float:
    return float(stats.binom.logpmf(k, n, _clip(m)))


def _beta_binomial(k: int, n: int, m: float, rho: float) -> float:
    m = _clip(m)
    a, b = m * (1 - rho) / rho, (1 - m) * (1 - rho) / rho
    return float(stats.betabinom.logpmf(k, n, a, b))


@functools.lru_cache(maxsize=1024)
def _beta_binomial_max(k: int, n: int, rho: float) -> float:
    """Highest log-likelihood over the model share (not at k/n for one clustered count)."""
    res = optimize.minimize_scalar(lambda m: -_beta_binomial(k, n, m, rho),
                                   bounds=(EPS, 1 - EPS), method="bounded",
                                   options={"xatol": 1e-10})
    return max(-float(res.fun), _beta_binomial(k, n, k / n, rho))


def negative_log_likelihood(target: Target, model: float) -> float:
    """Unweighted loss of one target (0 at a perfect fit; inf if the model value is NaN)."""
    if model is None or not math.isfinite(model):
        return math.inf
    v = target.value
    if target.likelihood == "normal":
        if target.bound == "lower" and model >= v:
            return 0.0
        if target.bound == "upper" and model <= v:
            return 0.0
        z = (model - v) / target.sigma
        return 0.5 * z * z
    n = max(int(round(target.uncertainty.sample_size)), 1)
    k = int(round(v * n))
    observed = k / n
    if target.likelihood == "binomial":
        return _binomial(k, n, observed) - _binomial(k, n, model)
    rho = float(target.uncertainty.overdispersion)
    return max(_beta_binomial_max(k, n, rho) - _beta_binomial(k, n, model, rho), 0.0)


def weighted_components(targets: list[Target], values: dict[str, float],
                        weights: dict[str, float] | None = None) -> dict[str, float]:
    """{target name: weight x loss} for every target in `targets`."""
    weights = weights or {}
    out: dict[str, float] = {}
    for t in targets:
        w = weights.get(t.name, t.weight)
        loss = negative_log_likelihood(t, values.get(t.name, float("nan")))
        out[t.name] = 0.0 if w == 0 else w * loss
    return out


def total(components: dict[str, float]) -> float:
    """Sum of components; a non-finite sum becomes a large finite penalty, which every
    scipy optimizer handles (some mishandle inf)."""
    s = float(np.sum(list(components.values()))) if components else 0.0
    return s if math.isfinite(s) else PENALTY
