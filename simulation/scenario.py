"""The scenario: one validated description of a region, its people and its policies.

Every parameter carries its source in its description ("Source: ..."), so that
`docs/parameters.md` is generated from this file and cannot drift from the code.
Scenario files are YAML; `extends:` names a parent file (or a bundled scenario) whose
values are deep-merged under the child's, and dotted overrides (`a.b.c=value`) are
applied last.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulation.timeline import month_index, parse_month
from simulation.validation import describe_errors, read_yaml

ASSUMPTION = "Source: assumption"


class ScenarioError(ValueError):
    """A scenario file or override is malformed; the message names file, field and expectation."""


def P(default: Any, what: str, source: str, **constraints: Any) -> Any:
    """A parameter with its meaning and its source, for the generated parameter table."""
    return Field(default, description=f"{what} Source: {source}", **constraints)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Beta(Strict):
    """A Beta(a, b) distribution on [0, 1], used for household and village traits."""

    a: Positive = Field(2.0, description="First shape parameter. Source: assumption.")
    b: Positive = Field(2.0, description="Second shape parameter. Source: assumption.")

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


# --------------------------------------------------------------------------- region
class Network(Strict):
    neighbours: int = P(6, "Neighbours each household listens to (word of mouth, peer uptake).",
                        "assumption (typical rural acquaintance network size)", ge=0, le=50)
    between_village_share: Share = P(0.05, "Share of ties that reach another village.",
                                     "assumption")


class Region(Strict):
    name: str = P("generic western county", "Region label.", "assumption")
    households_represented: int = P(
        100_000, "Real households the simulated sample stands for; budgets are in real yuan "
        "and are scaled to the sample.", "assumption (a mid-sized western county)", gt=0)
    villages: int = P(120, "Number of administrative villages.",
                      "assumption; ~128,000 poor villages nationally (reference-figures.md, "
                      "Exit criteria, S)", ge=1)
    remoteness: Beta = P(Beta(a=2.0, b=2.5), "Village remoteness on [0,1] (0 = by the county "
                         "town).", "000 §4.4, 001 'Policy environment'; shape an assumption")
    terrain: Beta = P(Beta(a=2.0, b=2.0), "Terrain ruggedness on [0,1]; raises road cost.",
                      "000 §4.4; shape an assumption")
    road_coverage: Share = P(0.45, "Mean initial share of a village connected by all-weather "
                             "road.", "000 §5.4, 003 'strengthen'; level an assumption")
    internet_coverage: Share = P(0.30, "Mean initial broadband coverage of villages.",
                                 "reference-figures.md: rural internet penetration 30.1% "
                                 "(Jun 2015, O)")
    tourism_resource: Beta = P(Beta(a=1.2, b=4.0), "Cultural and tourism endowment per village.",
                               "000 §3, 001 'ecological tourism' model; shape an assumption")
    remoteness_income_penalty: NonNegative = P(
        0.45, "Log-income penalty of the most remote village relative to the nearest.",
        "assumption (000 §4.4: remoteness and weak economic base)")
    network: Network = Field(default_factory=Network)


# ----------------------------------------------------------------------- population
class Population(Strict):
    household_size_mean: float = P(4.0, "Mean household size (people).",
                                   "assumption (rural censuses: ~3.5-4.5 in the west)",
                                   ge=1.0, le=12.0)
    head_age_mean: float = P(52.0, "Mean age of household heads.", "assumption", ge=18, le=90)
    head_age_sd: float = P(12.0, "Spread of head age.", "assumption", ge=0.0, le=40.0)
    education_years_mean: float = P(6.5, "Mean years of schooling of the head.",
                                    "assumption (001 'Target groups': low education)",
                                    ge=0.0, le=16.0)
    phone_ownership: Share = P(0.55, "Share of households with a smartphone in the start year.",
                               "assumption; 84% used the mobile phone as main medium in 2017 "
                               "(reference-figures.md, Effect sizes, R)")
    phone_growth: Share = P(0.05, "Yearly rise in smartphone ownership (share points).",
                            "assumption matching ~84% by 2017-2020")
    internet_literacy: Beta = P(Beta(a=1.5, b=3.0), "Ability to use internet services.",
                                "001 'Target groups'; shape an assumption")
    risk_aversion: Beta = P(Beta(a=3.0, b=2.0), "Conservatism and risk aversion.",
                            "000 §4.3; shape an assumption")
    motivation: Beta = P(Beta(a=2.0, b=2.0), "Endogenous drive; low values are the 'wait, rely, "
                         "demand' attitude.", "000 §4.3, 003 'endogenous power'; assumption")
    trust: Beta = P(Beta(a=3.0, b=2.0), "Trust in cadres.",
                    "reference-figures.md (satisfaction with policy high, with implementation "
                    "low, R); shape an assumption")
    conceal: Beta = P(Beta(a=1.0, b=6.0), "Propensity to conceal income from assessors.",
                      "001 'Target groups'; shape an assumption")
    chronic_illness: Share = P(0.12, "Share of households with a chronically ill member.",
                               "assumption (illness is a leading registered cause of poverty)")
    income_median: Positive = P(4800.0, "Median annual per-capita market income at start (yuan).",
                                "assumption calibrated so that start incidence matches the "
                                "region (reference-figures.md, national table)")
    income_sigma: Positive = P(0.65, "Log-normal spread of per-capita market income.",
                               "assumption (rural Gini ~0.35-0.40)")
    wage_share: Share = P(0.40, "Mean share of market income from wages and migrant work.",
                          "reference-figures.md: 2019 poor-area wages 4,082 of 11,567 (O)")


# -------------------------------------------------------------------------- economy
class Epidemic(Strict):
    start: str = P("2020-02", "First month of the 2020 epidemic shock to migrant work.",
                   "003 'risk prevention' (2020 epidemic); timing public record")
    months: int = P(4, "Duration of the shock.", "assumption", ge=0, le=36)
    migrant_employment_drop: Share = P(0.5, "Share of migrant work lost during the shock.",
                                       "assumption")

    @field_validator("start")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v


class Shocks(Strict):
    disaster_rate: Share = P(0.04, "Yearly probability a village suffers a natural disaster.",
                             "003 'risk prevention' (natural risk); rate an assumption")
    disaster_farm_loss: Share = P(0.5, "Share of farm income lost while a disaster lasts.",
                                  "assumption")
    disaster_months: int = P(6, "Months a disaster depresses farm income.", "assumption", ge=0)
    illness_rate: Share = P(0.03, "Yearly probability a household member falls seriously ill.",
                            "assumption (illness-caused poverty)")
    illness_cost_share: Share = P(0.35, "Share of income lost to care and lost work while ill.",
                                  "assumption")
    illness_months: int = P(6, "Months an illness lasts.", "assumption", ge=0)
    price_fall_rate: Share = P(0.05, "Yearly probability the price of a product falls.",
                               "003 'risk prevention' (market risk); assumption")
    price_fall_size: Share = P(0.3, "Size of a product price fall.", "assumption")
    price_fall_months: int = P(12, "Months a price fall lasts.", "assumption", ge=0)
    epidemic: Epidemic = Field(default_factory=Epidemic)


DEFAULT_POVERTY_LINE = {2014: 2800.0, 2015: 2855.0, 2016: 2952.0, 2017: 2952.0, 2018: 2995.0,
                        2019: 3218.0, 2020: 3282.0}


class Economy(Strict):
    poverty_line: dict[int, Positive] = P(
        DEFAULT_POVERTY_LINE, "Official line (yuan/person/year, current prices) by year; "
        "later years keep the last value grown with inflation.",
        "reference-figures.md, national rural poverty table (O; 2017-2019 U/S). 2020 is an "
        "assumption: 2019 x 1.02; the table's '~4,000 (S)' is a secondary figure that would "
        "make the 2020 line jump 24% in one year")
    real_growth: float = P(0.045, "Baseline real growth of market income per year.",
                           "assumption below poor-area real growth 8-9% "
                           "(reference-figures.md), programmes add the rest", ge=-0.2, le=0.3)
    inflation: float = P(0.02, "Consumer price inflation per year.", "assumption (CPI ~2%)",
                         ge=-0.1, le=0.3)
    saving_rate: Share = P(0.15, "Share of income above the poverty line a household saves.",
                           "assumption")
    smoothing_months: float = P(6.0, "Months over which annualised income is smoothed when "
                                "judging poverty.", "assumption", ge=1.0, le=24.0)
    shocks: Shocks = Field(default_factory=Shocks)


# --------------------------------------------------------------------------- actors
class Cadres(Strict):
    capacity: Beta = P(Beta(a=3.0, b=3.0), "Skill and capacity of a village's task force.",
                       "000 §3.2, §4.2; 002 §2.1; shape an assumption")
    internet_skill: Beta = P(Beta(a=2.0, b=4.0), "Internet skill of cadres.",
                             "001 'Policy enforcement agencies'; assumption")
    assessment_pressure: Share = P(0.5, "Pressure from top-down assessment; turns effort into "
                                   "formalism when capacity is low.", "000 §4.2, 003 "
                                   "'supervision and assessment policies'; level an assumption")
    formalism_sensitivity: NonNegative = P(1.2, "How strongly pressure without capacity becomes "
                                           "formalism.", "assumption (000 §4.2)")
    visits_per_month: NonNegative = P(30.0, "Household visits one task force can make per month "
                                      "at full effort.", "assumption")
    assessment_error: NonNegative = P(0.35, "Log-sd of income assessment at zero capacity.",
                                      "assumption; reference-figures.md notes large inclusion "
                                      "and exclusion errors (R)")
    conceal_strength: Share = P(0.3, "Share of income a fully concealing household hides.",
                                "001 'Target groups'; assumption")
    deadline: str = P("2020-12", "Deadline for eliminating registered poverty; assessment "
                      "pressure builds towards it.", "003 'Strategic background' (absolute "
                      "poverty eliminated by end-2020)")
    post_deadline_pressure: Share = P(0.6, "Share of the base pressure kept after the "
                                      "deadline.", "assumption (003: from concentrated "
                                      "operations to normal progress)")


class Cooperatives(Strict):
    initial_per_village: NonNegative = P(0.3, "Cooperatives per village at start.",
                                         "assumption (001 cooperative models)")
    products: int = P(4, "Distinct products cooperatives can make.", "assumption", ge=1, le=50)
    member_capacity: int = P(80, "Member households per cooperative.", "001: one project "
                             "reached 1,735 poor households; per-co-op size an assumption",
                             ge=1)
    member_income: NonNegative = P(1500.0, "Extra annual income per member household at the "
                                   "reference price (yuan).", "reference-figures.md: joining a "
                                   "cooperative +38% household income (R)")
    price_elasticity: NonNegative = P(0.5, "Price fall as more co-ops make the same product.",
                                      "003 'homogeneous products'; assumption")
    management_weight: Share = P(0.5, "Share of co-op performance set by cadre management.",
                                 "assumption (004 §4.4 leading enterprises + co-ops)")


class Channel(Strict):
    reach: Share = P(0.1, "Monthly probability the channel reaches a household that can "
                     "receive it, at full intensity.", "assumption")
    delay: int = P(0, "Months after a programme starts before the channel carries it.",
                   "assumption", ge=0, le=36)
    fidelity: Share = P(0.5, "How correctly a reached household understands.", "assumption")
    cost: NonNegative = P(1.0, "Cost per household reached (yuan).", "assumption")
    requires_phone: bool = P(False, "Receiver must own a smartphone.", "001 'Target groups'")
    requires_internet: bool = P(False, "Receiver's village must have internet.",
                                "001 'Policy environment'")
    intensity: Share = P(1.0, "How much the region uses the channel routinely (publicity "
                         "campaigns add to it).", "assumption")


def _default_channels() -> dict[str, Channel]:
    c = Channel
    return {
        # 000 §4.3: documents and office meetings are slow, asymmetric and lossy.
        "documents": c(reach=0.01, delay=3, fidelity=0.3, cost=0.5, intensity=1.0),
        "villagers_meeting": c(reach=0.05, delay=1, fidelity=0.55, cost=2.0, intensity=1.0),
        # cadre_visit reach is set by cadre effort (visits_per_month); reach is a ceiling.
        "cadre_visit": c(reach=1.0, delay=0, fidelity=0.85, cost=15.0, intensity=1.0),
        "work_group": c(reach=0.15, delay=0, fidelity=0.55, cost=0.2, requires_phone=True,
                        requires_internet=True, intensity=0.5),
        "radio_tv": c(reach=0.03, delay=1, fidelity=0.35, cost=0.3, intensity=1.0),
        "short_video": c(reach=0.10, delay=0, fidelity=0.45, cost=0.3, requires_phone=True,
                         requires_internet=True, intensity=0.3),
        # word_of_mouth reach is scaled by the share of aware neighbours.
        "word_of_mouth": c(reach=0.15, delay=0, fidelity=0.45, cost=0.0, intensity=1.0),
    }


CHANNELS = tuple(_default_channels())


class Behaviour(Strict):
    """Coefficients of the household take-up rule (see docs/model.md, 'Take-up')."""

    consideration_rate: Share = P(0.25, "Share of aware, eligible households that weigh a "
                                  "programme in a month.", "assumption")
    intercept: float = P(-1.0, "Base utility of joining.", "assumption")
    gain: float = P(3.0, "Weight of expected relative income gain (times understanding).",
                    "assumption")
    trust: float = P(1.5, "Weight of trust in cadres.", "assumption (reference-figures.md "
                     "implementation satisfaction low, R)")
    peer: float = P(2.0, "Weight of the share of neighbours taking part.", "assumption "
                    "(001 demonstration households; 002 §4.3 exemplary models)")
    motivation: float = P(1.5, "Weight of endogenous drive.", "000 §4.3, 003; assumption")
    risk: float = P(2.5, "Weight of programme risk times risk aversion.", "000 §4.3; assumption")
    ability: float = P(2.0, "Weight of ability (education, labour, literacy) to use it.",
                       "001 'Target groups': elderly and low education less able; assumption")
    dependency_drift: float = P(0.01, "Monthly fall in motivation of households living on "
                                "transfers alone ('wait, rely, demand').",
                                "003 'endogenous power'; 002 §3.2; assumption", ge=0, le=0.2)
    participation_drift: float = P(0.01, "Monthly rise in motivation from taking part in a "
                                   "productive programme.", "002 §3.2 'hematopoietic'; "
                                   "assumption", ge=0, le=0.2)
    trust_learning: float = P(0.05, "Monthly pull of trust towards delivered cadre quality.",
                              "assumption", ge=0, le=1)


class Feedback(Strict):
    """How Smith's factors feed back into implementation (simulation/smith.py)."""

    force_reference: Positive = P(20.0, "Programme spending per person per month (yuan) at "
                                  "which policy force reaches 63% of its maximum.",
                                  "assumption: ~1.6 trillion yuan over 2013-2020 for the poor "
                                  "areas (reference-figures.md, special funds, O) is of this "
                                  "order per rural resident")
    force_memory: Share = P(0.85, "Monthly persistence of policy force: macro policies lose "
                            "force without follow-up.", "000 §4.1; assumption")


