"""Relocation from places too remote to serve (seed 003 l.140, l.147; 002 §2.2; 004 §4.8).

Registered households of villages at least `remoteness_threshold` remote are offered a new
home near the county town; whether they agree rises with trust and falls with risk aversion.
A relocated household leaves part of its farm income behind and gains wage income from
living near jobs (new wage income of `wage_gain` x its former market income). Houses are
paid from the budget at `cost_per_household`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Deficit
from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Relocation(InstrumentBase):
    key = "relocation"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        hh = model.households
        self.remote = model.villages.remoteness[hh.village] >= cfg.remoteness_threshold
        self.relocated = np.zeros(hh.n, dtype=bool)
        self.moved = 0  # households moved this month (sample)

    def step(self, model: PovertyModel) -> None:
        self.moved = 0
        month, cfg, hh = model.month, self.cfg, model.households
        if not self.active(month):
            return
        rng = model.streams.rng("relocation", month)
        u_accept, u_order, u_round = rng.random(hh.n), rng.random(hh.n), rng.random()
        # Houses are indivisible: round the month's money stochastically, and let a month
        # build ahead of the pace while the fund lasts (later months then get less).
        x = self.usable(month) / cfg.cost_per_household
        k = int(x) + int(u_round < x - int(x))
        k = min(k, int(self.remaining * (1.0 - cfg.overhead) // cfg.cost_per_household))
        if k <= 0:
            return
        offered = np.flatnonzero(self.remote & ~self.relocated & self.eligible(model))
        p = np.clip(cfg.acceptance * (0.5 + hh.trust[offered])
                    * (1.5 - hh.risk_aversion[offered]), 0.0, 1.0)
        willing = offered[u_accept[offered] < p]
        chosen = willing[np.argsort(u_order[willing], kind="stable")[:k]]
        if len(chosen) == 0:
            return
        former = hh.farm_base[chosen] + hh.wage_base[chosen]
        hh.farm_base[chosen] *= 1.0 - cfg.farm_loss
        hh.wage_base[chosen] += cfg.wage_gain * former
        self.relocated[chosen] = True
        hh.deficit[chosen, Deficit.HOUSING] = False  # a new, safe house
        self.moved = len(chosen)
        self.charge(len(chosen) * cfg.cost_per_household)
