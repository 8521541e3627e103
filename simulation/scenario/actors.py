"""Parameters of the actors beyond government: social organizations, private
enterprises, designated assistance units and partner cities."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from simulation.scenario.base import NonNegative, P, Positive, Share, Strict
from simulation.scenario.instruments import Eligibility, Instrument


class Mobilization(StrEnum):
    VOLUNTARY = "voluntary"
    ADMINISTRATIVE = "administrative"


class SocialOrganizationsParams(Instrument):
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


class PrivateEnterprisesParams(Instrument):
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


class DesignatedAssistanceParams(Instrument):
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


class PartnerCityParams(Instrument):
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
    def _shares(self) -> PartnerCityParams:
        total = (self.projects_share + self.labour_share + self.industry_share
                 + self.consumption_share + self.cadre_share)
        if total > 1.0 + 1e-9:
            raise ValueError(f"allocation shares add up to {total:.3f}; expected at most 1")
        return self


class ActorsParams(Strict):
    """Actors beyond government (simulation/agents/); all spend nothing by default."""

    social_organizations: SocialOrganizationsParams = Field(
        default_factory=SocialOrganizationsParams)
    enterprises: PrivateEnterprisesParams = Field(default_factory=PrivateEnterprisesParams)
    designated_assistance: DesignatedAssistanceParams = Field(
        default_factory=DesignatedAssistanceParams)
    partner_city: PartnerCityParams = Field(default_factory=PartnerCityParams)