# ---------------------------------------------------------------------- instruments
M = 1e6  # a million yuan, for readable default budgets


class Eligibility(StrEnum):
    ALL = "all"
    REGISTERED = "registered"
    INCOME_POOR = "income_poor"
    REGISTERED_OR_POOR = "registered_or_poor"


class Delivery(StrEnum):
    ROUTINE = "routine"  # budget spread evenly over the remaining months
    CAMPAIGN = "campaign"  # front-loaded: spends faster at the start


class Instrument(Strict):
    """How an instrument is rolled out; subclasses add what it delivers."""

    enabled: bool = P(True, "Whether the instrument exists in the scenario.", "assumption")
    start: str = P("2014-01", "First month (YYYY-MM).", "assumption (targeted poverty "
                   "alleviation from 2014; 001 'Introduction')")
    end: str = P("2020-12", "Last month (YYYY-MM).", "assumption (battle against poverty to "
                 "end-2020; 003)")
    budget: NonNegative = P(0.0, "Total budget in yuan for the represented region.",
                            "assumption")
    eligibility: Eligibility = P(Eligibility.REGISTERED, "Who may receive it.", "000 §2 "
                                 "(target group); 002 §2")
    delivery: Delivery = P(Delivery.ROUTINE, "Routine pacing or front-loaded campaign.",
                           "003 'from concentrated operations to normal progress'")
    overhead: Share = P(0.05, "Share of each yuan spent on administration.", "assumption")

    @field_validator("start", "end")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> Instrument:
        if month_index(self.end, self.start) < 0:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Registration(Instrument):
    budget: NonNegative = 8 * M
    delivery: Delivery = Delivery.CAMPAIGN
    cost_per_assessment: NonNegative = P(30.0, "Cost of assessing one household (yuan).",
                                         "assumption")
    review_month: int = P(12, "Calendar month of the yearly dynamic adjustment.",
                          "001, 003 (dynamic monitoring); assumption", ge=1, le=12)
    exit_margin: float = P(1.1, "Assessed income must exceed line x margin to exit the "
                           "register.", "assumption ('two no-worries, three guarantees')",
                           ge=0.5, le=3.0)
    join_margin: float = P(0.9, "After the first identification, assessed income must be below "
                           "line x margin to join the register.", "assumption (register "
                           "mostly fixed after the 2014-15 look-back; 002 §2)", ge=0.1, le=2.0)
    pressure_leniency: Share = P(0.15, "How much assessment pressure lowers the exit bar "
                                 "(exit when assessed > line x margin x (1 - leniency x "
                                 "pressure)).", "000 §4.2 formalism under assessment; "
                                 "assumption")


