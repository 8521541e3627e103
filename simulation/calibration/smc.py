"""A likelihood-tempered sequential Monte Carlo sampler (no povsim inside).

Targets π_β(θ) ∝ prior(θ) · L(θ)^β for β rising from 0 (the prior) to 1 (the posterior).
Each step picks the next β by bisection so that the reweighted particles keep a chosen
fraction of their effective sample size, resamples them (systematic), and moves them with
random-walk Metropolis steps whose proposal covariance is the particles' own (scaled by
2.38²/d). `evaluate` scores a whole batch of points at once, which is what lets the caller
run a batch as one `run_tasks` call on a pool or a Dask cluster.

Why not ABC with an ε schedule: with the targets' own likelihood as the acceptance kernel
(Wilkinson 2013) the tempered sequence ends at the likelihood's posterior itself, where an
ε → 0 schedule on a distance would shrink past it (it ignores the reported values' noise).

Everything random is drawn from one seeded generator in a fixed order and `evaluate` is
called with the same batches in the same order, so a rerun that reads evaluations from a
cache replays the run exactly: that is how checkpoints resume.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class PriorLike(Protocol):
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray: ...
    def logpdf(self, x: np.ndarray) -> np.ndarray: ...


class Scored(Protocol):
    """What `evaluate` returns per point: anything with a log-likelihood."""

    loglik: float


#: evaluate(points n×d, evaluation ids) -> one scored record per point, in order.
Evaluate = Callable[[np.ndarray, np.ndarray], Sequence[Scored]]


@dataclass
class Step:
    """One tempering step, for the trace and the progress display."""

    generation: int
    beta: float
    ess: float  # effective sample size of the reweighted particles, before resampling
    moves: int
    acceptance: float  # mean Metropolis acceptance over the step's moves
    evaluations: int  # evaluations so far (including the prior draw)
    log_evidence: float  # running estimate of log ∫ prior · L


@dataclass
class SMCResult:
    x: np.ndarray  # final particles (n × d), equally weighted
    records: list[Any]  # the evaluation record of each final particle
    loglik: np.ndarray
    steps: list[Step] = field(default_factory=list)
    beta: float = 0.0
    evaluations: int = 0

    @property
    def converged(self) -> bool:
        """True when the sample targets the posterior (β = 1), not a tempered version."""
        return self.beta >= 1.0


def ess(logw: np.ndarray) -> float:
    """Effective sample size (Σw)²/Σw² of log-weights."""
    finite = np.isfinite(logw)
    if not finite.any():
        return 0.0
    w = np.exp(logw[finite] - logw[finite].max())
    return float(w.sum() ** 2 / (w * w).sum())


def next_beta(loglik: np.ndarray, beta: float, fraction: float) -> float:
    """The largest β' ≤ 1 whose incremental weights L^(β'-β) keep `fraction` of the ESS."""
    n = len(loglik)
    ll = np.where(np.isfinite(loglik), loglik, -np.inf)
    if ess((1.0 - beta) * ll) >= fraction * n:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(60):  # bisection to ~1e-18 in β: enough for any double
        mid = 0.5 * (lo + hi)
        if ess((mid - beta) * ll) >= fraction * n:
            lo = mid
        else:
            hi = mid
    return max(lo, beta + 1e-12)


def systematic_resample(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn by systematic resampling (one uniform; low variance)."""
    n = len(logw)
    w = np.exp(logw - logw[np.isfinite(logw)].max())
    w = np.where(np.isfinite(w), w, 0.0)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    u = (rng.uniform() + np.arange(n)) / n
    return np.searchsorted(cum, u, side="left")


def _proposal_chol(x: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Cholesky factor of the particles' covariance (×2.38²/d), floored per axis so that a
    collapsed cloud still moves."""
    d = x.shape[1]
    cov = np.atleast_2d(np.cov(x, rowvar=False)) if len(x) > 1 else np.zeros((d, d))
    cov = cov + np.diag(floor ** 2)
    cov *= 2.38 ** 2 / d
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return np.diag(np.sqrt(np.clip(np.diag(cov), 1e-300, None)))


def tempered_smc(prior: PriorLike, evaluate: Evaluate, particles: int, seed: int,
                 ess_fraction: float = 0.5, min_moves: int = 2, max_moves: int = 8,
                 max_generations: int = 40, floor: np.ndarray | None = None,
                 on_step: Callable[[Step], None] | None = None) -> SMCResult:
    """Run the sampler; `floor` is a per-parameter minimum proposal sd (e.g. 1e-4 × prior sd)."""
    rng = np.random.default_rng(seed)
    n = particles
    x = prior.sample(rng, n)
    d = x.shape[1]
    floor = np.zeros(d) if floor is None else np.asarray(floor, dtype=float)
    counter = 0

    def score(points: np.ndarray) -> tuple[list[Any], np.ndarray]:
        nonlocal counter
        ids = np.arange(counter, counter + len(points))
        counter += len(points)
        recs = list(evaluate(points, ids)) if len(points) else []
        return recs, np.array([r.loglik for r in recs], dtype=float)

    records, ll = score(x)
    logprior = prior.logpdf(x)
    beta, log_z = 0.0, 0.0
    steps: list[Step] = []
    for generation in range(1, max_generations + 1):
        if beta >= 1.0:
            break
        new_beta = next_beta(ll, beta, ess_fraction)
        inc = (new_beta - beta) * np.where(np.isfinite(ll), ll, -np.inf)
        top = inc[np.isfinite(inc)].max()
        log_z += float(top + math.log(np.mean(np.exp(inc - top))))
        step_ess = ess(inc)
        idx = systematic_resample(inc, rng)
        x, ll, logprior = x[idx], ll[idx], logprior[idx]
        records = [records[i] for i in idx]
        beta = new_beta
        chol = _proposal_chol(x, floor)
        accepted, tried, move, planned = 0, 0, 0, min_moves
        scale = 1.0
        while move < planned:
            z = rng.standard_normal((n, d))
            prop = x + scale * z @ chol.T
            lp_prop = prior.logpdf(prop)
            inside = np.flatnonzero(np.isfinite(lp_prop))
            recs_in, ll_in = score(prop[inside])
            ll_prop = np.full(n, -np.inf)
            ll_prop[inside] = ll_in
            log_alpha = beta * (ll_prop - ll) + lp_prop - logprior
            log_alpha = np.where(np.isfinite(ll_prop), log_alpha, -np.inf)
            u = np.log(rng.uniform(size=n))
            ok = u < log_alpha
            rec_prop: list[Any] = [None] * n
            for j, i in enumerate(inside):
                rec_prop[i] = recs_in[j]
            for i in np.flatnonzero(ok):
                records[i] = rec_prop[i]
            x = np.where(ok[:, None], prop, x)
            ll = np.where(ok, ll_prop, ll)
            logprior = np.where(ok, lp_prop, logprior)
            rate = float(ok.mean())
            accepted += int(ok.sum())
            tried += n
            move += 1
            if move == 1:  # plan the moves: P(a particle never moved) ≈ (1 - rate)^moves
                stay = min(max(1.0 - rate, 1e-9), 1.0 - 1e-9)
                planned = int(np.clip(math.ceil(math.log(0.1) / math.log(stay)),
                                      min_moves, max_moves))
            if rate < 0.1:  # a cloud much wider than the target: smaller steps
                scale *= 0.5
            elif rate > 0.5:
                scale = min(scale * 1.5, 2.0)
        step = Step(generation, beta, step_ess, move, accepted / max(tried, 1), counter, log_z)
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return SMCResult(x, records, ll, steps, beta, counter)
