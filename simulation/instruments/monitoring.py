"""Dynamic monitoring against (re)turning to poverty (seed 003 l.81, l.105, l.147, l.166).

From the start of the transition, monitors screen households at risk: those below
`risk_margin` x the line, or hit by illness or a village disaster while below 1.6 x the
line. Each month a share `detection` of the at-risk households is checked; each check costs
`cost_per_check`. A household found at risk gets its income topped up to `support_margin` x
the line for `support_months` months (prevention plus after-the-event help). When money runs
short, checks come first and support is pro-rated. A household that had left the register
and is found below the line is a return to poverty (counted once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Monitoring(InstrumentBase):
    key = "monitoring"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.support_left = np.zeros(model.households.n, dtype=np.int16)
        self.found = 0  # households newly found at risk this month (sample)
        self.returns = 0.0  # people of former registered households found below the line
        self.returned = np.zeros(model.households.n, dtype=bool)  # counted once each

    def step(self, model: PovertyModel) -> None:
        self.found = 0
        self.returns = 0.0
        month, cfg, hh = model.month, self.cfg, model.households
        if not self.active(month):
            self.support_left[:] = 0
            return
        money = self.usable(month)
        u = model.streams.uniform("monitoring.detect", month, hh.n)
        line = model.line
        shocked = (hh.ill_left > 0) | (model.farm_factor[hh.village] < 1.0)
        at_risk = ((hh.annual_income < line * cfg.risk_margin)
                   | (shocked & (hh.annual_income < 1.6 * line))) & self.eligible(model)
        checked = np.flatnonzero(at_risk & (self.support_left == 0) & (u < cfg.detection))
        if cfg.cost_per_check > 0:
            checked = checked[: int(money // cfg.cost_per_check)]
        check_cost = len(checked) * cfg.cost_per_check
        self.support_left[checked] = cfg.support_months
        self.found = len(checked)
        back = checked[hh.left_register[checked] & ~self.returned[checked]
                       & (hh.annual_income[checked] < line)]
        self.returned[back] = True
        self.returns = float(hh.size[back].sum())  # returns to poverty after the register
        supported = self.support_left > 0
        target = line * cfg.support_margin / 12.0
        gap = np.zeros(hh.n)  # the supported households' rows only (few)
        rows = np.flatnonzero(supported)
        gap[rows] = np.maximum(target - hh.income[rows].sum(axis=1), 0.0)
        need = float((gap * hh.size).sum())
        left = money - check_cost
        if need > left:
            gap *= max(left, 0.0) / need
            need = max(left, 0.0)
        hh.income[:, Source.TRANSFER] += gap
        self.charge(check_cost + need)
        self.support_left[supported] -= 1
