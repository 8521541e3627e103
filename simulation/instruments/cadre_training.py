"""Cadre training: raises the capacity and internet skill of village task forces.

Lowest-capacity task forces are trained first (seed 000 §5.2: grassroots efficiency; 001
"Cultivate Internet awareness"; 002 §2.1-2.2 cadre exchange works through the same
capacity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class CadreTraining(InstrumentBase):
    key = "cadre_training"

    def step(self, model: PovertyModel) -> None:
        if not self.active(model.month):
            return
        c, corps = self.cfg, model.cadres
        cost = c.cost_per_cadre * model.scale_cost
        k = min(int(self.usable(model.month) // cost), corps.n)
        if k <= 0:
            return
        rows = np.argsort(corps.capacity, kind="stable")[:k]
        corps.capacity[rows] += c.capacity_gain * (1.0 - corps.capacity[rows])
        corps.internet_skill[rows] += c.internet_gain * (1.0 - corps.internet_skill[rows])
        self.charge(k * cost)
