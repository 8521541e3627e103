"""Baseline transfers that reach households whatever their programmes: the residents' basic
pension, farm subsidies and ecological compensation (dibao and special assistance are
instruments: `instruments.minimum_living`, the medical relief of `instruments.medical`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from simulation.scenario.base import NonNegative, P, Positive, Share, Strict
from simulation.timeline import parse_month

#: Central minimum of the rural residents' basic pension, yuan/person/month, by the month it
#: took effect (reference-figures.md, The register and transfers to the poor, O).
CENTRAL_PENSION = {"2009-10": 55.0, "2014-07": 70.0, "2018-01": 88.0, "2020-01": 93.0}


class PensionParams(Strict):
    enabled: bool = P(True, "Whether members of pension age draw the residents' basic "
                      "pension.", "O: the new rural pension covers all rural residents aged "
                      "60+ since 2012")
    central_minimum: dict[str, Positive] = P(
        CENTRAL_PENSION, "Central minimum pension (yuan/person/month) from each month on.",
        "reference-figures.md, The register and transfers to the poor (O)")
    provincial_topup: NonNegative = P(
        0.8, "What provinces and counties add, as a share of the central minimum.",
        "assumption: the average residents' pension paid in 2019 was ~160 yuan/month against "
        "a central minimum of 88 (recollection of MOHRSS statistics, U)")

    @field_validator("central_minimum")
    @classmethod
    def _months(cls, v: dict[str, float]) -> dict[str, float]:
        for month in v:
            parse_month(month)
        if not v:
            raise ValueError("give at least one month: amount")
        return v


class FarmSubsidyParams(Strict):
    enabled: bool = P(True, "Whether farming households receive the agricultural support "
                      "subsidies.", "O: the agricultural support and protection subsidy "
                      "(merged 2016 from the three farm subsidies)")
    per_capita: NonNegative = P(
        180.0, "Yearly subsidy per person in a farming household (yuan, current prices).",
        "assumption: ~140 bn yuan a year of direct farm subsidies over ~800 M people in "
        "farming households (recollection, U)")


class EcoCompensationParams(Strict):
    enabled: bool = P(True, "Whether registered households in remote villages are given "
                      "ecological ranger posts and forest compensation.", "reference-figures.md:"
                      " ~1.1 M forest rangers recruited from the registered poor by 2020 (S)")
    start: str = P("2016-01", "First month of ranger recruitment.", "S: the ecological ranger "
                   "programme began in 2016 (recollection)")
    posts_per_registered: Share = P(
        0.037, "Ranger posts per household on the register file (registered or exited), "
        "filled evenly until `full_by`.", "reference-figures.md: ~1.1 M rangers (S) over ~29.5 "
        "M registered households (S)")
    full_by: str = P("2020-01", "Month by which every post is filled.", "assumption")
    ranger_pay: NonNegative = P(8000.0, "Yearly pay of a ranger post (yuan).",
                                "assumption (press accounts of ~8,000-10,000 yuan a year, U)")
    forest_per_capita: NonNegative = P(
        60.0, "Yearly forest and grassland compensation per person in the remotest third of "
        "villages (yuan).", "assumption (grain-for-green and public-welfare forest payments)")

    @field_validator("start", "full_by")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v


class PublicPostsParams(Strict):
    enabled: bool = P(True, "Whether registered households still below the line are given "
                      "public welfare posts (village cleaning, road care, care of the "
                      "elderly).", "O: public welfare posts for registered poor labour were a "
                      "named exit path of employment assistance (recollection)")
    start: str = P("2016-01", "First month posts are given.", "assumption (with the exit "
                   "plans of 2016)")
    posts_per_registered: Share = P(
        0.15, "Posts per household on the register file, filled evenly until `full_by`.",
        "U: ~4.96 M public welfare posts for the registered poor by 2020 (press, "
        "recollection) over ~29.5 M registered households (S)")
    full_by: str = P("2020-01", "Month by which every post is filled.", "assumption")
    pay: NonNegative = P(6000.0, "Yearly pay of a post (yuan), counted as wage income.",
                         "U: press accounts of ~300-800 yuan a month")
    deadline_push: bool = P(True, "In the deadline's year every registered household with "
                            "labour still below the exit bar (line x exit margin) is given a "
                            "post, beyond the quota (the last push: the remaining counties "
                            "under supervision, posts for poor labour kept home by the "
                            "epidemic).", "O: 2020 supervision of the last 52 poor counties "
                            "and the expansion of public welfare posts for poor labour "
                            "(recollection, U); reference-figures.md Exit criteria: "
                            "wrongful exits under ~2%")

    @field_validator("start", "full_by")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v


class TransfersParams(Strict):
    pension: PensionParams = Field(default_factory=PensionParams)
    farm_subsidy: FarmSubsidyParams = Field(default_factory=FarmSubsidyParams)
    eco_compensation: EcoCompensationParams = Field(default_factory=EcoCompensationParams)
    public_posts: PublicPostsParams = Field(default_factory=PublicPostsParams)
