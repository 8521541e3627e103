"""Dynamic monitoring against (re)turning to poverty (seed 003 l.81, l.105, l.147, l.166).

From the start of the transition, monitors screen households at risk: those below
`risk_margin` x the line, or hit by illness, a village disaster or a fall in the price of
the village's product while below 1.6 x the line (003 l.166: natural and market risks). Each
month a share `detection` of the at-risk households not yet watched is found; each check
costs `cost_per_check`. A household found is watched until its risk is gone (its income back
above the margin, no shock): while watched its income is topped up to `support_margin` x the
line, for at least `support_months` months once granted (prevention plus after-the-event
help), and renewed without a new search while the risk lasts. When money runs short, checks
come first and support is pro-rated. A household that had left the register and is below the
line when found, or falls below it while watched, is a return to poverty (counted once). In
its first month the monitoring takes over the watch list of the follow-up of exited
households that ran before it (simulation/instruments/followup.py).
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
    #: Everyone found at risk is helped ('monitor all who should be, help all who need it'):
    #: a month may use all that is left, so a year of many shocks is not cut short.
    entitlement = True
    #: The instrument whose watch list this one takes over in its first month (the
    #: transition's monitoring carries on the follow-up of exited households).
    takes_over: str | None = "followup"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.support_left = np.zeros(model.households.n, dtype=np.int16)
        self.found = 0  # households newly found at risk this month (sample)
        self.returns = 0.0  # people of former registered households found below the line
        self.returned = np.zeros(model.households.n, dtype=bool)  # counted once each
        self.watched = np.zeros(model.households.n, dtype=bool)  # found and still at risk

    def step(self, model: PovertyModel) -> None:
        self.found = 0
        self.returns = 0.0
        month, cfg, hh = model.month, self.cfg, model.households
        if not self.active(month):
            if month <= self.last:  # not started, or out of money: nobody is watched
                self.support_left[:] = 0
                self.watched[:] = False
            # After its end the list stays as it was, for the successor to take over.
            return
        if month == self.first and self.takes_over in model.instruments:
            before = model.instruments[self.takes_over]
            self.watched |= before.watched
            self.support_left = np.maximum(self.support_left, before.support_left)
            self.returned |= before.returned
        money = self.usable(month)
        u = model.streams.uniform(f"{self.key}.detect", month, hh.n)
        line = model.line
        # Village shocks are judged per village, then spread to its households (one gather).
        village_shocked = ((model.farm_factor < 1.0)
                           | (model.product_shock[model.villages.product] < 1.0))
        shocked = (hh.ill_left > 0) | village_shocked[hh.village]
        at_risk = ((hh.annual_income < line * cfg.risk_margin)
                   | (shocked & (hh.annual_income < 1.6 * line))) & self.eligible(model)
        self.watched &= at_risk  # risk gone: the household leaves the watch list
        renewed = np.flatnonzero(self.watched & (self.support_left == 0))
        found = np.flatnonzero(at_risk & ~self.watched & (u < cfg.detection))
        checked = np.concatenate([renewed, found])
        if cfg.cost_per_check > 0:
            checked = checked[: int(money // cfg.cost_per_check)]
        check_cost = len(checked) * cfg.cost_per_check
        self.support_left[checked] = cfg.support_months
        self.watched[checked] = True
        self.found = max(len(checked) - len(renewed), 0)
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
        # Returns to poverty after the register: former registered households found only
        # once below the line, or watched ones the (pro-rated) support leaves below it.
        watched = np.flatnonzero(self.watched & hh.left_register & ~self.returned)
        found = checked[len(renewed):]
        found = found[hh.left_register[found] & ~self.returned[found]]
        back = np.union1d(found[hh.annual_income[found] < line],
                          watched[hh.income[watched].sum(axis=1) * 12.0 < line])
        self.returned[back] = True
        self.returns = float(hh.size[back].sum())