class TakeUpInstrument(Instrument):
    """An instrument households must learn about and choose to join."""

    unit_cost: NonNegative = P(5000.0, "One-off cost per new participant (yuan).",
                               "assumption")
    risk: Share = P(0.3, "Perceived risk of taking part.", "assumption")
    months_active: int = P(0, "Months a participant stays in (0 = while the programme runs).",
                           "assumption", ge=0)


class MinimumLiving(TakeUpInstrument):
    budget: NonNegative = 350 * M
    end: str = "2025-12"
    standard: dict[int, Positive] = P(
        {2014: 2777.0, 2017: 4300.0, 2020: 5962.0, 2021: 6048.0},
        "Rural minimum living security standard (yuan/person/year) by year, interpolated.",
        "reference-figures.md: ~143 yuan/month (2011), ~504 yuan/month (2021) (S/O); "
        "intermediate years an assumption")
    requires_low_labour: bool = P(True, "Only households without able labour (elderly, ill) "
                                  "qualify.", "reference-figures.md: social-security floor for "
                                  "~20M people (O/S)")
    eligibility: Eligibility = Eligibility.REGISTERED_OR_POOR
    unit_cost: NonNegative = 0.0
    risk: Share = 0.05


class CooperativeIndustry(TakeUpInstrument):
    budget: NonNegative = 60 * M
    unit_cost: NonNegative = P(8000.0, "Start-up capital per member slot created (yuan).",
                               "assumption; 002 §2 industry funds")
    risk: Share = 0.35
    training_boost: NonNegative = P(0.2, "Rise in member productivity from co-op training.",
                                    "001 'government + cooperative + poor household'; "
                                    "assumption")


