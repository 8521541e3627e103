"""Asset-income dividends: funds invested in collective assets pay registered households.

Registered households receive a share of the return without taking part in work (seed
003 'asset-income' model); dividends stop when the instrument ends, which the transition
analysis uses to weigh asset income against participation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.base import InstrumentBase

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class AssetIncome(InstrumentBase):
    key = "asset_income"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.capital = 0.0
        self.beneficiary = np.zeros(model.households.n, dtype=bool)
        self.dividends_paid = 0.0

    def step(self, model: PovertyModel) -> None:
        month, hh = model.month, model.households
        if self.active(month):
            invest = self.usable(month)
            self.capital += invest
            self.charge(invest)
            self.beneficiary |= self.eligible(model)
        if not self.is_open(month) or self.capital <= 0 or not self.beneficiary.any():
            return
        pool = self.capital * self.cfg.return_rate / 12.0 * self.cfg.share_to_households
        per_household = pool / self.beneficiary.sum()
        rows = np.flatnonzero(self.beneficiary)  # registered households: a few rows
        hh.income[rows, Source.PROPERTY] += per_household / hh.size[rows]
        self.dividends_paid += pool
