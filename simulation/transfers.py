"""Baseline transfers, paid each month before the programmes act (scenario `transfers` and
`economy.labour_market.remittances`; docs/model.md §3.3).

- the residents' basic pension: every member of pension age draws the central minimum of
  the month plus the provincial top-up;
- farm subsidies: a yearly amount per person in farming households;
- ecological compensation: ranger posts given to households on the register file in the
  remoter half of villages, filled evenly until `full_by`, and forest compensation per person
  in the remotest third of villages;
- remittances: family members living away send a share of the migrant wage home.
Dibao and special assistance are instruments (`instruments/minimum_living.py`, the medical
relief in `instruments/guarantees.py`). What each transfer paid is kept in `spent` (yuan in
the sample, this month) for the recorder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.timeline import month_index

if TYPE_CHECKING:
    from simulation.model import PovertyModel

TRANSFERS = ("pension", "farm_subsidy", "eco_compensation", "remittances")


class Transfers:
    """The baseline transfers of one run, and what they paid this month."""

    def __init__(self, model: PovertyModel):
        cfg, v = model.config.transfers, model.villages
        self.spent = dict.fromkeys(TRANSFERS, 0.0)
        eco = cfg.eco_compensation
        self.eco_start = month_index(eco.start, model.config.start)
        self.eco_full = max(month_index(eco.full_by, model.config.start), self.eco_start + 1)
        self.remote_half = v.remoteness >= np.median(v.remoteness)
        self.remote_third = v.remoteness >= np.quantile(v.remoteness, 2 / 3)
        self.pension_months = sorted(cfg.pension.central_minimum)

    def pension(self, model: PovertyModel) -> float:
        """Monthly pension per member of pension age this month (yuan)."""
        p = model.config.transfers.pension
        due = [m for m in self.pension_months if m <= model.label]
        return p.central_minimum[due[-1]] * (1 + p.provincial_topup) if due else 0.0

    def pay(self, model: PovertyModel) -> None:
        hh, cfg = model.households, model.config.transfers
        transfer = hh.income[:, Source.TRANSFER]  # a column: added to in place
        self.spent = dict.fromkeys(TRANSFERS, 0.0)
        if cfg.pension.enabled:
            amount = self.pension(model)
            transfer += hh.elders * amount / hh.size
            self.spent["pension"] = float(hh.elders.sum()) * amount
        if cfg.farm_subsidy.enabled and cfg.farm_subsidy.per_capita > 0:
            farming = hh.farm_base > 0
            np.add(transfer, cfg.farm_subsidy.per_capita / 12.0, out=transfer, where=farming)
            self.spent["farm_subsidy"] = float(hh.people_in(farming)) * (
                cfg.farm_subsidy.per_capita / 12.0)
        if cfg.eco_compensation.enabled:
            self._eco(model, transfer)
        rem = model.config.economy.labour_market.remittances
        if rem.share > 0:
            per_sender = rem.share * model.start_wage * model.wage_index
            transfer += hh.remitters * per_sender / hh.size
            self.spent["remittances"] = float(hh.remitters.sum()) * per_sender

    def _eco(self, model: PovertyModel, transfer: np.ndarray) -> None:
        hh, eco = model.households, model.config.transfers.eco_compensation
        if eco.forest_per_capita > 0:
            remote = self.remote_third[hh.village]
            np.add(transfer, eco.forest_per_capita / 12.0, out=transfer, where=remote)
            self.spent["eco_compensation"] = float(hh.people_in(remote)) * (
                eco.forest_per_capita / 12.0)
        if model.month < self.eco_start or eco.posts_per_registered <= 0:
            return
        filed = hh.registered | hh.left_register
        done = min((model.month - self.eco_start + 1) / (self.eco_full - self.eco_start), 1.0)
        posts = int(eco.posts_per_registered * np.count_nonzero(filed) * done + 0.5)
        missing = posts - int(np.count_nonzero(hh.ranger))
        if missing > 0:
            can = np.flatnonzero(filed & ~hh.ranger & (hh.labour > 0)
                                 & self.remote_half[hh.village])
            if len(can):
                u = model.streams.uniform("transfers.rangers", model.month, hh.n)[can]
                hh.ranger[can[np.argsort(u)[:missing]]] = True
        pay = eco.ranger_pay / 12.0
        np.add(transfer, pay / hh.size, out=transfer, where=hh.ranger)
        self.spent["eco_compensation"] += float(np.count_nonzero(hh.ranger)) * pay