class AssetIncome(Instrument):
    budget: NonNegative = 60 * M
    start: str = "2016-01"
    return_rate: NonNegative = P(0.08, "Yearly dividend per yuan of capital invested.",
                                 "assumption (003 asset-income model)")
    share_to_households: Share = P(0.8, "Share of dividends paid to registered households.",
                                   "assumption")


class Microcredit(TakeUpInstrument):
    budget: NonNegative = 25 * M
    start: str = "2015-01"
    loan_size: Positive = P(40000.0, "Average loan per household (yuan, max 50,000).",
                            "reference-figures.md: up to 50,000, average ~38-40k (O)",
                            le=50000.0)
    term_months: int = P(36, "Loan term.", "reference-figures.md: up to 3 years (O)", ge=1)
    interest_rate: NonNegative = P(0.0435, "Yearly interest, subsidised by the budget.",
                                   "assumption (benchmark lending rate)")
    investment_return: float = P(0.14, "Yearly return on the invested loan.", "assumption",
                                 ge=-1.0, le=2.0)
    default_rate: Share = P(0.02, "Yearly default probability of a borrower not in poverty; "
                            "four times higher for poor borrowers under a shock or who cannot "
                            "meet a repayment from savings.", "reference-figures."
                            "md: overdue 0.26% to 37% (O/S); assumption")
    unit_cost: NonNegative = 0.0
    risk: Share = 0.5


class Ecommerce(TakeUpInstrument):
    budget: NonNegative = 8 * M
    start: str = "2016-01"
    eligibility: Eligibility = Eligibility.ALL
    unit_cost: NonNegative = P(3000.0, "Training and service-site cost per trained seller.",
                               "001: 393 sites, 932 people trained (2018); cost an assumption")
    annual_gain: NonNegative = P(3000.0, "Extra annual income per seller household at full "
                                 "internet and logistics (yuan).", "assumption (001 'Internet "
                                 "+' two-way circulation)")
    risk: Share = 0.3


class Tourism(TakeUpInstrument):
    budget: NonNegative = 10 * M
    start: str = "2016-01"
    unit_cost: NonNegative = P(6000.0, "Start-up cost per tourism household (yuan).",
                               "assumption (000 §3 cultural industry)")
    annual_gain: NonNegative = P(5000.0, "Extra annual income at full tourism resource and road "
                                 "access (yuan).", "assumption (001 ecological tourism)")
    risk: Share = 0.35


class SkillsTraining(TakeUpInstrument):
    budget: NonNegative = 15 * M
    unit_cost: NonNegative = P(2000.0, "Cost per trainee (yuan).", "assumption")
    wage_boost: NonNegative = P(0.25, "Lasting rise in wage income of a trainee.",
                                "assumption (001 new professional farmers; 004 §4.7)")
    months_active: int = 3
    risk: Share = 0.1
    eligibility: Eligibility = Eligibility.ALL


class Infrastructure(Instrument):
    budget: NonNegative = 250 * M
    road_cost_per_village: Positive = P(3.0e6, "Cost of full road coverage of one village at "
                                        "average terrain (yuan).", "assumption")
    internet_cost_per_village: Positive = P(5.0e5, "Cost of full internet coverage of one "
                                            "village (yuan).", "assumption")
    internet_share: Share = P(0.3, "Share of the budget spent on internet.", "assumption")
    eligibility: Eligibility = Eligibility.ALL


class Publicity(Instrument):
    budget: NonNegative = 3 * M
    channels: list[str] = P(["villagers_meeting", "work_group", "short_video"],
                            "Channels the campaign boosts.", "002 §4.3; 004 §4.6")
    boost: Share = P(0.5, "Intensity added to each boosted channel while funds last.",
                     "assumption")
    eligibility: Eligibility = Eligibility.ALL
    delivery: Delivery = Delivery.CAMPAIGN

    @field_validator("channels")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown}; expected some of {list(CHANNELS)}")
        return v


class CadreTraining(Instrument):
    budget: NonNegative = 4 * M
    cost_per_cadre: Positive = P(20000.0, "Cost of one task force's training round (yuan).",
                                 "assumption")
    capacity_gain: Share = P(0.15, "Capacity gained per round (towards 1).", "000 §5.2; "
                             "assumption")
    internet_gain: Share = P(0.2, "Internet skill gained per round (towards 1).",
                             "001 'Cultivate Internet awareness'; assumption")
    eligibility: Eligibility = Eligibility.ALL




class Relocation(Instrument):
    """Relocation from places too remote to serve (seed 003 l.140, l.147; 002 §2.2)."""

    budget: NonNegative = P(0.0, "Total budget in yuan for the represented region (0: no "
                            "relocation; overlays set it per household).", "assumption")
    remoteness_threshold: Share = P(0.8, "Villages at least this remote are 'too remote to "
                                    "serve' and their registered households may move.",
                                    "003 l.119 'poverty trap' areas; level an assumption")
    cost_per_household: Positive = P(100000.0, "Housing and resettlement cost per relocated "
                                     "household (yuan).", "assumption; 002 §2.2: Foshan's "
                                     "229 M yuan built 2,781 houses (~82,000 yuan each)")
    farm_loss: Share = P(0.4, "Share of farm income lost by leaving the land behind.",
                         "assumption (003 l.147: relocation must solve the move 'together')")
    wage_gain: NonNegative = P(0.5, "Rise in wage income from living near jobs in town.",
                               "assumption")
    acceptance: Share = P(0.6, "Probability an offered household agrees to move, at average "
                          "trust and risk aversion.", "assumption")


