"""Rural and cultural tourism: homestays, crafts and cultural products.

Earnings scale with the village's cultural and tourism endowment and its road access
(seed 000 §3 on the cultural industry; 001 'ecological tourism' model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.takeup import TakeUp

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Tourism(TakeUp):
    key = "tourism"

    def can_use(self, model: PovertyModel) -> np.ndarray:
        hh = model.households
        return (model.villages.tourism[hh.village] > 0.15) & (hh.labour > 0)

    def annual_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        hh, v = self.households(model, rows), model.villages
        access = v.tourism[hh.village] * (0.4 + 0.6 * v.road[hh.village])
        return self.cfg.annual_gain * access * model.growth

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        return self.relative(model, self.annual_gain(model, rows), rows)

    def deliver(self, model: PovertyModel) -> None:
        hh = model.households
        hosts = self.participants(model)
        if hosts.any():
            rows = np.flatnonzero(hosts)  # earnings computed for hosts only
            hh.income[rows, Source.BUSINESS] += (self.annual_gain(model, rows) / 12.0
                                                 / hh.size[rows])
