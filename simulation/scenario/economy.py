"""The economy: the poverty line, growth, prices and shocks (including the epidemic)."""

from __future__ import annotations

from pydantic import Field, field_validator

from simulation.scenario.base import P, Positive, Share, Strict
from simulation.timeline import parse_month


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


class ShocksParams(Strict):
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
    shocks: ShocksParams = Field(default_factory=ShocksParams)

