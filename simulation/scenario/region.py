"""Region, its villages and household network, and the population's traits."""

from __future__ import annotations

from pydantic import Field

from simulation.population.spec import MicrodataSpec
from simulation.scenario.base import Beta, NonNegative, P, Positive, Share, Strict
from simulation.scenario.demography import Demography


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
class Deficits(Strict):
    """Shares of households below 1.5 x the line lacking each of the 'three guarantees' and
    safe drinking water at the start (simulation/guarantees.py); food and clothing are judged
    by income."""

    education: Share = P(0.05, "Share with a child out of compulsory school (households of "
                         "three or more people).", "U: press figures of ~200,000 registered-"
                         "poor dropouts in 2019 falling to near zero in 2020; share an "
                         "assumption")
    medical: Share = P(0.15, "Share without basic medical cover for serious illness.",
                       "U: illness named as the cause for ~42% of registered households "
                       "(2015, press); share an assumption")
    housing: Share = P(0.30, "Share living in unsafe (dilapidated) housing.", "U: ~7.9 million "
                       "registered households' houses renovated 2013-2020 of ~29.5 million "
                       "(State Council white paper, 2021, recollection); plus relocation")
    water: Share = P(0.25, "Share without safe drinking water.", "U: ~17-29 million poor people "
                     "given safe water 2016-2020 of ~89.6 million (press, recollection)")
    nonpoor_factor: Share = P(0.25, "Prevalence among households above 1.5 x the line, "
                              "relative to those below.", "assumption")
    remote_gradient: NonNegative = P(1.0, "How much more common unsafe housing and water are "
                                     "in the most remote village than in the average one "
                                     "(multiplier 1 + gradient x (remoteness - mean)).",
                                     "assumption (002 §1 deep-poverty mountain villages)")


class Population(Strict):
    household_size_mean: float = P(4.0, "Mean household size (people).",
                                   "assumption (rural censuses: ~3.5-4.5 in the west)",
                                   ge=1.0, le=12.0)
    head_age_mean: float = P(52.0, "Mean age of household heads.", "assumption", ge=18, le=90)
    head_age_sd: float = P(12.0, "Spread of head age.", "assumption", ge=0.0, le=40.0)
    three_generation_share: Share = P(
        0.30, "Share of households of three or more people with a younger head that include "
        "grandparents of pension age.", "assumption (rural people aged 60+ were ~20% of the "
        "rural population in the mid-2010s, U; with this share ~0.8 elders per household)")
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
    deficits: Deficits = Field(default_factory=lambda: Deficits())
    demography: Demography = Field(default_factory=lambda: Demography())
    microdata: MicrodataSpec | None = Field(  # left out of dumps when unset (same hashes)
        None, exclude_if=lambda v: v is None, description="Household records the population "
        "is drawn from, raked to margins (docs/regions.md, Microdata); unset: drawn from the "
        "distributions above. Source: the region's own survey")

