"""What paired assistance delivers to its villages: shared by designated units and partner
cities (seed 002 §2.1, §2.2, §4.5; 004 §4.8).

Each delivery channel turns money into something lasting in the paired villages: roads,
co-op places, local factory jobs, migrant placements, purchases of local products and
posted or exchanged cadres. Jobs and placements are held per household in
`AssistanceState` and pay wage income every month while they last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.infrastructure import fill_worst_first
from simulation.scenario import PROGRAMMES

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class AssistanceState:
    """Per-household jobs and placements created by assistance actors."""

    def __init__(self, n: int):
        self.job_wage = np.zeros(n)  # monthly household wage of a local job (yuan)
        self.job_left = np.zeros(n, dtype=np.int32)
        self.migrant_wage = np.zeros(n)  # monthly remittance of a placed migrant (yuan)
        self.migrant_left = np.zeros(n, dtype=np.int32)
        self.local_wages_paid = 0.0  # this month, sample yuan
        self.migrant_income_paid = 0.0

    def pay(self, model: PovertyModel) -> None:
        """Add this month's job and migrant income (after market income is set)."""
        hh = model.households
        self.local_wages_paid = self.migrant_income_paid = 0.0
        jobs = self.job_left > 0
        if jobs.any():
            hh.income[jobs, Source.WAGE] += self.job_wage[jobs] / hh.size[jobs]
            self.local_wages_paid = float(self.job_wage[jobs].sum())
            self.job_left[jobs] -= 1
        placed = self.migrant_left > 0
        if placed.any():
            pay = self.migrant_wage[placed] * model.migrant_employment
            hh.income[placed, Source.WAGE] += pay / hh.size[placed]
            self.migrant_income_paid = float(pay.sum())
            self.migrant_left[placed] -= 1


def rows_in(model: PovertyModel, villages: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.isin(model.households.village, villages))


def pick(model: PovertyModel, candidates: np.ndarray, k: int, stream: str) -> np.ndarray:
    """Up to k candidates, registered households first, otherwise in random order."""
    if k <= 0 or len(candidates) == 0:
        return candidates[:0]
    u = model.streams.rng(stream, model.month).random(len(candidates))
    priority = u - model.households.registered[candidates]
    return candidates[np.argsort(priority, kind="stable")[:k]]


def whole(model: PovertyModel, amount: float, unit: float, stream: str, cap: float) -> int:
    """How many units of `unit` yuan `amount` buys, rounding the fraction stochastically
    (so small samples still buy indivisible units on average), never more than `cap` yuan
    pays for: an actor may spend ahead from its fund, and later months then get less."""
    if amount <= 0 or unit <= 0:
        return 0
    x = amount / unit
    k = int(x) + int(model.streams.rng(stream, model.month).random() < x - int(x))
    return min(k, int(max(cap, 0.0) // unit))


def build_roads(model: PovertyModel, villages: np.ndarray, money: float) -> float:
    """Roads in the paired villages, worst first; returns money used."""
    if money <= 0 or len(villages) == 0:
        return 0.0
    v = model.villages
    cost = (model.config.instruments.infrastructure.road_cost_per_village * model.scale_cost
            * (0.5 + v.terrain[villages]))
    road = v.road[villages].copy()
    used = fill_worst_first(road, cost, money)
    v.road[villages] = road
    return used


def post_cadres(model: PovertyModel, villages: np.ndarray, money: float, cadre_cost: float,
                gain: float) -> float:
    """Cadre-months posted to the weakest paired task forces; returns money used."""
    month_cost = cadre_cost * model.scale_cost / 12.0
    months = int(money // month_cost)
    if months <= 0 or len(villages) == 0:
        return 0.0
    corps = model.cadres
    order = villages[np.argsort(corps.capacity[villages], kind="stable")]
    per = np.bincount(np.arange(months) % len(order), minlength=len(order))
    corps.capacity[order] += (1.0 - corps.capacity[order]) * (1.0 - (1.0 - gain / 12.0) ** per)
    return months * month_cost


def buy_products(model: PovertyModel, rows: np.ndarray, money: float, margin: float) -> float:
    """Purchases of local products: `margin` of the value is extra farm income, shared by
    producers in proportion to their farm income. Returns money used."""
    if money <= 0 or len(rows) == 0:
        return 0.0
    hh = model.households
    farm = hh.income[rows, Source.FARM] * hh.size[rows]
    total = float(farm.sum())
    if total <= 0:
        return 0.0
    hh.income[rows, Source.FARM] += money * margin * farm / total / hh.size[rows]
    return money


def cooperative_places(model: PovertyModel, rows: np.ndarray, k: int, stream: str) -> int:
    """Give k households (registered, with labour, not yet members) co-op places."""
    hh = model.households
    cand = rows[(hh.labour[rows] > 0) & (hh.cooperative[rows] < 0) & hh.registered[rows]]
    chosen = pick(model, cand, k, stream)
    if len(chosen):
        coop = model.instruments["cooperative"]
        kk = PROGRAMMES.index("cooperative")
        coop.enrol(model, chosen)
        hh.participating[chosen, kk] = True
        hh.joined[chosen, kk] = model.month
    return len(chosen)


def local_jobs(model: PovertyModel, state: AssistanceState, rows: np.ndarray, k: int,
               wage: float, months: int, stream: str) -> int:
    hh = model.households
    cand = rows[(hh.labour[rows] > 0) & (state.job_left[rows] == 0)]
    chosen = pick(model, cand, k, stream)
    state.job_wage[chosen] = wage
    state.job_left[chosen] = months
    return len(chosen)


def placements(model: PovertyModel, state: AssistanceState, rows: np.ndarray, k: int,
               remittance: float, months: int, stream: str) -> int:
    hh = model.households
    cand = rows[(hh.labour[rows] > 0) & (state.migrant_left[rows] == 0)
                & (hh.head_age[rows] < 60)]
    chosen = pick(model, cand, k, stream)
    state.migrant_wage[chosen] = remittance
    state.migrant_left[chosen] = months
    return len(chosen)
