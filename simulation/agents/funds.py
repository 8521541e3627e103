"""Ledgers of the actors beyond government.

An actor's money follows the same rollout rules as a policy instrument (dates, pacing,
overhead), so `ActorFund` is a `simulation.ledger.Ledger`. Two additions: money can be received
during the run (donations raised, firms' commitments), and part of an allocation can be set
aside as unusable (a partner city's utilization rate). In every case
budget = delivered + overhead + unspent, where unspent (`remaining`) includes what was set
aside.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import eligible
from simulation.ledger import Ledger
from simulation.scenario import Instrument

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class ActorFund(Ledger):
    """The ledger of one actor (or one sector of actors)."""

    def __init__(self, model: PovertyModel, cfg: Instrument, key: str, share: float = 1.0,
                 raised: bool = False):
        super().__init__(cfg, model.config.start, model.scale)
        self.key = key
        self.budget *= share
        self.remaining = self.budget
        #: For raised funds the configured budget is a potential, not money in hand.
        self.potential = self.budget if raised else 0.0
        if raised:
            self.budget = self.remaining = 0.0
        self.idle = 0.0  # allocated but not usable: part of `remaining`, never spent

    @property
    def spendable(self) -> float:
        return max(self.remaining - self.idle, 0.0)

    def eligible(self, model: PovertyModel) -> np.ndarray:
        return eligible(model.households, model.line, self.cfg.eligibility)

    def receive(self, amount: float) -> None:
        """Money arriving from outside the region's budget (donors, firms)."""
        if amount > 0:
            self.budget += amount
            self.remaining += amount

    def set_aside(self, amount: float) -> None:
        """Make part of the money unusable; it stays unspent."""
        self.idle += min(max(amount, 0.0), self.spendable)


class FundGroup:
    """Several actors' ledgers seen as one (e.g. all partner cities)."""

    def __init__(self, funds: list[ActorFund]):
        self.funds = funds

    def _sum(self, name: str) -> float:
        return float(sum(getattr(f, name) for f in self.funds))

    budget = property(lambda self: self._sum("budget"))
    delivered = property(lambda self: self._sum("delivered"))
    overhead = property(lambda self: self._sum("overhead"))
    remaining = property(lambda self: self._sum("remaining"))
    month_spent = property(lambda self: self._sum("month_spent"))
    idle = property(lambda self: self._sum("idle"))