class Monitoring(Instrument):
    """Dynamic monitoring of households at risk of (re)turning to poverty (seed 003)."""

    start: str = P("2021-01", "First month (YYYY-MM).", "003 l.162 (transition period "
                   "2021-2025)")
    end: str = P("2025-12", "Last month (YYYY-MM).", "003 l.162 (five-year transition)")
    budget: NonNegative = P(0.0, "Total budget in yuan for the represented region (0: no "
                            "monitoring; overlays set it per household).", "assumption")
    eligibility: Eligibility = Eligibility.ALL
    risk_margin: float = P(1.3, "Households below line x margin, or hit by illness or a "
                           "disaster while below 1.6 x line, are 'at risk'.",
                           "003 l.81, l.105 (dynamic monitoring); assumption", ge=1.0, le=3.0)
    detection: Share = P(0.6, "Share of at-risk households the monitoring finds each month.",
                         "assumption")
    cost_per_check: NonNegative = P(20.0, "Cost of checking one household (yuan).",
                                    "assumption")
    support_margin: float = P(1.1, "Support tops a found household's income up to line x "
                              "margin.", "003 l.166 (prevention plus after-the-event help); "
                              "assumption", ge=0.5, le=3.0)
    support_months: int = P(6, "Months support lasts once granted.", "assumption", ge=1)


class Instruments(Strict):
    registration: Registration = Field(default_factory=Registration)
    minimum_living: MinimumLiving = Field(default_factory=MinimumLiving)
    cooperative: CooperativeIndustry = Field(default_factory=CooperativeIndustry)
    asset_income: AssetIncome = Field(default_factory=AssetIncome)
    microcredit: Microcredit = Field(default_factory=Microcredit)
    ecommerce: Ecommerce = Field(default_factory=Ecommerce)
    tourism: Tourism = Field(default_factory=Tourism)
    skills_training: SkillsTraining = Field(default_factory=SkillsTraining)
    infrastructure: Infrastructure = Field(default_factory=Infrastructure)
    publicity: Publicity = Field(default_factory=Publicity)
    cadre_training: CadreTraining = Field(default_factory=CadreTraining)
    relocation: Relocation = Field(default_factory=Relocation)
    monitoring: Monitoring = Field(default_factory=Monitoring)


#: Programmes households learn about and take up (columns of the awareness matrix).
PROGRAMMES = ("minimum_living", "cooperative", "microcredit", "ecommerce", "tourism",
              "skills_training")
#: Columns of the programmes that count as productive participation (they raise motivation;
#: returns to poverty are split by them).
PRODUCTIVE = [PROGRAMMES.index(p) for p in ("cooperative", "microcredit", "ecommerce",
                                            "tourism", "skills_training")]


# ------------------------------------------------------- actors beyond government
class Mobilization(StrEnum):
    VOLUNTARY = "voluntary"
    ADMINISTRATIVE = "administrative"


class SocialOrganizations(Instrument):
    """Social organizations and individuals that raise donations and deliver help.

    Their `budget` is the donors' giving potential; what is raised depends on the number of
    registered organizations and the incentives (docs/model.md).
    """

    start: str = P("2015-01", "First month (YYYY-MM).", "002 §2.3 (organizations active by "
                   "2017); assumption")
    end: str = P("2025-12", "Last month (YYYY-MM).", "assumption (civil society outlives "
                 "the 2020 deadline)")
    budget: NonNegative = P(0.0, "Donors' giving potential over the period (yuan, region): "
                            "the most that can be raised with every organization registered "
                            "and full incentives.", "assumption; 002 §2.3: 80 organizations "
                            "invested 64.67 M yuan in Liangshan in 2017")
    eligibility: Eligibility = Eligibility.REGISTERED_OR_POOR
    overhead: Share = P(0.10, "Overhead share of a professionally staffed organization.",
                        "assumption")
    potential_per_10k: NonNegative = P(3.0, "Organizations that could register per 10,000 "
                                       "households.", "002 §2.3: 1,766 organizations in "
                                       "Liangshan (~15 per 10,000 households), 80 active in "
                                       "poverty work; level an assumption")
    registration_threshold: Share = P(0.6, "Difficulty of registering (office space, "
                                      "registered capital, procedures); 0 = none.",
                                      "002 §4.4; level an assumption")
    formation_rate: Share = P(0.5, "Yearly probability a would-be organization registers at "
                              "zero threshold.", "assumption")
    tax_deduction: Share = P(0.3, "Strength of pre-tax deduction for donations (0 none, 1 "
                             "full).", "002 §4.2, §4.4; level an assumption")
    publicity: Share = P(0.3, "Publicity of exemplary models and honours (0 none, 1 "
                         "intense).", "002 §4.3; level an assumption")
    saturation_per_10k: Positive = P(1.0, "Organizations per 10,000 households at which "
                                     "63% of the giving potential is collected.",
                                     "assumption (002 §4.4 'resource collectors')")
    professional_share: Share = P(0.3, "Share of organizations with professional staff; the "
                                  "rest are part-time.", "002 §3.1 (mostly part-time); "
                                  "assumption")
    part_time_overhead: Share = P(0.25, "Overhead share of a part-time organization.",
                                  "assumption (002 §3.1 low capacity)")
    professional_targeting: Share = P(0.9, "Share of a professional organization's help "
                                      "reaching eligible households.", "assumption")
    part_time_targeting: Share = P(0.6, "Share of a part-time organization's help reaching "
                                   "eligible households.", "assumption (002 §3.1)")
    hematopoietic_share: Share = P(0.3, "Share of help that builds capacity rather than "
                                   "giving material ('transfusion') help.", "002 §3.2 "
                                   "(material help dominates); level an assumption")
    material_package: Positive = P(800.0, "Material help per household reached (yuan).",
                                   "assumption")
    capacity_cost: Positive = P(3000.0, "Cost of building one household's capacity (yuan).",
                                "assumption")
    capacity_gain: Share = P(0.15, "Lasting rise in wage income and farm productivity of a "
                             "household whose capacity is built.", "002 §3.2, §3.4; "
                             "assumption")
    coordination: Share = P(0.2, "Share of help coordinated with other organizations; "
                            "uncoordinated help duplicates where others already helped.",
                            "002 §3.3 (no partnership to share resources); assumption")
    mobilization: Mobilization = P(Mobilization.ADMINISTRATIVE, "Mobilized by administrative "
                                   "order (follows assessment pressure, fades after the "
                                   "deadline) or voluntarily (steady).", "002 §3.1, §4.1")
    villages_per_org: int = P(5, "Villages one organization serves.", "assumption", ge=1)
    spend_rate: Share = P(0.3, "Share of its balance an organization spends per month.",
                          "assumption")


