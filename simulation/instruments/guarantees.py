"""Works that close the non-income exit criteria: safe housing, compulsory education, basic
medical cover and safe drinking water (simulation/guarantees.py; reference-figures.md, The
register; seed 004 §1).

Each month the money the ledger allows closes the deficit of as many households as it pays
for, registered households first and otherwise in random order (fractions of a unit are
rounded stochastically, so small samples still buy whole units on average). Water is built
village by village, where most registered households lack it. Medical assistance also pays a
share of enrolled registered households' illness costs while it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Deficit, Source
from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class GuaranteeWorks(InstrumentBase):
    """Closes one deficit household by household at `cost_per_household`."""

    deficit: Deficit = Deficit.HOUSING

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.closed = 0  # households (or villages, for water) this month (sample)

    def units(self, model: PovertyModel, unit_cost: float, rng: np.random.Generator) -> int:
        """Whole units this month's money pays for (never more than the fund holds)."""
        month = model.month
        x = self.usable(month) / unit_cost
        k = int(x) + int(rng.random() < x - int(x))
        return min(k, int(self.spendable * (1.0 - self.cfg.overhead) // unit_cost))

    def step(self, model: PovertyModel) -> None:
        self.closed = 0
        if not self.active(model.month):
            return
        hh = model.households
        rows = np.flatnonzero(hh.deficit[:, self.deficit] & self.eligible(model))
        if len(rows) == 0:
            return
        rng = model.streams.rng(f"guarantee.{self.key}", model.month)
        k = self.units(model, self.cfg.cost_per_household, rng)
        if k <= 0:
            return
        priority = rng.random(len(rows)) - hh.registered[rows]
        chosen = rows[np.argsort(priority, kind="stable")[:k]]
        hh.deficit[chosen, self.deficit] = False
        self.closed = len(chosen)
        self.charge(len(chosen) * self.cfg.cost_per_household)


class HousingRenovation(GuaranteeWorks):
    key = "housing"
    deficit = Deficit.HOUSING


class EducationSupport(GuaranteeWorks):
    key = "education"
    deficit = Deficit.EDUCATION


class MedicalAssistance(GuaranteeWorks):
    key = "medical"
    deficit = Deficit.MEDICAL

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.relief_paid = 0.0  # yuan of illness relief paid as transfer income, all months

    def step(self, model: PovertyModel) -> None:
        super().step(model)
        if not self.active(model.month):
            return
        # Illness relief: a share of the illness cost income.finalise will charge this month.
        hh = model.households
        ill = np.flatnonzero((hh.ill_left > 0) & ~hh.deficit[:, Deficit.MEDICAL])
        ill = ill[self.eligible(model)[ill]]
        if len(ill) == 0:
            return
        share = model.config.economy.shocks.illness_cost_share * self.cfg.illness_relief
        relief = share * (hh.income[ill, Source.FARM] + hh.income[ill, Source.WAGE])
        cost = float((relief * hh.size[ill]).sum())
        money = self.usable(model.month) - self.month_spent * (1.0 - self.cfg.overhead)
        if cost <= 0 or money <= 0:
            return
        if cost > money:
            relief *= money / cost
            cost = money
        hh.income[ill, Source.TRANSFER] += relief
        self.relief_paid += cost
        self.charge(cost)


class DrinkingWater(GuaranteeWorks):
    key = "water"
    deficit = Deficit.WATER

    def step(self, model: PovertyModel) -> None:
        self.closed = 0
        if not self.active(model.month):
            return
        hh = model.households
        lacking = hh.deficit[:, self.deficit] & self.eligible(model)
        if not lacking.any():
            return
        n_v = model.villages.n
        rows = np.flatnonzero(lacking)  # households lacking water, per village (as floats)
        registered = np.bincount(hh.village[rows[hh.registered[rows]]],
                                 minlength=n_v).astype(float)
        others = np.bincount(hh.village[rows], minlength=n_v).astype(float)
        rng = model.streams.rng(f"guarantee.{self.key}", model.month)
        k = self.units(model, self.cfg.cost_per_village * model.scale_cost, rng)
        if k <= 0:
            return
        candidates = np.flatnonzero(others > 0)
        order = np.lexsort((rng.random(len(candidates)), -others[candidates],
                            -registered[candidates]))
        built = candidates[order[:k]]
        done = np.zeros(n_v, dtype=bool)
        done[built] = True
        hh.deficit[done[hh.village], self.deficit] = False
        self.closed = len(built)
        self.charge(len(built) * self.cfg.cost_per_village * model.scale_cost)
