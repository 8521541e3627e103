"""Eastern partner cities: East-West collaboration (seed 002 §2.2, §4.5; 004 §4.8).

Each partner city is a Mesa agent with its own fund, paired with a block of villages
(county-to-district pairing). Every month it allocates its money across five channels:
projects (roads and housing), labour-export linkage (placing workers in eastern jobs, which
lowers the cost of migrating and raises migrant income), industrial transfer (factories
creating local jobs), consumption assistance (buying local products) and cadre exchange
(raising the capacity of local task forces). Only `utilization` of each month's allocation
can be used; the rest stays unspent (002 §2.2: 80% used by end-2017). The city's choices:
labour-export money it cannot use while migrant work is cut (the 2020 epidemic) buys local
products instead, and money another channel cannot use this month (no candidates left) goes
to projects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.agents import assistance as a
from simulation.agents.funds import ActorFund

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class PartnerCityAgent(mesa.Agent):
    """One eastern partner city, its fund and its paired villages."""

    def __init__(self, model: PovertyModel, index: int, villages: np.ndarray):
        super().__init__(model)
        cfg = model.config.actors.partner_city
        self.index = index
        self.cfg = cfg
        self.villages = villages
        self.rows = a.rows_in(model, villages)
        self.fund = ActorFund(model, cfg, "partner_city", share=1.0 / cfg.cities)
        self.placed = 0  # households placed in eastern jobs so far (sample)
        self.jobs = 0  # local factory jobs created so far (sample)
        self.cadre_money = 0.0
        self.purchases = 0.0

    def act(self, model: PovertyModel, state: a.AssistanceState) -> None:
        cfg, fund, month = self.cfg, self.fund, model.month
        allowance = fund.allowance(month)
        if allowance <= 0:
            return
        fund.set_aside((1.0 - cfg.utilization) * allowance)
        money = cfg.utilization * allowance * (1.0 - cfg.overhead)
        can = fund.spendable * (1.0 - cfg.overhead)  # channels may buy ahead
        tag = f"partner_city.{self.index}"
        eligible = fund.eligible(model)[self.rows]
        rows = self.rows[eligible]
        used = 0.0
        # Labour-export linkage: placements cost placement_cost each. The city's choice:
        # when migrant work collapses (the 2020 epidemic), what it cannot place goes to
        # buying local products instead (003 l.166: migration and product sales both hit).
        want = money * cfg.labour_share * model.migrant_employment
        shifted = money * cfg.labour_share - want
        k = a.whole(model, want, cfg.placement_cost, f"{tag}.labour.round", can - used)
        n = a.placements(model, state, rows, k, cfg.migrant_wage * cfg.remittance_share,
                         cfg.placement_months, f"{tag}.labour")
        self.placed += n
        used += n * cfg.placement_cost
        # Industrial transfer: capital per local job.
        want = money * cfg.industry_share
        k = a.whole(model, want, cfg.job_cost, f"{tag}.industry.round", can - used)
        n = a.local_jobs(model, state, self.rows, k, cfg.local_wage, cfg.job_months,
                         f"{tag}.industry")
        self.jobs += n
        used += n * cfg.job_cost
        # Consumption assistance and cadre exchange.
        spent = a.buy_products(model, self.rows,
                               min(money * cfg.consumption_share + shifted, can - used),
                               cfg.consumption_margin)
        self.purchases += spent
        used += spent
        spent = a.post_cadres(model, self.villages, min(money * cfg.cadre_share, can - used),
                              cfg.cadre_cost, cfg.cadre_capacity_gain)
        self.cadre_money += spent
        used += spent
        # Projects take their share plus what other channels could not use.
        planned = money * (cfg.projects_share + cfg.labour_share + cfg.industry_share
                           + cfg.consumption_share + cfg.cadre_share)
        used += a.build_roads(model, self.villages,
                              min(max(planned - used, 0.0), max(can - used, 0.0)))
        fund.charge(used)


def build_partner_cities(model: PovertyModel) -> list[PartnerCityAgent]:
    cfg = model.config.actors.partner_city
    if not cfg.enabled:
        return []
    blocks = np.array_split(np.arange(model.villages.n), cfg.cities)
    return [PartnerCityAgent(model, i, b) for i, b in enumerate(blocks)]
