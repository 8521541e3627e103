"""Publicity campaigns: extra intensity on chosen channels while the money lasts.

Seed 002 §4.3 (exemplary models and publicity) and 004 §4.6 (publicity synergy). The cost is
the extra contacts the boost buys at each channel's cost per contact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Publicity(InstrumentBase):
    key = "publicity"

    def step(self, model: PovertyModel) -> None:
        """Set this month's channel intensities (called before information spreads)."""
        cfg, month = self.cfg, model.month
        base = {name: ch.intensity for name, ch in model.config.channels.items()}
        model.intensity = dict(base)
        if not self.active(month):
            return
        n = model.households.n
        wanted = {c: cfg.boost for c in cfg.channels}  # on top of routine use
        cost = sum(w * model.config.channels[c].reach * n * model.config.channels[c].cost
                   for c, w in wanted.items())
        budget = self.usable(month)
        share = 1.0 if cost <= budget else budget / cost
        for c, w in wanted.items():
            model.intensity[c] = base[c] + w * share
        self.charge(cost * share)