class PrivateEnterprises(Instrument):
    """Private firms that hire poor workers when tax incentives and credit support pay."""

    start: str = P("2016-04", "First month (YYYY-MM).", "002 §4.2 (Charity Law of March "
                   "2016)")
    budget: NonNegative = P(0.0, "Payroll for poor workers that all potential firms together "
                            "would commit over the period (yuan, region).", "assumption")
    eligibility: Eligibility = Eligibility.REGISTERED_OR_POOR
    potential_per_10k: NonNegative = P(2.0, "Firms that could take part per 10,000 "
                                       "households.", "assumption (002 §3.1: few private "
                                       "firms take part)")
    base_participation: NonNegative = P(0.15, "Yearly hazard that a firm joins without "
                                        "incentives.", "assumption")
    tax_incentive: Share = P(0.2, "Strength of tax incentives (pre-tax deduction) 0..1.",
                             "002 §4.2; level an assumption")
    credit_support: Share = P(0.2, "Strength of credit support (interest subsidy, "
                              "guarantees) 0..1.", "002 §4.2; level an assumption")
    tax_weight: NonNegative = P(1.5, "How strongly tax incentives raise participation.",
                                "assumption")
    credit_weight: NonNegative = P(1.0, "How strongly credit support raises participation.",
                                   "assumption")
    job_wage: Positive = P(1500.0, "Monthly wage of a job for a poor worker (yuan).",
                           "assumption (below the 2017 migrant wage of 3,485, "
                           "reference-figures.md, O)")


class DesignatedAssistance(Instrument):
    """Designated (fixed-point) assistance units paired with groups of villages."""

    start: str = P("2015-01", "First month (YYYY-MM).", "004 §4.8 (Weixi funds from 2013, "
                   "raised 2015); assumption")
    budget: NonNegative = P(0.0, "Total funds of all units for the region (yuan).",
                            "assumption; 004 §4.8: 3-6 M yuan a year for one county")
    eligibility: Eligibility = Eligibility.REGISTERED
    villages_per_unit: int = P(40, "Villages paired with one unit.", "002 §2.1 (a support "
                               "unit per poor village, via county pairing); assumption",
                               ge=1)
    infrastructure_share: Share = P(0.35, "Share of funds for roads and projects.",
                                    "004 §4.8 (five aspects); assumption")
    industry_share: Share = P(0.35, "Share of funds for co-op places for registered "
                              "households.", "004 §4.4, §4.8; assumption")
    cadre_share: Share = P(0.15, "Share of funds for cadres sent (first secretaries).",
                           "002 §2.1; 004 §4.8; assumption")
    purchase_share: Share = P(0.15, "Share of funds for targeted purchasing of local "
                              "products.", "002 §2.1 (purchasing); assumption")
    place_cost: Positive = P(8000.0, "Cost of one co-op member place (yuan).", "assumption")
    cadre_cost: Positive = P(100000.0, "Cost of one cadre posted for a year (yuan).",
                             "assumption")
    cadre_capacity_gain: Share = P(0.1, "Capacity gained by a task force per posted "
                                   "cadre-year (towards 1).", "assumption")
    purchase_margin: Share = P(0.3, "Share of purchases that is extra income to producers.",
                               "assumption")


class PartnerCity(Instrument):
    """Eastern partner cities (East-West collaboration), each a Mesa agent."""

    start: str = P("2016-01", "First month (YYYY-MM).", "002 §2.2 (Foshan funds 2016-17)")
    budget: NonNegative = P(0.0, "Funds allocated by all partner cities (yuan, region).",
                            "assumption; 002 §2.2: Foshan 229 M yuan in 2016-17 for 11 "
                            "counties; national 26.57 bn 2016-18 (reference-figures.md, O)")
    eligibility: Eligibility = Eligibility.REGISTERED_OR_POOR
    cities: int = P(1, "Number of partner cities; villages are split among them.",
                    "002 §2.2, §4.5 (Foshan; county-district pairing)", ge=1, le=20)
    utilization: Share = P(0.8, "Share of allocated funds actually used; the rest stays "
                           "unspent.", "002 §2.2: 80% used by end-2017")
    projects_share: Share = P(0.45, "Share for projects (roads, housing) in paired villages.",
                              "002 §2.2; assumption")
    labour_share: Share = P(0.15, "Share for labour-export linkage (placement).",
                            "002 §2.2; assumption")
    industry_share: Share = P(0.2, "Share for industrial transfer (local factory jobs).",
                              "002 §2.2, §4.5; assumption")
    consumption_share: Share = P(0.1, "Share for consumption assistance (buying local "
                                 "products).", "002 §4.5 (eastern markets); assumption")
    cadre_share: Share = P(0.1, "Share for cadre exchange.", "002 §2.2; assumption")
    placement_cost: Positive = P(2000.0, "Cost of placing one worker in an eastern job "
                                 "(training, transport, matching; yuan).", "assumption")
    migrant_wage: Positive = P(3500.0, "Monthly wage of a placed migrant worker (yuan).",
                               "reference-figures.md: 3,485 (2017, O)")
    remittance_share: Share = P(0.5, "Share of a migrant's wage that reaches the household.",
                                "assumption")
    placement_months: int = P(36, "Months a placement lasts.", "assumption", ge=1)
    job_cost: Positive = P(40000.0, "Capital per local job from industrial transfer (yuan).",
                           "assumption")
    local_wage: Positive = P(1800.0, "Monthly wage of a local factory job (yuan).",
                             "assumption")
    job_months: int = P(60, "Months a transferred factory job lasts.", "assumption", ge=1)
    consumption_margin: Share = P(0.3, "Share of purchases that is extra income to "
                                  "producers.", "assumption")
    cadre_cost: Positive = P(150000.0, "Cost of one exchanged cadre-year (yuan).",
                             "assumption")
    cadre_capacity_gain: Share = P(0.1, "Capacity gained by a task force per exchanged "
                                   "cadre-year (towards 1).", "assumption")

    @model_validator(mode="after")
    def _shares(self) -> PartnerCity:
        total = (self.projects_share + self.labour_share + self.industry_share
                 + self.consumption_share + self.cadre_share)
        if total > 1.0 + 1e-9:
            raise ValueError(f"allocation shares add up to {total:.3f}; expected at most 1")
        return self


