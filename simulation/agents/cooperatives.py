"""Cooperatives and leading enterprises: "government + cooperative + poor household".

Each co-op makes one product in one village and pays its member households wages and
dividends (seed 001 'Analysis of the Model of Targeted Poverty Alleviation'; 004 §4.4).
When many co-ops make the same product its price falls (seed 003 'Difficulties in
industrial development': homogeneous products). Performance also depends on how well cadres
manage the project and on market access.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from simulation.environment import Villages
from simulation.scenario import Scenario
from simulation.streams import Streams


@dataclass
class CooperativeTable:
    village: np.ndarray
    product: np.ndarray
    capacity: np.ndarray  # member places, in sampled households (real places x scale)
    n_products: int = 1
    members: np.ndarray = field(init=False)
    reference: np.ndarray = field(init=False)  # co-ops per product at start

    def __post_init__(self) -> None:
        self.members = np.zeros(len(self.village), dtype=np.int64)
        counts = np.bincount(self.product, minlength=self.n_products).astype(float)
        self.reference = np.maximum(counts, counts.mean() if counts.sum() else 1.0)

    @property
    def n(self) -> int:
        return len(self.village)

    def add(self, village: int, product: int, capacity: float) -> int:
        self.village = np.append(self.village, village)
        self.product = np.append(self.product, product)
        self.capacity = np.append(self.capacity, capacity)
        self.members = np.append(self.members, 0)
        return self.n - 1

    def price_factor(self, n_products: int, elasticity: float,
                     shock: np.ndarray) -> np.ndarray:
        """Relative price per product (1 at start): more co-ops making it fetch less (003)."""
        counts = np.bincount(self.product, minlength=n_products).astype(float)
        crowding = np.maximum(counts, self.reference) / self.reference
        return crowding ** (-elasticity) * shock

    def performance(self, scenario: Scenario, villages: Villages, effort: np.ndarray,
                    price: np.ndarray) -> np.ndarray:
        """Income multiplier per co-op: price, cadre management and market access."""
        w = scenario.cooperatives.management_weight
        v = self.village
        return price[self.product] * (1 - w + w * effort[v] / 0.7) * villages.market_access[v]


def build_cooperatives(scenario: Scenario, villages: Villages,
                       streams: Streams) -> CooperativeTable:
    rng = streams.rng("setup.cooperatives")
    per_village = rng.poisson(scenario.cooperatives.initial_per_village, villages.n)
    village = np.repeat(np.arange(villages.n), per_village)
    product = villages.product[village]
    scale = scenario.households / scenario.region.households_represented
    places = max(scenario.cooperatives.member_capacity * scale, 1.0)
    capacity = np.full(len(village), places, dtype=np.float64)
    return CooperativeTable(village.astype(np.int64), product.astype(np.int64), capacity,
                            scenario.cooperatives.products)


class Cooperative(mesa.Agent):
    """A co-op, viewing its row of the co-op table."""

    def __init__(self, model: mesa.Model, row: int):
        super().__init__(model)
        self.row = row

    @property
    def village(self) -> int:
        return int(self.model.cooperatives.village[self.row])

    @property
    def product(self) -> int:
        return int(self.model.cooperatives.product[self.row])

    @property
    def members(self) -> int:
        return int(self.model.cooperatives.members[self.row])

    @property
    def capacity(self) -> int:
        return int(self.model.cooperatives.capacity[self.row])
