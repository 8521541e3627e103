"""Precise identification and registration of poor households (the 'filing card').

Cadres assess each household's income with an error that shrinks with their capacity and
grows with formalism; households may conceal income (seed 001 'Target groups'). Those
assessed below
the line are registered. Each year, in the review month, registered households assessed
above the line times a margin leave the register (official exit) and newly poor ones join
(dynamic adjustment; seeds 001 and 003). Inclusion and exclusion errors follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.instruments.base import InstrumentBase
from simulation.timeline import calendar_month_of

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Registration(InstrumentBase):
    key = "registration"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.assessed = np.zeros(model.households.n, dtype=bool)
        self.official_exits = 0.0  # people leaving the register this month
        self.entries = 0.0  # people joining the register at a review this month

    def observed_income(self, model: PovertyModel, rows: np.ndarray) -> np.ndarray:
        hh, c = model.households, model.config.cadres
        noise = model.streams.rng("registration.noise", model.month).standard_normal(hh.n)
        sd = model.cadres.assessment_sd(c.assessment_error)[hh.village[rows]]
        hidden = 1.0 - hh.conceal[rows] * c.conceal_strength
        return hh.annual_income[rows] * hidden * np.exp(sd * noise[rows])

    def affordable(self, model: PovertyModel, rows: np.ndarray) -> np.ndarray:
        """The rows whose assessment this month's money pays for, in random order."""
        order = model.streams.uniform("registration.order", model.month, model.households.n)
        cost = self.cfg.cost_per_assessment
        can = len(rows) if cost <= 0 else int(self.usable(model.month) // cost)
        if can < len(rows):
            rows = rows[np.argsort(order[rows], kind="stable")[:can]]
        self.charge(len(rows) * cost)
        return rows

    def step(self, model: PovertyModel) -> None:
        self.official_exits = 0.0
        self.entries = 0.0
        month = model.month
        if not self.active(month):
            return
        hh = model.households
        initial = ~self.assessed
        if initial.any():
            rows = self.affordable(model, np.flatnonzero(initial))
            self.assessed[rows] = True
            hh.registered[rows] = self.observed_income(model, rows) < model.line
            return
        if calendar_month_of(model.config.start, month) != self.cfg.review_month:
            return
        # Review: every registered household, and unregistered ones that villagers nominate
        # in the democratic appraisal: most of the truly poor, a few others (assumption).
        u = model.streams.uniform("registration.nomination", month, hh.n)
        truly_poor = hh.annual_income < 1.2 * model.line
        screen = hh.registered | (u < np.where(truly_poor, 0.8, 0.05))
        rows = self.affordable(model, np.flatnonzero(screen))
        seen = self.observed_income(model, rows)
        was = hh.registered[rows]
        bar = self.cfg.exit_margin * (1.0 - self.cfg.pressure_leniency * model.cadres.pressure)
        leave = was & (seen > model.line * bar)
        join = ~was & (seen < model.line * self.cfg.join_margin)
        hh.registered[rows[leave]] = False
        hh.registered[rows[join]] = True
        self.official_exits = float(hh.size[rows[leave]].sum())  # people
        self.entries = float(hh.size[rows[join]].sum())
