"""What every policy instrument shares: its rollout (dates, budget pace, targeting).

Following Starsim, how an instrument is rolled out (when, with how much money, to whom) is
kept apart from what it delivers (each subclass). The books (budget = delivered + overhead +
unspent) are `simulation.ledger.Ledger`, shared with the actors' funds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import eligible
from simulation.ledger import Ledger
from simulation.scenario import Instrument

if TYPE_CHECKING:
    from simulation.model import PovertyModel

class InstrumentBase(Ledger):
    """Rollout and ledger of one instrument (`simulation.ledger`); subclasses implement
    `step`."""

    key: str = ""

    def __init__(self, model: PovertyModel, cfg: Instrument):
        super().__init__(cfg, model.config.start, model.scale)

    def eligible(self, model: PovertyModel) -> np.ndarray:
        return eligible(model.households, model.line, self.cfg.eligibility)

    def step(self, model: PovertyModel) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
