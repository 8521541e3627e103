"""The actors beyond government, stepped together once market income is known.

Social organizations and private firms are sectors (arrays with Mesa agent views);
designated-assistance units and partner cities are Mesa agents with their own funds. All of
them spend nothing unless the scenario gives them money (`actors:` section), so a scenario
without them reproduces the core model exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.agents.assistance import AssistanceState
from simulation.agents.designated_units import build_designated_units
from simulation.agents.enterprises import EnterpriseSector
from simulation.agents.funds import ActorFund, FundGroup
from simulation.agents.partner_cities import build_partner_cities
from simulation.agents.social_organizations import SocialSector

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class Actors:
    def __init__(self, model: PovertyModel):
        self.social = SocialSector(model)
        self.enterprises = EnterpriseSector(model)
        self.units = build_designated_units(model)
        self.cities = build_partner_cities(model)
        self.assistance = AssistanceState(model.households.n)

    def fund_lists(self) -> dict[str, list[ActorFund]]:
        """Every ledger by actor key (the transition acts on these)."""
        return {"social_organizations": [self.social.fund],
                "enterprises": [self.enterprises.fund],
                "designated_assistance": [u.fund for u in self.units],
                "partner_city": [c.fund for c in self.cities]}

    @property
    def funds(self) -> dict[str, FundGroup]:
        return {k: FundGroup(v) for k, v in self.fund_lists().items()}

    @property
    def month_spent(self) -> float:
        return sum(f.month_spent for fl in self.fund_lists().values() for f in fl)

    def begin_month(self) -> None:
        for fl in self.fund_lists().values():
            for f in fl:
                f.begin_month()

    def act(self, model: PovertyModel) -> None:
        """One month of every actor (called after market income is set)."""
        self.social.step(model)
        self.enterprises.step(model)
        for unit in self.units:
            unit.act(model)
        for city in self.cities:
            city.act(model, self.assistance)
        self.assistance.pay(model)

    def columns(self, model: PovertyModel, row: dict[str, float]) -> dict[str, float]:
        """Monthly outcome columns (region figures); also adds actor money to the totals."""
        up = 1.0 / model.scale
        out: dict[str, float] = {}
        total = 0.0
        for key, group in self.funds.items():
            out[f"spending_{key}"] = group.month_spent * up
            out[f"unspent_{key}"] = group.remaining * up
            out[f"delivered_{key}"] = group.delivered * up
            out[f"funds_{key}"] = group.budget * up
            total += group.delivered + group.overhead
        s, e, st = self.social, self.enterprises, self.assistance
        people = float(model.households.size.sum())
        out |= {
            "social_organizations": float(s.count),
            "social_donations": s.raised * up,
            "social_material_help": s.material * up,
            "social_capacity_help": s.capacity * up,
            "social_duplicated_help": s.duplicated * up,
            "enterprises_participating": float(e.count),
            "enterprise_jobs": float(np.count_nonzero(e.employer >= 0)) * up,
            "enterprise_wages": e.wages_paid * up,
            "designated_coop_places": float(sum(u.places for u in self.units)) * up,
            "partner_placements": float(sum(c.placed for c in self.cities)) * up,
            "partner_local_jobs": float(sum(c.jobs for c in self.cities)) * up,
            "partner_idle_funds": sum(c.fund.idle for c in self.cities) * up,
            "partner_purchases": sum(c.purchases for c in self.cities) * up,
            "assisted_migrants": float(np.count_nonzero(st.migrant_left > 0)) * up,
            "assisted_local_jobs": float(np.count_nonzero(st.job_left > 0)) * up,
            # Yuan per person per year, comparable with the income_* columns.
            "assisted_migrant_income": st.migrant_income_paid * 12.0 / people,
            "assisted_local_job_income": st.local_wages_paid * 12.0 / people,
        }
        if total > 0:
            row_total = row["cumulative_spending"] + total * up
            out["cumulative_spending"] = row_total
            out["cost_per_person_lifted"] = (row_total / row["people_lifted"]
                                             if row["people_lifted"] > 0 else float("nan"))
        return out
