"""Designated (fixed-point) assistance units (seed 002 §2.1, §3.1, §4.1; 004 §4.4, §4.8).

State agencies, state-owned enterprises and universities are each paired with a block of
villages. A unit is a Mesa agent with its own fund that sends money for roads and projects,
creates co-op places for registered households (industry), posts cadres (first secretaries)
to the weakest task forces and buys local products (targeted purchasing). Their
mobilization is administrative (002 §3.1), so their dates follow the poverty deadline unless
the transition keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.agents import assistance as a
from simulation.agents.funds import ActorFund

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class DesignatedUnit(mesa.Agent):
    """One designated-assistance unit, its fund and its paired villages."""

    def __init__(self, model: PovertyModel, index: int, villages: np.ndarray, share: float):
        super().__init__(model)
        self.index = index
        self.cfg = model.config.actors.designated_assistance
        self.villages = villages
        self.rows = a.rows_in(model, villages)
        self.fund = ActorFund(model, self.cfg, "designated_assistance", share=share)
        self.places = 0
        self.cadre_money = 0.0
        self.purchases = 0.0

    def act(self, model: PovertyModel) -> None:
        cfg, fund = self.cfg, self.fund
        money = fund.usable(model.month)
        if money <= 0:
            return
        tag = f"designated.{self.index}"
        used = 0.0
        can = fund.spendable * (1.0 - cfg.overhead)  # places may be bought ahead
        k = a.whole(model, money * cfg.industry_share, cfg.place_cost, f"{tag}.round", can)
        n = a.cooperative_places(model, self.rows, k, f"{tag}.industry")
        self.places += n
        used += n * cfg.place_cost
        spent = a.post_cadres(model, self.villages, min(money * cfg.cadre_share, can - used),
                              cfg.cadre_cost, cfg.cadre_capacity_gain)
        self.cadre_money += spent
        used += spent
        spent = a.buy_products(model, self.rows, min(money * cfg.purchase_share, can - used),
                               cfg.purchase_margin)
        self.purchases += spent
        used += spent
        total = (cfg.infrastructure_share + cfg.industry_share + cfg.cadre_share
                 + cfg.purchase_share)
        used += a.build_roads(model, self.villages, min(max(money * min(total, 1.0) - used, 0.0),
                                                          max(can - used, 0.0)))
        fund.charge(used)


def build_designated_units(model: PovertyModel) -> list[DesignatedUnit]:
    cfg = model.config.actors.designated_assistance
    if not cfg.enabled:
        return []
    n_villages = model.villages.n
    k = max(1, int(np.ceil(n_villages / cfg.villages_per_unit)))
    blocks = np.array_split(np.arange(n_villages), k)
    return [DesignatedUnit(model, i, b, len(b) / n_villages) for i, b in enumerate(blocks)]
