"""Villages and the shocks that hit them: Smith's fourth factor, the environment.

Remoteness, terrain, roads, internet and tourism resources set the cost and reach of every
other mechanism (seed 000 §4.4; 001 'Policy environment'). Roads and internet change over
time through the infrastructure instrument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.scenario import Scenario
from simulation.streams import Streams
from simulation.timeline import month_index


@dataclass
class Villages:
    remoteness: np.ndarray
    terrain: np.ndarray
    road: np.ndarray
    internet: np.ndarray
    tourism: np.ndarray
    product: np.ndarray  # main product of the village (index into products)
    disaster_left: np.ndarray  # months of disaster still to run

    @property
    def n(self) -> int:
        return len(self.remoteness)

    @property
    def logistics_cost(self) -> np.ndarray:
        """Share of sales value lost to transport: high when remote and poorly connected."""
        return np.clip(0.05 + 0.45 * self.remoteness * (1.0 - 0.7 * self.road), 0.0, 0.9)

    @property
    def market_access(self) -> np.ndarray:
        """Multiplier on farm income from reaching markets (1 = as good as the county town)."""
        return 1.0 - 0.3 * self.remoteness * (1.0 - self.road)

    def index(self) -> np.ndarray:
        """Smith environment index per village on [0, 1]."""
        return (0.35 * self.road + 0.25 * self.internet + 0.25 * (1 - self.remoteness)
                + 0.15 * (1 - self.logistics_cost))


def _beta(rng: np.random.Generator, dist, n: int) -> np.ndarray:
    return rng.beta(dist.a, dist.b, n)


def _around(rng: np.random.Generator, mean: float, n: int, concentration: float = 6.0):
    """Village shares scattered around a regional mean (Beta with that mean)."""
    mean = min(max(mean, 1e-3), 1 - 1e-3)
    return rng.beta(mean * concentration, (1 - mean) * concentration, n)


def build_villages(scenario: Scenario, streams: Streams) -> Villages:
    reg = scenario.region
    rng = streams.rng("setup.villages")
    n = reg.villages
    remoteness = _beta(rng, reg.remoteness, n)
    terrain = _beta(rng, reg.terrain, n)
    # Remote villages start with worse roads and internet (000 §4.4).
    road = np.clip(_around(rng, reg.road_coverage, n) * (1.2 - 0.4 * remoteness), 0, 1)
    internet = np.clip(_around(rng, reg.internet_coverage, n) * (1.2 - 0.4 * remoteness), 0, 1)
    tourism = _beta(rng, reg.tourism_resource, n)
    product = rng.integers(0, scenario.cooperatives.products, n)
    return Villages(remoteness, terrain, road, internet, tourism, product,
                    np.zeros(n, dtype=np.int16))


@dataclass
class ShockState:
    """This month's shocks, as multipliers the income rule applies."""

    farm_factor_village: np.ndarray  # per village
    price_factor_product: np.ndarray  # per product
    migrant_employment: float  # share of migrant work available


class Shocks:
    """Natural disasters, market price falls, illness and the 2020 epidemic."""

    def __init__(self, scenario: Scenario, villages: Villages):
        self.cfg = scenario.economy.shocks
        self.start = scenario.start
        self.price_left = np.zeros(scenario.cooperatives.products, dtype=np.int16)
        self.villages = villages
        ep = self.cfg.epidemic
        self.epidemic_first = month_index(ep.start, scenario.start)
        self.epidemic_last = self.epidemic_first + ep.months - 1

    def step(self, month: int, streams: Streams) -> ShockState:
        cfg, v = self.cfg, self.villages
        monthly = lambda yearly: 1.0 - (1.0 - yearly) ** (1 / 12)  # noqa: E731
        hit = streams.uniform("shock.disaster", month, v.n) < monthly(cfg.disaster_rate)
        v.disaster_left = np.where(hit, cfg.disaster_months, np.maximum(v.disaster_left - 1, 0))
        farm = np.where(v.disaster_left > 0, 1.0 - cfg.disaster_farm_loss, 1.0)
        fall = (streams.uniform("shock.price", month, len(self.price_left))
                < monthly(cfg.price_fall_rate))
        self.price_left = np.where(fall, cfg.price_fall_months,
                                   np.maximum(self.price_left - 1, 0))
        price = np.where(self.price_left > 0, 1.0 - cfg.price_fall_size, 1.0)
        in_epidemic = self.epidemic_first <= month <= self.epidemic_last
        employment = 1.0 - cfg.epidemic.migrant_employment_drop if in_epidemic else 1.0
        return ShockState(farm, price, employment)
