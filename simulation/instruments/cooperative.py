"""Industry through cooperatives: "government + cooperative + poor household".

The budget creates member places in village co-ops (start-up capital per place); members
earn wages and dividends set by the co-op's performance, and co-op training raises their
own farm productivity (seed 001 'Analysis of the Model...'; 004 §4.4). Joining a co-op was
found to raise household income by ~38% (reference-figures.md, R).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.takeup import TakeUp

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class CooperativeIndustry(TakeUp):
    key = "cooperative"

    def can_use(self, model: PovertyModel) -> np.ndarray:
        return model.households.labour > 0

    def ability(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        hh = self.households(model, rows)
        return np.minimum(hh.labour / 2.0, 1.0) * np.where(hh.elderly, 0.6, 1.0)

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        cfg = model.config.cooperatives
        n = model.households.n if rows is None else len(rows)
        return self.relative(model, np.full(n, cfg.member_income), rows)

    def enrol(self, model: PovertyModel, rows: np.ndarray) -> None:
        hh, coops, cfg = model.households, model.cooperatives, model.config.cooperatives
        for row in rows:
            v = hh.village[row]
            here = np.flatnonzero((coops.village == v) & (coops.members < coops.capacity))
            if len(here):
                c = int(here[0])
            else:
                existing = np.flatnonzero(coops.village == v)
                if len(existing):  # the place's capital expands an existing co-op
                    c = int(existing[0])
                    coops.capacity[c] += 1
                else:
                    c = coops.add(int(v), int(model.villages.product[v]),
                                  max(cfg.member_capacity * model.scale, 1.0))
            coops.members[c] += 1
            hh.cooperative[row] = c
        hh.productivity[rows] *= 1.0 + self.cfg.training_boost

    def deliver(self, model: PovertyModel) -> None:
        hh = model.households
        members = np.flatnonzero(hh.cooperative >= 0)
        if len(members) == 0:
            return
        coops = model.cooperatives
        perf = coops.performance(model.config, model.villages, model.cadres.effort,
                                 model.price_factor)[hh.cooperative[members]]
        annual = model.config.cooperatives.member_income * model.growth
        hh.income[members, Source.COOPERATIVE] += annual / 12.0 * perf / hh.size[members]
