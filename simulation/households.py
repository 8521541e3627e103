"""Households, the target group (Smith's third factor), held as numpy columns.

A region has up to millions of households, so their state lives in arrays and every monthly
rule is one vectorised expression (Covasim's design). `Household` is a Mesa agent that is a
thin view onto one row, created on demand for small runs, inspection and the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import mesa
import numpy as np

from simulation.environment import Villages
from simulation.scenario import PROGRAMMES, Eligibility, Scenario
from simulation.streams import Streams


class PovertyState(IntEnum):
    """Every household is in exactly one of these states each month."""

    NON_POOR = 0  # above the line and never poor since the start
    POOR = 1  # below the line, not yet lifted out
    EXITED = 2  # was poor, now above the line
    RETURNED = 3  # exited, then fell below the line again


class Source(IntEnum):
    """Income sources, as in the official income composition."""

    FARM = 0
    WAGE = 1
    COOPERATIVE = 2
    BUSINESS = 3
    PROPERTY = 4  # asset-income dividends
    TRANSFER = 5  # pensions, subsidies, compensation, dibao, assistance, remittances


class Deficit(IntEnum):
    """The non-income exit criteria ('two no-worries, three guarantees' and safe water;
    reference-figures.md, The register): a True entry is a guarantee not yet met."""

    EDUCATION = 0
    MEDICAL = 1
    HOUSING = 2
    WATER = 3


def sums_exactly(size: np.ndarray) -> bool:
    """Whether every float32 sum of these household sizes is exact, in any order: they are
    whole numbers and their total is below 2**24."""
    return (float(size.sum(dtype=np.float64)) < 2 ** 24
            and bool(np.all(size == np.floor(size))))


@dataclass
class HouseholdTable:
    village: np.ndarray
    size: np.ndarray
    labour: np.ndarray
    head_age: np.ndarray
    elders: np.ndarray  # members aged 60 or more (pension age), head included
    education: np.ndarray
    chronic: np.ndarray
    phone: np.ndarray
    literacy: np.ndarray
    risk_aversion: np.ndarray
    motivation: np.ndarray
    trust: np.ndarray
    conceal: np.ndarray
    farm_base: np.ndarray  # per-capita monthly farm income at start prices
    wage_base: np.ndarray  # per-capita monthly wage income at start prices
    remitters: np.ndarray = field(default=None)  # senders away, weighted by earning capacity
    income_shock: np.ndarray = field(default=None)  # persistent log-income shock (AR(1))
    productivity: np.ndarray = field(init=False)
    wage_multiplier: np.ndarray = field(init=False)
    ill_left: np.ndarray = field(init=False)
    income: np.ndarray = field(init=False)  # (n, sources) per-capita income this month
    annual_by_source: np.ndarray = field(init=False)  # (n, sources) smoothed, annualised
    annual_income: np.ndarray = field(init=False)  # their sum: smoothed annual per capita
    migrants: np.ndarray = field(init=False)  # members who left for migrant work since start
    ranger: np.ndarray = field(init=False)  # holds an ecological ranger post
    public_post: np.ndarray = field(init=False)  # holds a public welfare post
    state: np.ndarray = field(init=False)
    registered: np.ndarray = field(init=False)
    left_register: np.ndarray = field(init=False)  # officially exited the register
    keeps_policy: np.ndarray = field(init=False)  # left it, keeping registered households' policies
    deficit: np.ndarray = field(init=False)  # (n, Deficit) guarantees not met
    understanding: np.ndarray = field(init=False)  # (n, programmes) 0 = unaware
    retention: np.ndarray = field(init=False)  # (n, programmes) how lasting it is (channels)
    participating: np.ndarray = field(init=False)  # (n, programmes)
    joined: np.ndarray = field(init=False)  # (n, programmes) month joined, -1 never
    loan: np.ndarray = field(init=False)  # outstanding principal
    loan_left: np.ndarray = field(init=False)  # months of loan term left
    capital: np.ndarray = field(init=False)  # productive assets built with loans
    savings: np.ndarray = field(init=False)  # household savings (yuan), a buffer for shocks
    cooperative: np.ndarray = field(init=False)  # index of co-op joined, -1 none
    people_exact: bool = field(init=False)  # see people_in()

    def __post_init__(self) -> None:
        n, p = len(self.village), len(PROGRAMMES)
        self.people_exact = sums_exactly(self.size)
        self.productivity = np.ones(n, dtype=np.float32)
        self.wage_multiplier = np.ones(n, dtype=np.float32)
        self.ill_left = np.zeros(n, dtype=np.int16)
        # Column-major: every rule reads or writes one source at a time, and the row sums
        # (sum(axis=1)) then add whole columns; values are identical to the row-major layout.
        self.income = np.zeros((n, len(Source)), dtype=np.float64, order="F")
        self.annual_by_source = np.zeros((n, len(Source)), dtype=np.float64, order="F")
        self.annual_income = np.zeros(n, dtype=np.float64)
        self.migrants = np.zeros(n, dtype=np.float32)
        self.ranger = np.zeros(n, dtype=bool)
        self.public_post = np.zeros(n, dtype=bool)
        if self.remitters is None:
            self.remitters = np.zeros(n, dtype=np.float32)
        if self.income_shock is None:
            self.income_shock = np.zeros(n, dtype=np.float64)
        self.state = np.zeros(n, dtype=np.int8)
        self.registered = np.zeros(n, dtype=bool)
        self.left_register = np.zeros(n, dtype=bool)
        self.keeps_policy = np.zeros(n, dtype=bool)
        self.deficit = np.zeros((n, len(Deficit)), dtype=bool, order="F")
        # Column-major: rules read and write one programme (column) at a time.
        self.understanding = np.zeros((n, p), dtype=np.float32, order="F")
        self.retention = np.zeros((n, p), dtype=np.float32, order="F")
        self.participating = np.zeros((n, p), dtype=bool, order="F")
        self.joined = np.full((n, p), -1, dtype=np.int16, order="F")
        self.loan = np.zeros(n, dtype=np.float64)
        self.loan_left = np.zeros(n, dtype=np.int16)
        self.capital = np.zeros(n, dtype=np.float64)
        self.savings = np.zeros(n, dtype=np.float64)
        self.cooperative = np.full(n, -1, dtype=np.int32)

    @property
    def n(self) -> int:
        return len(self.village)

    @property
    def elderly(self) -> np.ndarray:
        return self.head_age >= 60

    @property
    def low_education(self) -> np.ndarray:
        return self.education <= 6

    @property
    def comprehension(self) -> np.ndarray:
        """How well a household can understand written or broadcast policy (0.3..1)."""
        edu = np.clip(self.education / 12.0, 0, 1)
        return (0.3 + 0.5 * edu + 0.2 * (self.head_age < 60)).astype(np.float32)

    def people_in(self, mask: np.ndarray) -> np.float32:
        """People in the households where `mask` holds: `size[mask].sum()`, the same value.

        Sizes are whole numbers; while their total stays below 2**24 every float32 partial
        sum is exact, so any order of summation gives that value and one dot product
        (no gathered copy) is enough.
        """
        if self.people_exact:
            return np.float32(np.dot(self.size, mask))
        return self.size[mask].sum()


def eligible(hh: HouseholdTable, line: float, rule: Eligibility) -> np.ndarray:
    """Households an instrument or actor fund may reach under its eligibility rule."""
    if rule == Eligibility.ALL:
        return np.ones(hh.n, dtype=bool)
    poor = hh.annual_income < line
    registered = hh.registered | hh.keeps_policy  # exit without losing policy (registration)
    if rule == Eligibility.REGISTERED:
        return registered
    if rule == Eligibility.INCOME_POOR:
        return poor
    if rule == Eligibility.EXITED:
        return hh.left_register.copy()
    return registered | poor


def build_households(scenario: Scenario, villages: Villages, streams: Streams) -> HouseholdTable:
    """Draw the population; households are sorted by village (needed by the network)."""
    pop, n = scenario.population, scenario.households
    rng = streams.rng("setup.households")
    # Village sizes vary; households are assigned in village order.
    weights = rng.gamma(4.0, 1.0, villages.n)
    village = np.sort(rng.choice(villages.n, size=n, p=weights / weights.sum())).astype(np.int32)
    size = (1 + rng.poisson(max(pop.household_size_mean - 1, 0.01), n)).astype(np.float32)
    head_age = np.clip(rng.normal(pop.head_age_mean, pop.head_age_sd, n), 20, 95).astype(
        np.float32)
    elderly = head_age >= 60
    chronic = rng.random(n) < pop.chronic_illness
    labour = np.clip(size - 1 - rng.poisson(0.8, n), 0, None).astype(np.float32)
    labour = np.where(elderly, np.minimum(labour, 1), labour) + np.where(elderly | chronic, 0, 1)
    education = np.clip(rng.normal(pop.education_years_mean, 2.5, n) - 0.05 * (head_age - 50),
                        0, 16).astype(np.float32)
    literacy = (rng.beta(pop.internet_literacy.a, pop.internet_literacy.b, n)
                * np.where(elderly, 0.4, 1.0) * (0.5 + education / 16)).astype(np.float32)
    phone = rng.random(n) < pop.phone_ownership * np.where(elderly, 0.6, 1.1)
    draw = lambda d: rng.beta(d.a, d.b, n).astype(np.float32)  # noqa: E731
    risk_aversion = np.clip(draw(pop.risk_aversion) + 0.1 * elderly, 0, 1)
    motivation, trust, conceal = draw(pop.motivation), draw(pop.trust), draw(pop.conceal)
    # Market income: log-normal, lower in remote villages, for ill and for labour-poor homes.
    rem = villages.remoteness[village]
    penalty = scenario.region.remoteness_income_penalty
    deviation = pop.income_sigma * rng.standard_normal(n)
    log_y = (np.log(pop.income_median) + deviation
             - penalty * (rem - villages.remoteness.mean()) - 0.25 * chronic
             + 0.15 * (labour / size - 0.5) + 0.02 * (education - pop.education_years_mean))
    monthly = np.exp(log_y) / 12.0
    wage_share = np.clip(rng.beta(2, 2, n) * 2 * pop.wage_share * np.where(labour > 0, 1, 0.2)
                         * np.where(elderly, 0.5, 1.0), 0, 0.95)
    # Members of pension age: an elderly head, often a spouse, and in three-generation homes
    # one or two grandparents (drawn last, so the draws above are unchanged).
    spouse = (size >= 2) & (rng.random(n) < 0.6)
    grandparents = (size >= 3) & (rng.random(n) < pop.three_generation_share)
    elders = np.where(elderly, 1 + spouse, grandparents * (1 + (rng.random(n) < 0.5)))
    elders = np.minimum(elders, size).astype(np.float32)
    # Family members away who send money home: more often for elderly parents.
    remitters = rng.poisson(np.where(elderly, scenario.economy.labour_market.remittances
                                     .senders_elderly, scenario.economy.labour_market
                                     .remittances.senders_young)).astype(np.float32)
    shock = persistent_part(deviation, pop.income_sigma, scenario.economy.shocks.persistent_sd,
                            rng.standard_normal(n))
    monthly_base = monthly * np.exp(-shock)  # today's income = base x exp(shock)
    # What a member away earns tracks the family's own earning capacity (schooling, place,
    # connections): each sender is weighted by the household's permanent income relative
    # to the median (assumption), so remittances scale with income rather than lifting the
    # poorest by a flat amount.
    capacity = np.clip(monthly_base * 12.0 / pop.income_median, 0.2, 5.0)
    remitters = (remitters * capacity).astype(np.float32)
    table = HouseholdTable(
        village=village, size=size, labour=labour.astype(np.float32), head_age=head_age,
        elders=elders,
        education=education, chronic=chronic, phone=phone, literacy=literacy,
        risk_aversion=risk_aversion.astype(np.float32), motivation=motivation, trust=trust,
        conceal=conceal, farm_base=monthly_base * (1 - wage_share),
        wage_base=monthly_base * wage_share, remitters=remitters, income_shock=shock)
    table.annual_by_source[:, Source.FARM] = 12.0 * monthly * (1 - wage_share)
    table.annual_by_source[:, Source.WAGE] = 12.0 * monthly * wage_share
    table.annual_income[:] = 12.0 * monthly
    return table


def persistent_part(deviation: np.ndarray, sigma: float, sd: float,
                    noise: np.ndarray) -> np.ndarray:
    """The persistent shock inside each household's start deviation of log income.

    With `b = sd**2 / sigma**2`, the shock `b * deviation + sqrt(sd**2 - b**2 sigma**2) * noise`
    has spread `sd` and leaves a permanent part (deviation - shock) uncorrelated with it, so
    the start distribution keeps spread `sigma` and the AR(1) is stationary from the start.
    """
    sd = min(sd, 0.95 * sigma)
    b = sd ** 2 / sigma ** 2
    return b * deviation + np.sqrt(max(sd ** 2 - b ** 2 * sigma ** 2, 0.0)) * noise


class Household(mesa.Agent):
    """A Mesa agent viewing one row of the household table (no state of its own)."""

    def __init__(self, model: mesa.Model, row: int):
        super().__init__(model)
        self.row = row

    @property
    def _t(self) -> HouseholdTable:
        return self.model.households

    @property
    def village(self) -> int:
        return int(self._t.village[self.row])

    @property
    def size(self) -> int:
        return int(self._t.size[self.row])

    @property
    def head_age(self) -> float:
        return float(self._t.head_age[self.row])

    @property
    def education(self) -> float:
        return float(self._t.education[self.row])

    @property
    def state(self) -> PovertyState:
        return PovertyState(int(self._t.state[self.row]))

    @property
    def registered(self) -> bool:
        return bool(self._t.registered[self.row])

    @property
    def deficits(self) -> list[str]:
        """Guarantees not yet met (education, medical, housing, water)."""
        return [d.name.lower() for d in Deficit if self._t.deficit[self.row, d]]

    @property
    def annual_income(self) -> float:
        """Smoothed annualised per-capita income (yuan)."""
        return float(self._t.annual_income[self.row])

    @property
    def income_by_source(self) -> dict[str, float]:
        """This month's per-capita income by source (yuan)."""
        return {s.name.lower(): float(self._t.income[self.row, s]) for s in Source}

    @property
    def awareness(self) -> dict[str, float]:
        return {p: float(self._t.understanding[self.row, k]) for k, p in enumerate(PROGRAMMES)}

    @property
    def participation(self) -> dict[str, bool]:
        return {p: bool(self._t.participating[self.row, k]) for k, p in enumerate(PROGRAMMES)}

    @property
    def savings(self) -> float:
        return float(self._t.savings[self.row])

    @property
    def debt(self) -> float:
        """Outstanding micro-credit principal (yuan)."""
        return float(self._t.loan[self.row])

    @property
    def trust(self) -> float:
        return float(self._t.trust[self.row])

    @property
    def motivation(self) -> float:
        return float(self._t.motivation[self.row])

    def as_dict(self) -> dict:
        return {"row": self.row, "village": self.village, "size": self.size,
                "head_age": self.head_age, "education": self.education,
                "state": self.state.name, "registered": self.registered,
                "deficits": ",".join(self.deficits),
                "annual_income": self.annual_income, "savings": self.savings,
                "debt": self.debt, "trust": self.trust,
                "motivation": self.motivation, **{f"aware_{k}": v for k, v in
                                                  self.awareness.items()},
                **{f"in_{k}": v for k, v in self.participation.items()}}