class Actors(Strict):
    """Actors beyond government (simulation/agents/); all spend nothing by default."""

    social_organizations: SocialOrganizations = Field(default_factory=SocialOrganizations)
    enterprises: PrivateEnterprises = Field(default_factory=PrivateEnterprises)
    designated_assistance: DesignatedAssistance = Field(default_factory=DesignatedAssistance)
    partner_city: PartnerCity = Field(default_factory=PartnerCity)


# ---------------------------------------------------------------------- transition
class TransitionMode(StrEnum):
    CONFIGURED = "configured"  # dates as the instrument says
    KEEP = "keep"  # continue at the pre-transition pace to the end of the transition
    TAPER = "taper"  # continue, falling linearly to zero by the end of the transition
    WITHDRAW = "withdraw"  # stop when the transition starts


class Transition(Strict):
    """After the exit deadline (or the county's exit): keep, taper or withdraw support."""

    trigger: str = P("deadline", "'deadline': the transition starts at `start`; 'exit': the "
                     "month after the county meets the exit criteria (or at `start` if "
                     "that comes first).", "003 l.73, l.162")
    start: str = P("2021-01", "First month of the transition when triggered by the "
                   "deadline.", "003 l.162 (14th Five-Year Plan 2021-2025)")
    months: int = P(60, "Length of the transition period.", "003 l.162: five years",
                    ge=1, le=240)
    default_mode: TransitionMode = P(TransitionMode.CONFIGURED, "Mode of every instrument "
                                     "and funded actor not listed in `modes`.",
                                     "assumption (the core's configured dates)")
    modes: dict[str, TransitionMode] = P({}, "Per-instrument or per-actor mode.",
                                         "003 l.101-109, l.162")
    funding_factor: NonNegative = P(1.0, "Monthly money of a kept or tapered instrument, "
                                    "relative to its planned pre-transition pace (new money "
                                    "is appropriated month by month).", "assumption")
    exit_incidence: Share = P(0.03, "Exit criterion: composite (registered) incidence "
                              "below this.", "reference-figures.md, Exit criteria (S): 3% in "
                              "the west")
    exit_error: Share = P(0.02, "Exit criterion: missed-registration and wrongful-exit "
                          "rates below this.", "reference-figures.md, Exit criteria (S)")
    exit_satisfaction: Share = P(0.9, "Exit criterion: satisfaction at least this.",
                                 "reference-figures.md, Exit criteria (S)")
    satisfied_trust: Share = P(0.4, "A household counts as satisfied when its trust in "
                               "cadres is at least this.", "assumption")

    @field_validator("trigger")
    @classmethod
    def _trigger(cls, v: str) -> str:
        if v not in ("deadline", "exit"):
            raise ValueError(f"expected 'deadline' or 'exit', got {v!r}")
        return v

    @field_validator("start")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("modes")
    @classmethod
    def _known(cls, v: dict[str, TransitionMode]) -> dict[str, TransitionMode]:
        known = set(Instruments.model_fields) | set(Actors.model_fields)
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown instrument or actor(s) {unknown}; expected some of "
                             f"{sorted(known)}")
        return v


# ------------------------------------------------------------------------- scenario
class Scenario(Strict):
    name: str = P("default", "Scenario name.", "assumption")
    description: str = P("", "What the scenario represents and where its numbers come from.",
                         "assumption")
    start: str = P("2014-01", "First simulated month.", "001 'Introduction' (targeted poverty "
                   "alleviation from 2013-14)")
    months: int = P(144, "Months simulated (2014-2025 by default).", "issue #2", ge=1, le=600)
    households: int = P(20_000, "Simulated households (a sample of the region).", "assumption",
                        ge=10, le=5_000_000)
    seed: int = P(1, "Default random seed.", "assumption", ge=0)
    region: Region = Field(default_factory=Region)
    population: Population = Field(default_factory=Population)
    economy: Economy = Field(default_factory=Economy)
    cadres: Cadres = Field(default_factory=Cadres)
    cooperatives: Cooperatives = Field(default_factory=Cooperatives)
    channels: dict[str, Channel] = Field(default_factory=_default_channels)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    feedback: Feedback = Field(default_factory=Feedback)
    instruments: Instruments = Field(default_factory=Instruments)
    actors: Actors = Field(default_factory=Actors)
    transition: Transition = Field(default_factory=Transition)

    @field_validator("start")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        unknown = sorted(set(v) - set(CHANNELS))
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown}; expected some of {list(CHANNELS)}")
        full = _default_channels()
        full.update(v)
        return full

    def content_hash(self) -> str:
        """Stable hash of the scenario's content (the key of a run with its seed)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


# -------------------------------------------------------------------------- loading
def scenarios_dir() -> Path:
    """Folder of bundled scenarios: $POVSIM_SCENARIOS or the repository's scenarios/."""
    env = os.environ.get("POVSIM_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "scenarios"


def list_bundled() -> list[Path]:
    root = scenarios_dir()
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by path, by path relative to another file, or by bundled name."""
    candidates = [Path(name_or_path)]
    if relative_to is not None:
        candidates.insert(0, relative_to.parent / str(name_or_path))
    stem = str(name_or_path).removesuffix(".yaml")
    root = scenarios_dir()
    candidates += [root / f"{stem}.yaml", root / "countermeasures" / f"{stem}.yaml"]
    for path in candidates:
        if path.is_file():
            return path
    where = f" (from {relative_to})" if relative_to else ""
    raise ScenarioError(f"scenario file not found: {name_or_path!s}{where}; looked in "
                        f"{', '.join(str(c) for c in candidates)}")


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path, ScenarioError, "scenario file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of fields at the top level, "
                            f"got {type(data).__name__}")
    return data


def load_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The merged mapping of a file and its `extends:` chain (parents first)."""
    path = path.resolve()
    if path in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ScenarioError(f"{path}: circular 'extends': {chain}")
    data = _read_yaml(path)
    parents = data.pop("extends", None)
    if parents is None:
        return data
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{path}: field 'extends': expected a file name or a list of them")
    merged: dict = {}
    for parent in parents:
        merged = deep_merge(merged, load_raw(resolve(parent, relative_to=path), (*_seen, path)))
    return deep_merge(merged, data)


def parse_override(text: str) -> tuple[str, Any]:
    """'a.b.c=value' -> ('a.b.c', value) with the value parsed as YAML."""
    if "=" not in text:
        raise ScenarioError(f"override {text!r}: expected 'dotted.path=value'")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"override {text!r}: empty field name")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError(f"override {text!r}: value is not valid YAML: {exc}") from exc
    return key, value


