"""Instruments that households must learn about and choose to join.

Subclasses say who can use the programme (ability), what a household expects to gain,
what a new place costs and what taking part delivers each month; the shared rule in
`simulation.choice` decides who applies and who gets a place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.choice import RowView, choose_rows
from simulation.instruments.base import InstrumentBase
from simulation.scenario import PROGRAMMES

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class TakeUp(InstrumentBase):
    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.k = PROGRAMMES.index(self.key)

    # --- what subclasses define -------------------------------------------------
    def ability(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        """How able each household (or each of `rows`) is to use the programme, 0..1."""
        n = model.households.n if rows is None else len(rows)
        return np.ones(n, dtype=np.float32)

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None
                      ) -> np.ndarray:
        """Expected rise in per-capita income, relative to current income, for every
        household or for `rows` only (the same values: the rule is per household)."""
        raise NotImplementedError

    def place_cost(self, model: PovertyModel) -> float:
        """Budget cost of one new place."""
        return self.cfg.unit_cost

    def enrol(self, model: PovertyModel, rows: np.ndarray) -> None:
        """Side effects of joining, beyond the participation flag."""

    def deliver(self, model: PovertyModel) -> None:
        """Monthly effect on participants' income (also after the programme ends)."""

    # --- shared -------------------------------------------------------------------
    def can_use(self, model: PovertyModel) -> np.ndarray:
        return np.ones(model.households.n, dtype=bool)

    def slots(self, model: PovertyModel, budget: float) -> int:
        cost = self.place_cost(model)
        if cost <= 0:
            return model.households.n
        return int(budget // cost)

    def step(self, model: PovertyModel) -> None:
        hh, month = model.households, model.month
        self.end_spells(model)
        budget = self.usable(month)
        slots = self.slots(model, budget) if self.active(month) else 0
        rows = np.empty(0, dtype=np.int64)
        if slots > 0:
            # Only aware, eligible non-members weigh the programme: gains, abilities and peer
            # shares are computed for those rows alone (the rule is per household).
            rows = np.flatnonzero(self.eligible(model) & self.can_use(model)
                                  & (hh.understanding[:, self.k] > 0)
                                  & ~hh.participating[:, self.k])
        if len(rows):
            rows = choose_rows(model.config.behaviour, hh, self.k, self.key, rows,
                               lambda some: (self.expected_gain(model, some),
                                             self.ability(model, some),
                                             model.peer_share(some, self.k)),
                               self.cfg.risk, slots, month, model.streams)
        if len(rows):
            hh.participating[rows, self.k] = True
            hh.joined[rows, self.k] = month
            self.charge(len(rows) * self.place_cost(model))
            self.enrol(model, rows)
        self.deliver(model)

    def end_spells(self, model: PovertyModel) -> None:
        """Fixed-length programmes (e.g. a training course) end after `months_active`."""
        if self.cfg.months_active <= 0:
            return
        hh = model.households
        done = hh.participating[:, self.k] & (
            model.month - hh.joined[:, self.k] >= self.cfg.months_active)
        hh.participating[done, self.k] = False

    @staticmethod
    def households(model: PovertyModel, rows: np.ndarray | None = None):
        """The household table, or a view of it restricted to `rows`."""
        return model.households if rows is None else RowView(model.households, rows)

    def participants(self, model: PovertyModel) -> np.ndarray:
        return model.households.participating[:, self.k]

    def relative(self, model: PovertyModel, annual_gain_per_household: np.ndarray,
                 rows: np.ndarray | None = None) -> np.ndarray:
        hh = self.households(model, rows)
        return annual_gain_per_household / hh.size / np.maximum(hh.annual_income, 500.0)
