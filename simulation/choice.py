"""The household take-up rule: who applies to a programme, and who gets a place.

Each month a share of aware, eligible households weighs each programme. The probability
that one applies is the logistic of a utility that weighs (seed 000 §4.3; 001 'Target
groups'; 003 'endogenous power'):

    U = intercept + gain * log(1 + expected relative gain) * understanding
        + trust * (trust - 0.5) + peer * (share of neighbours taking part)
        + motivation * (motivation - 0.5) - risk * (programme risk) * (risk aversion)
        + ability * (ability to use the programme - 0.5)

When more apply than the budget allows, cadres give places to registered households first
and otherwise in random order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulation.households import HouseholdTable
from simulation.scenario import Behaviour
from simulation.streams import Streams

#: What a household weighs: expected relative gain, ability, share of peers taking part.
Weights = tuple[np.ndarray, np.ndarray, np.ndarray]


def _probability(b: Behaviour, understanding: np.ndarray, trust: np.ndarray,
                 motivation: np.ndarray, risk_aversion: np.ndarray, gain: np.ndarray,
                 ability: np.ndarray, risk: float, peer: np.ndarray) -> np.ndarray:
    u = (b.intercept + b.gain * np.log1p(np.maximum(gain, 0.0)) * understanding
         + b.trust * (trust - 0.5) + b.peer * peer
         + b.motivation * (motivation - 0.5) - b.risk * risk * risk_aversion
         + b.ability * (ability - 0.5))
    return b.consideration_rate / (1.0 + np.exp(-u))


def choose_rows(b: Behaviour, hh: HouseholdTable, k: int, name: str, rows: np.ndarray,
                weigh: Callable[[np.ndarray], Weights], risk: float, slots: int, month: int,
                streams: Streams) -> np.ndarray:
    """Rows of households that join programme k this month (at most `slots`), given the
    candidate rows (aware, eligible non-members); `weigh(rows)` gives the gains, abilities
    and peer shares of some of them.

    Draws are per household from the programme's own streams (common random numbers), so
    computing only for some rows changes nothing. The probability of applying never exceeds
    `consideration_rate`, so only the rows whose draw is below it are weighed (about a
    quarter); the ranking draw is made only when more apply than there are places.
    """
    if slots <= 0 or len(rows) == 0:
        return np.empty(0, dtype=np.int64)
    u_apply = streams.uniform(f"takeup.{name}", month, hh.n)
    # p = rate / (1 + exp(-U)) <= rate; a small margin keeps every row that could apply.
    rows = rows[u_apply[rows] < b.consideration_rate * (1 + 1e-6)]
    if len(rows) == 0:
        return rows
    gain, ability, peer = weigh(rows)
    p = _probability(b, hh.understanding[rows, k], hh.trust[rows], hh.motivation[rows],
                     hh.risk_aversion[rows], gain, ability, risk, peer)
    applicants = rows[u_apply[rows] < p]
    if len(applicants) > slots:
        u_rank = streams.uniform(f"takeup.{name}.rank", month, hh.n)
        priority = u_rank[applicants] - hh.registered[applicants]  # registered first
        applicants = applicants[stable_order(priority)[:slots]]
    return np.sort(applicants)


def stable_order(values: np.ndarray) -> np.ndarray:
    """`np.argsort(values, kind="stable")` for float32 values, from one sort of unique keys.

    Each value is mapped to an unsigned integer in the same order (the usual flip of the
    sign bit) and joined with its position, so ties keep their order; sorting these plain
    integers is several times faster than a stable float sort.
    """
    bits = (np.asarray(values, dtype=np.float32) + np.float32(0)).view(np.uint32)  # -0 -> +0
    key = np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(0x80000000))
    joined = (key.astype(np.uint64) << np.uint64(32)) | np.arange(len(bits), dtype=np.uint64)
    return (np.sort(joined) & np.uint64(0xFFFFFFFF)).astype(np.int64)


class RowView:
    """Household columns restricted to some rows, each indexed on first use.

    Properties of the household table (e.g. `elderly`) are evaluated on the view, so a rule
    written for the whole table gives the same values row by row.
    """

    def __init__(self, hh, rows: np.ndarray):
        self._hh = hh
        self._rows = rows

    @property
    def n(self) -> int:
        return len(self._rows)

    def __getattr__(self, name: str):
        prop = getattr(type(self._hh), name, None)
        if isinstance(prop, property):
            value = prop.fget(self)
        else:
            value = getattr(self._hh, name)[self._rows]
        setattr(self, name, value)
        return value
