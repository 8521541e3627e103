"""Infrastructure: roads and internet that change the environment over time.

Each month's money goes first to the villages with the worst coverage; road cost rises with
terrain (seed 000 §5.4; 003 'strengthen': transport, power grids, communication networks).
Better roads cut logistics cost and raise market access; internet lets channels and
e-commerce reach the village.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


def fill_worst_first(coverage: np.ndarray, unit_cost: np.ndarray, money: float) -> float:
    """Raise coverage of the least covered villages first; returns money used."""
    order = np.argsort(coverage, kind="stable")
    need = (1.0 - coverage[order]) * unit_cost[order]
    cum = np.cumsum(need)
    full = cum <= money
    coverage[order[full]] = 1.0
    used = float(cum[full][-1]) if full.any() else 0.0
    nxt = np.flatnonzero(~full)
    if len(nxt) and money > used:
        i = order[nxt[0]]
        coverage[i] += (money - used) / unit_cost[i]
        used = money
    return used


class Infrastructure(InstrumentBase):
    key = "infrastructure"

    def step(self, model: PovertyModel) -> None:
        if not self.active(model.month):
            return
        v, c = model.villages, self.cfg
        money = self.usable(model.month)
        net = money * c.internet_share
        road_cost = c.road_cost_per_village * model.scale_cost * (0.5 + v.terrain)
        net_cost = np.full(v.n, c.internet_cost_per_village * model.scale_cost)
        used = fill_worst_first(v.internet, net_cost, net)
        used += fill_worst_first(v.road, road_cost, money - net)
        self.charge(used)