def set_dotted(data: dict, key: str, value: Any) -> dict:
    out = copy.deepcopy(data)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    return out


def _format_errors(source: str, exc: ValidationError) -> str:
    return describe_errors(source, exc, "scenario",
                           "unknown field (check spelling; see docs/parameters.md)")


#: Top-level blocks of an overlay that adjust values instead of setting them.
ADJUSTMENTS = ("scale", "per_household")


def get_dotted(data: dict, key: str) -> Any:
    """The value at a dotted path of a nested mapping; KeyError if any part is missing."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def apply_adjustments(data: dict, source: str = "<scenario>") -> dict:
    """Resolve `scale:` and `per_household:` blocks against the merged scenario.

    A countermeasure overlay must apply to any archetype, so it may say "twice the
    archetype's publicity budget" (`scale: {instruments.publicity.budget: 2}`) or "300 yuan
    per represented household" (`per_household: {instruments.relocation.budget: 300}`)
    instead of a fixed number. Values not set in the files are taken from the schema
    defaults. Both blocks are merged like any other field (the last file wins per path);
    `--set` overrides given to `load_scenario` are applied after them.
    """
    blocks = {k: data.get(k) for k in ADJUSTMENTS if data.get(k) is not None}
    if not blocks:
        return {k: v for k, v in data.items() if k not in ADJUSTMENTS}
    plain = {k: v for k, v in data.items() if k not in ADJUSTMENTS}
    for name, block in blocks.items():
        if not isinstance(block, dict):
            raise ScenarioError(f"{source}: field '{name}': expected a mapping of dotted "
                                f"field paths to numbers, got {type(block).__name__}")
    resolved = build(plain, source).model_dump(mode="json")
    households = resolved["region"]["households_represented"]
    out = plain
    for name, block in blocks.items():
        for key, factor in block.items():
            where = f"{source}: field '{name}.{key}'"
            if isinstance(factor, bool) or not isinstance(factor, int | float):
                raise ScenarioError(f"{where}: expected a number, got {factor!r}")
            if factor < 0:
                raise ScenarioError(f"{where}: expected a number >= 0, got {factor!r}")
            try:
                current = get_dotted(resolved, key)
            except KeyError:
                raise ScenarioError(f"{where}: no such field in the scenario (see "
                                    "docs/parameters.md)") from None
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise ScenarioError(f"{where}: can only adjust a number, but the field "
                                    f"holds {current!r}")
            value = current * factor if name == "scale" else factor * households
            if isinstance(current, int) and name == "scale":
                value = int(round(value))
            out = set_dotted(out, key, value)
            resolved = set_dotted(resolved, key, value)
    return out


def build(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate a merged mapping into a Scenario, with errors naming source and field."""
    if any(k in data for k in ADJUSTMENTS):
        data = apply_adjustments(data, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(source, exc)) from None


Overrides = dict[str, Any] | list[str] | tuple[str, ...] | None


def load_scenario(name_or_path: str | Path = "default", overrides: Overrides = None,
                  households: int | None = None) -> Scenario:
    """Load a scenario file (or bundled name) with its parents and overrides, validated.

    `name_or_path="default"` with no such file gives the embedded defaults.
    """
    if str(name_or_path) == "default" and not (scenarios_dir() / "default.yaml").is_file():
        data, source = {}, "<embedded defaults>"
    else:
        path = resolve(name_or_path)
        data, source = load_raw(path), str(path)
    return finish(data, source, overrides, households)


def override_items(overrides: Overrides) -> list[tuple[str, Any]]:
    """Dotted overrides as (path, value) pairs, from a mapping or 'a.b=value' strings."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    return [parse_override(o) for o in overrides]


def overlay_on(base: dict, overlay_ref: str | Path) -> dict:
    """A countermeasure overlay (file or bundled name) deep-merged onto an archetype's
    mapping, named `OVERLAY@ARCHETYPE`; `finish` or `build` then validates it."""
    overlay = load_raw(resolve(overlay_ref))  # also looks in scenarios/countermeasures/
    data = deep_merge(base, overlay)
    data["name"] = f"{overlay.get('name', Path(overlay_ref).stem)}@{base.get('name', 'base')}"
    return data


def finish(data: dict, source: str, overrides: Overrides = None,
           households: int | None = None) -> Scenario:
    """The one order every entry point uses: resolve `scale:`/`per_household:` blocks, then
    apply dotted overrides and the household count (last), then validate."""
    data = apply_adjustments(data, source)
    items = override_items(overrides)
    for key, value in items:
        data = set_dotted(data, key, value)
    if households is not None:
        data = set_dotted(data, "households", households)
    if items or households is not None:
        source += " with overrides " + ", ".join(
            [f"{k}={v!r}" for k, v in items] + ([f"households={households}"] if households
                                                 else []))
    return build(data, source)


def with_overrides(scenario: Scenario, overrides: Overrides) -> Scenario:
    """A copy of `scenario` with dotted overrides applied and re-validated."""
    return finish(scenario.model_dump(mode="json"), f"scenario '{scenario.name}'", overrides)
