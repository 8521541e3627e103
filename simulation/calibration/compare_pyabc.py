"""The library comparison behind docs/calibration.md ("Posterior"): pyabc's exact ABC-SMC
(stochastic acceptor + temperature schedule, the same likelihood-as-kernel idea) against
our tempered SMC, on a synthetic case whose posterior is known exactly: a linear model
y = Aθ observed with independent normal noise, a flat prior on a box.

    pip install -e '.[abc]'          # pyabc is optional: only this comparison uses it
    python -m simulation.calibration.compare_pyabc

It reports, for each sampler: simulations used, wall time, the error of the posterior mean
and sd (in posterior sd) and whether two runs with the same seed give identical draws.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.calibration.smc import tempered_smc

A = np.array([[1.0, 1.0], [1.0, -0.5], [0.3, 0.0]])
SIGMA = np.array([0.05, 0.1, 0.2])
Y = A @ np.array([0.3, 0.6]) + np.array([0.02, -0.05, 0.1])
LOW, HIGH = -2.0, 2.0


def exact() -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and sd (the box is wide enough to ignore the truncation)."""
    prec = A.T @ np.diag(SIGMA ** -2) @ A
    cov = np.linalg.inv(prec)
    return cov @ A.T @ np.diag(SIGMA ** -2) @ Y, np.sqrt(np.diag(cov))


@dataclass
class Scored:
    loglik: float


class Box:
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(LOW, HIGH, size=(n, 2))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return np.where(((x >= LOW) & (x <= HIGH)).all(axis=1), 0.0, -np.inf)


def ours(particles: int, seed: int) -> tuple[np.ndarray, np.ndarray, int, float]:
    started = time.perf_counter()

    def evaluate(xs: np.ndarray, ids: np.ndarray) -> list[Scored]:
        r = (xs @ A.T - Y) / SIGMA
        return [Scored(-0.5 * float(v)) for v in (r ** 2).sum(axis=1)]

    res = tempered_smc(Box(), evaluate, particles, seed)
    return res.x, np.full(len(res.x), 1 / len(res.x)), res.evaluations, \
        time.perf_counter() - started


def theirs(particles: int, seed: int, workers: int = 1
           ) -> tuple[np.ndarray, np.ndarray, int, float]:
    import pyabc

    started = time.perf_counter()
    np.random.seed(seed)  # pyabc draws from numpy's global generator
    prior = pyabc.Distribution(a=pyabc.RV("uniform", LOW, HIGH - LOW),
                               b=pyabc.RV("uniform", LOW, HIGH - LOW))

    def model(p: dict) -> dict:
        return {"y": A @ np.array([p["a"], p["b"]])}

    sampler = (pyabc.sampler.SingleCoreSampler() if workers == 1 else
               pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers))
    abc = pyabc.ABCSMC(model, prior, pyabc.IndependentNormalKernel(var=SIGMA ** 2),
                       population_size=particles, eps=pyabc.Temperature(),
                       acceptor=pyabc.StochasticAcceptor(), sampler=sampler)
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", {"y": Y})
        history = abc.run(max_nr_populations=30)
        df, w = history.get_distribution()
        sims = int(history.total_nr_simulations)
    return df[["a", "b"]].to_numpy(), np.asarray(w), sims, time.perf_counter() - started


def summary(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = w / w.sum()
    mean = w @ x
    return mean, np.sqrt(w @ (x - mean) ** 2)


def main(particles: int = 1000) -> int:
    try:
        import pyabc  # noqa: F401
    except ImportError:
        print("pyabc is not installed: pip install -e '.[abc]'", file=sys.stderr)
        return 2
    mu, sd = exact()
    print(f"exact posterior: mean {mu.round(4)}, sd {sd.round(4)}")
    print("| sampler | simulations | wall s | max mean error (sd) | max sd error | "
          "same seed, same draws |")
    print("|---|---|---|---|---|---|")
    for name, fn, kw in (("tempered SMC (ours)", ours, {}),
                         ("pyabc ABCSMC, stochastic acceptor, 1 process", theirs, {}),
                         ("pyabc ABCSMC, stochastic acceptor, 2 processes", theirs,
                          {"workers": 2})):
        x, w, sims, wall = fn(particles, 7, **kw)
        x2, _, _, _ = fn(particles, 7, **kw)
        m, s = summary(x, w)
        same = x.shape == x2.shape and bool(np.array_equal(x, x2))
        print(f"| {name} | {sims} | {wall:.1f} | {np.max(np.abs(m - mu) / sd):.3f} | "
              f"{np.max(np.abs(s / sd - 1)):.3f} | {'yes' if same else 'no'} |")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
