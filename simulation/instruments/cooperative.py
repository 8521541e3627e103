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
        """Each joiner, in turn, takes a place in the first co-op of its village with room;
        when all are full the place's capital expands the village's first co-op, and a
        village without one gets a new co-op. Done village by village (same result)."""
        hh, coops, cfg = model.households, model.cooperatives, model.config.cooperatives
        rows = np.asarray(rows)
        villages = hh.village[rows]
        by_village = np.argsort(villages, kind="stable")  # keeps the joiners' order
        starts = np.flatnonzero(np.diff(villages[by_village], prepend=-1))
        ends = np.append(starts[1:], len(rows))
        coops_in: dict[int, list[int]] = {}  # village -> its co-ops, in index order
        for c, v in enumerate(coops.village.tolist()):
            coops_in.setdefault(v, []).append(c)
        # Villages in order of their first joiner (that order numbers any new co-ops).
        for s, e in sorted(zip(starts, ends, strict=True), key=lambda se: by_village[se[0]]):
            joiners = rows[by_village[s:e]]
            v = int(villages[by_village[s]])
            place = np.empty(len(joiners), dtype=np.int64)
            taken = 0
            here = coops_in.get(v, [])
            if len(here) == 0:
                here = coops_in[v] = [coops.add(v, int(model.villages.product[v]),
                                                max(cfg.member_capacity * model.scale, 1.0))]
            for c in here:  # fill co-ops with room in index order
                room = int(np.ceil(coops.capacity[c])) - int(coops.members[c])
                take = min(max(room, 0), len(joiners) - taken)
                if take:
                    place[taken:taken + take] = c
                    coops.members[c] += take
                    taken += take
                if taken == len(joiners):
                    break
            if taken < len(joiners):  # the place's capital expands the first co-op
                c = int(here[0])
                for _ in range(len(joiners) - taken):
                    coops.capacity[c] += 1
                coops.members[c] += len(joiners) - taken
                place[taken:] = c
            hh.cooperative[joiners] = place
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
