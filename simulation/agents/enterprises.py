"""Private enterprises that hire poor workers (seed 002 §3.1, §4.2; 004 §4.4).

Few private firms took part in Liangshan (002 §3.1); the seed's remedy is tax incentives
(pre-tax deduction of poverty donations, foundations) and credit support (interest
subsidies, guarantees) for firms that help (002 §4.2). Here each would-be firm joins with a
yearly hazard that rises with both. A joining firm commits its share of the potential
payroll for the rest of the period, sets up in one village (firms prefer accessible ones)
and hires eligible workers, from its own village first and registered households first; it
pays them every month from its commitment while the period lasts.

The firms' state lives in arrays; `Enterprise` is a Mesa agent viewing one firm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.agents import assistance as a
from simulation.agents.funds import ActorFund
from simulation.households import Source

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class EnterpriseSector:
    key = "enterprises"

    def __init__(self, model: PovertyModel):
        cfg = model.config.actors.enterprises
        self.cfg = cfg
        self.fund = ActorFund(model, cfg, self.key, raised=True)
        rep = model.config.region.households_represented
        self.potential = (int(round(cfg.potential_per_10k * rep / 1e4))
                          if cfg.enabled and self.fund.potential > 0 else 0)
        self.period = max(self.fund.last - self.fund.first + 1, 1)
        self.per_firm = self.fund.potential / self.potential if self.potential else 0.0
        self.village = np.zeros(0, dtype=np.int64)
        self.workers = np.zeros(0, dtype=np.int64)
        self.employer = np.full(model.households.n, -1, dtype=np.int64)
        self.wages_paid = 0.0  # this month, sample yuan

    @property
    def count(self) -> int:
        return len(self.village)

    def participation(self) -> float:
        """Yearly hazard of joining, raised by tax incentives and credit support."""
        c = self.cfg
        rate = c.base_participation * (1 + c.tax_weight * c.tax_incentive
                                       + c.credit_weight * c.credit_support)
        return 1.0 - np.exp(-rate)

    def step(self, model: PovertyModel) -> None:
        self.wages_paid = 0.0
        month, fund = model.month, self.fund
        if not fund.is_open(month) or self.potential == 0:
            self.employer[:] = -1  # jobs end with the firms' period
            return
        left = fund.last - month + 1
        free = self.potential - self.count
        if free > 0 and self.per_firm > 0:
            rng = model.streams.rng("enterprises.join", month)
            new = int(rng.binomial(free, 1.0 - (1.0 - self.participation()) ** (1 / 12)))
            if new:
                access = 1.1 - model.villages.remoteness
                villages = rng.choice(model.villages.n, new, p=access / access.sum())
                weight = model.transition.weight(self.key, month)
                commitment = self.per_firm * min(left, self.period) / self.period * weight
                hh = model.households
                # Eligible workers, registered households first, in this month's random
                # order; each firm hires from its own village first, then from elsewhere
                # in the region (dormitories, commuting).
                pool = np.flatnonzero((hh.labour > 0) & (self.employer < 0)
                                      & self.fund.eligible(model))
                pool = a.pick(model, pool, len(pool), "enterprises.pick")
                for v in villages:
                    self._join(model, int(v), commitment, left, pool)
        self._pay(model)

    def _join(self, model: PovertyModel, village: int, commitment: float, left: int,
              pool: np.ndarray) -> None:
        cfg, hh = self.cfg, model.households
        firm = self.count
        self.fund.receive(commitment)
        monthly = commitment * (1.0 - cfg.overhead) / left
        k = a.whole(model, monthly, cfg.job_wage, f"enterprises.hire.{firm}", monthly * left)
        free = pool[self.employer[pool] < 0]
        local = free[hh.village[free] == village]
        hired = np.concatenate([local[:k], free[hh.village[free] != village][:max(
            k - len(local), 0)]])
        self.employer[hired] = firm
        self.village = np.append(self.village, village)
        self.workers = np.append(self.workers, len(hired))
        Enterprise(model, firm)

    def _pay(self, model: PovertyModel) -> None:
        hh, cfg = model.households, self.cfg
        employed = np.flatnonzero(self.employer >= 0)
        if len(employed) == 0:
            return
        can = self.fund.spendable * (1.0 - cfg.overhead)
        share = min(1.0, can / (len(employed) * cfg.job_wage))
        if share <= 0:
            return
        hh.income[employed, Source.WAGE] += cfg.job_wage * share / hh.size[employed]
        self.wages_paid = len(employed) * cfg.job_wage * share
        self.fund.charge(self.wages_paid)


class Enterprise(mesa.Agent):
    """A participating private firm, viewing its row of the sector arrays."""

    def __init__(self, model: PovertyModel, row: int):
        super().__init__(model)
        self.row = row

    @property
    def village(self) -> int:
        return int(self.model.actors.enterprises.village[self.row])

    @property
    def workers(self) -> int:
        return int(self.model.actors.enterprises.workers[self.row])
