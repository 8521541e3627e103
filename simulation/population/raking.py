"""Raking: survey weights adjusted until the records reproduce the region's published totals.

A survey's households are rarely a perfect picture of the region: some villages are
sampled more, non-response differs. Raking (iterative proportional fitting) multiplies
the survey weights, margin by margin, until the weighted records have the card's shares
(elderly heads, low schooling, income-poor, remote, registered), changing the weights as
little as that needs. The fitting is Meta's `balance` library (`balance.weighting_methods
.rake.rake`, marginal targets); the choice against samplics, weightipy and ipfn is in
docs/regions.md, "Raking". Here: which records fall in each margin, the people margins
(shares of people, raked through household targets), and the checks: a margin the records
cannot reach is an error that says which and by how much, not a silent best effort.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from simulation.population.records import MicrodataError, Records, read_records
from simulation.population.spec import MARGINS, Margins, MicrodataSpec
from simulation.scenario.economy import DEFAULT_POVERTY_LINE

#: Largest gap between an achieved and a target share accepted as reached.
TOLERANCE = 1e-4
#: Rounds of the outer loop that turns people shares into household targets.
PEOPLE_ROUNDS = 60


class RakingError(MicrodataError):
    """Margins the records cannot be raked to (absent categories, inconsistent shares)."""


@dataclass(frozen=True)
class MarginCheck:
    name: str
    of: str
    target: float
    before: float  # with the survey weights
    achieved: float  # with the raked weights

    @property
    def error(self) -> float:
        return self.achieved - self.target


@dataclass(frozen=True)
class RakeResult:
    """Raked weights (summing to `total`) and how well they meet the margins."""

    weights: np.ndarray
    total: float
    converged: bool
    iterations: int  # raking passes (all rounds of the people loop added up)
    margins: tuple[MarginCheck, ...]

    @property
    def max_error(self) -> float:
        return max((abs(m.error) for m in self.margins), default=0.0)

    @property
    def design_effect(self) -> float:
        """Kish's design effect of the weights, 1 + cv^2: the precision a sample drawn with
        them loses to their spread."""
        w = self.weights
        return float(len(w) * np.sum(w ** 2) / np.sum(w) ** 2)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"margin": m.name, "of": m.of, "target": m.target,
                              "survey weights": m.before, "raked": m.achieved,
                              "error": m.error} for m in self.margins])

    def summary(self) -> str:
        lines = [f"raking {'converged' if self.converged else 'did NOT converge'} in "
                 f"{self.iterations} passes; largest margin error {self.max_error:.2e}; "
                 f"design effect {self.design_effect:.2f}; households {self.total:,.0f}"]
        lines += [f"  {m.name} ({m.of}): target {m.target:.4f}, survey weights "
                  f"{m.before:.4f}, raked {m.achieved:.4f}" for m in self.margins]
        return "\n".join(lines)


def poverty_line(year: int) -> float:
    """The national line of the records' year (current yuan; nearest year outside the table)."""
    years = sorted(DEFAULT_POVERTY_LINE)
    return float(DEFAULT_POVERTY_LINE[min(max(year, years[0]), years[-1])])


def indicator(records: Records, name: str) -> np.ndarray:
    """Which records count towards margin `name` (MARGINS says what each counts)."""
    if name == "elderly":
        return records.head_age >= 60
    if name == "low_education":
        return records.education <= 6  # HouseholdTable.low_education
    if name == "chronic":
        return records.chronic.astype(bool)
    if name == "income_poor":
        return records.disposable_pc < poverty_line(records.year)
    column = {"remote": records.remote, "registered": records.registered}[name]
    if column is None:
        raise RakingError(f"{records.source}: margin {name!r} needs the records' {name} "
                          f"column ({MARGINS[name]}); the file has none: map it with "
                          f"microdata.columns.{name} or drop the margin")
    return column.astype(bool)


def _share(w: np.ndarray, x: np.ndarray, people: np.ndarray | None) -> float:
    unit = w if people is None else w * people
    return float(unit[x].sum() / unit.sum())


