"""E-commerce service sites and training: "Internet + poverty alleviation".

Trained sellers with a phone sell local products online; what they earn scales with the
village's internet coverage and falls with logistics cost (seed 001 'two-way circulation'
model and 'Policy environment'). The elderly and the less literate are less able to use it
(001 'Target groups').
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.takeup import TakeUp

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Ecommerce(TakeUp):
    key = "ecommerce"

    def can_use(self, model: PovertyModel) -> np.ndarray:
        hh = model.households
        return hh.phone & (model.villages.internet[hh.village] > 0.05)

    def ability(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        hh = self.households(model, rows)
        return hh.literacy * np.where(hh.elderly, 0.5, 1.0)

    def annual_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        hh, v = self.households(model, rows), model.villages
        reach = v.internet[hh.village] * (1.0 - v.logistics_cost[hh.village])
        return self.cfg.annual_gain * reach * (0.5 + hh.literacy) * model.growth

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        return self.relative(model, self.annual_gain(model, rows), rows)

    def deliver(self, model: PovertyModel) -> None:
        hh = model.households
        sellers = self.participants(model)
        if sellers.any():
            rows = np.flatnonzero(sellers)  # earnings computed for sellers only
            gain = self.annual_gain(model, rows) / 12.0 / hh.size[rows]
            hh.income[rows, Source.BUSINESS] += gain
