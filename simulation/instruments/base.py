"""What every policy instrument shares: its rollout (dates, budget pace, targeting).

Following Starsim, how an instrument is rolled out (when, with how much money, to whom) is
kept apart from what it delivers (each subclass). Budgets are spent, not created: for every
instrument, budget = delivered + overhead + unspent, and each yuan delivered is booked in
the month it is spent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.scenario import Delivery, Eligibility, Instrument
from simulation.timeline import month_index

if TYPE_CHECKING:
    from simulation.model import PovertyModel

#: Share of the remaining budget a campaign may spend in one month (front-loading).
CAMPAIGN_RATE = 0.25


class InstrumentBase:
    """Rollout and ledger of one instrument; subclasses implement `step`."""

    key: str = ""

    def __init__(self, model: PovertyModel, cfg: Instrument):
        self.cfg = cfg
        self.first = month_index(cfg.start, model.config.start)
        self.last = month_index(cfg.end, model.config.start)
        self.budget = cfg.budget * model.scale if cfg.enabled else 0.0
        self.remaining = self.budget
        self.delivered = 0.0
        self.overhead = 0.0
        self.month_spent = 0.0

    def is_open(self, month: int) -> bool:
        return self.cfg.enabled and self.first <= month <= self.last

    @property
    def spendable(self) -> float:
        """Money that may still be spent (all of `remaining`, unless a ledger sets some aside)."""
        return self.remaining

    def active(self, month: int) -> bool:
        """Open and with money left: only then does it act or get publicised."""
        return self.is_open(month) and self.spendable > 1e-9

    def allowance(self, month: int) -> float:
        """Money this month may use: routine spreads the rest evenly, campaigns front-load."""
        if not self.active(month):
            return 0.0
        even = self.spendable / (self.last - month + 1)
        if self.cfg.delivery == Delivery.CAMPAIGN:
            return min(self.spendable, max(even, CAMPAIGN_RATE * self.spendable))
        return even

    def usable(self, month: int) -> float:
        """What this month's allowance can deliver after administrative overhead."""
        return self.allowance(month) * (1.0 - self.cfg.overhead)

    def charge(self, delivered: float) -> None:
        """Book delivered spending and its overhead against the budget."""
        if delivered <= 0:
            return
        total = delivered / (1.0 - self.cfg.overhead)
        if total > self.remaining:  # rounding only: callers never plan beyond the allowance
            total = self.remaining
            delivered = total * (1.0 - self.cfg.overhead)
        self.remaining -= total
        self.delivered += delivered
        self.overhead += total - delivered
        self.month_spent += total

    def eligible(self, model: PovertyModel) -> np.ndarray:
        hh = model.households
        e = self.cfg.eligibility
        if e == Eligibility.ALL:
            return np.ones(hh.n, dtype=bool)
        poor = hh.annual_income < model.line
        if e == Eligibility.REGISTERED:
            return hh.registered.copy()
        if e == Eligibility.INCOME_POOR:
            return poor
        return hh.registered | poor

    def begin_month(self) -> None:
        self.month_spent = 0.0

    def step(self, model: PovertyModel) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