@contextlib.contextmanager
def _quiet_balance():
    """balance logs a banner on import and INFO lines on every call; keep warnings only."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)


def _rake_households(records: Records, indicators: dict[str, np.ndarray],
                     targets: dict[str, float], total: float) -> tuple[np.ndarray, bool, int]:
    """One raking to household shares with balance: weights, converged, passes."""
    with _quiet_balance():
        from balance.weighting_methods.rake import rake

        sample = pd.DataFrame({name: np.where(x, "1", "0") for name, x in indicators.items()})
        target, target_weights = _target_frame(targets, total)
        out = rake(sample, pd.Series(records.weight), target, target_weights,
                   variables=list(targets), transformations=None, max_iteration=2000,
                   convergence_rate=TOLERANCE / 10, rate_tolerance=0.0)
    model = out["model"]
    passes = len(model.get("iterations", ())) or 1
    return out["weight"].to_numpy(dtype=np.float64), bool(model.get("converged", 1)), passes


def _target_frame(targets: dict[str, float], total: float) -> tuple[pd.DataFrame, pd.Series]:
    """A target population with exactly these shares: rows of u ~ U(0, 1) cut at every
    share, variable k being "1" where u < share k, weighted by the interval's length.

    Raking reads only its margins. (balance's `target_margins` realises margins as at most
    `target_margins_max_length` rows, rounding the shares; these few rows do not round.)
    """
    cuts = np.unique([0.0, *targets.values(), 1.0])
    low, high = cuts[:-1], cuts[1:]
    frame = pd.DataFrame({name: np.where(low < share, "1", "0")
                          for name, share in targets.items()})
    return frame, pd.Series((high - low) * total)


def rake_records(records: Records, margins: Margins) -> RakeResult:
    """The records' weights raked to `margins` (docs/regions.md, "Raking").

    Shares of people are met through household targets: rake, compare the people share
    reached with the target, move the household target by the difference in log-odds,
    and rake again until every margin is within TOLERANCE.
    """
    given = margins.given()
    total = margins.households or float(records.weight.sum())
    wanted = margins.shares()
    indicators = {name: indicator(records, name) for name in given}
    for name, x in indicators.items():
        inside = int(x.sum())
        if inside == 0 or inside == records.n:
            which = "no" if inside == 0 else "every"
            raise RakingError(
                f"{records.source}: margin {name!r} (share {wanted[name]:.4g} of "
                f"{given[name].of}) cannot be met: {which} household of the {records.n} "
                f"records counts as {name} ({MARGINS[name]}); raking can only reweight "
                "categories the records have")
    people = {name: records.size if m.of == "people" else None for name, m in given.items()}
    before = {name: _share(records.weight, x, people[name]) for name, x in indicators.items()}
    if not given:
        weights = records.weight * total / records.weight.sum()
        return RakeResult(weights, total, True, 0, ())
    targets = dict(wanted)
    passes, converged = 0, True
    for _ in range(PEOPLE_ROUNDS):
        weights, ok, n = _rake_households(records, indicators, targets, total)
        passes += n
        achieved = {name: _share(weights, x, people[name]) for name, x in indicators.items()}
        gaps = {name: achieved[name] - wanted[name] for name in given}
        worst = max(abs(g) for g in gaps.values())
        converged = ok and worst <= TOLERANCE
        if (converged and worst <= TOLERANCE / 10) or all(p is None for p in people.values()):
            break
        for name in given:
            if people[name] is not None:
                targets[name] = float(expit(logit(targets[name]) + logit(wanted[name])
                                            - logit(min(max(achieved[name], 1e-9),
                                                        1 - 1e-9))))
    checks = tuple(MarginCheck(name, given[name].of, wanted[name], before[name],
                               achieved[name]) for name in given)
    result = RakeResult(weights, total, converged, passes, checks)
    if not converged:
        raise RakingError(f"{records.source}: the margins cannot all be met by reweighting "
                          "these records (inconsistent with each other or with the records; "
                          "largest error "
                          f"{result.max_error:.4f}, tolerance {TOLERANCE}):\n"
                          + "\n".join(result.summary().splitlines()[1:]))
    return result


def raked(md: MicrodataSpec) -> tuple[Records, RakeResult]:
    """The records of `md` and their raked weights (cached while the file is unchanged)."""
    records = read_records(md)
    stat = Path(records.source).stat()
    key = (records.source, stat.st_mtime_ns, stat.st_size, md.model_dump_json())
    if key not in _CACHE:
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = rake_records(records, md.margins)
    return records, _CACHE[key]


_CACHE: dict[tuple, RakeResult] = {}
