"""The economy: the poverty line, prices, the labour market, farm productivity and shocks
(including the epidemic and persistent household income shocks)."""

from __future__ import annotations

from pydantic import Field, field_validator

from simulation.scenario.base import NonNegative, P, Positive, Share, Strict
from simulation.timeline import parse_month


class Epidemic(Strict):
    start: str = P("2020-02", "First month of the 2020 epidemic shock to migrant work.",
                   "003 'risk prevention' (2020 epidemic); timing public record")
    months: int = P(3, "Duration of the shock.", "O: by the end of the second quarter "
                    "out-migrant workers were back to ~97% of 2019 (NBS quarterly migrant "
                    "worker figures, recollection U); 3 months an assumption", ge=0, le=36)
    migrant_employment_drop: Share = P(
        0.3, "Share of migrant work lost during the shock.",
        "O: out-migrant rural workers at the end of 2020 Q1 were 30.1% fewer than a year "
        "before (NBS, recollection U); rural wage income still grew 5.9% in 2020 (NBS)")

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
    persistent_sd: NonNegative = P(
        0.30, "Standard deviation of the persistent part of log market income (a yearly "
        "AR(1), part of the start spread `population.income_sigma`, not added to it).",
        "assumption: panel studies of rural Chinese incomes put the transitory and persistent "
        "shares of log-income variance at roughly half each (R, recollection)", le=2.0)
    persistence: Share = P(0.6, "Year-to-year correlation of the persistent income shock.",
                           "assumption (R: AR(1) coefficients of 0.5-0.8 in rural panels)")
    price_fall_rate: Share = P(0.05, "Yearly probability the price of a product falls.",
                               "003 'risk prevention' (market risk); assumption")
    price_fall_size: Share = P(0.3, "Size of a product price fall.", "assumption")
    price_fall_months: int = P(12, "Months a price fall lasts.", "assumption", ge=0)
    price_exposure: Share = P(0.3, "Share of a village's farm income that its main product "
                              "sells for on the market: a fall in that product's price cuts "
                              "only this share (the rest is other crops and own use).",
                              "assumption (003 'homogeneous products': villages specialise "
                              "in a few cash products; most poor households also farm for own "
                              "use)")
    epidemic: Epidemic = Field(default_factory=Epidemic)


#: Average monthly wage of rural migrant workers (yuan, current prices).
DEFAULT_MIGRANT_WAGE = {2012: 2290.0, 2013: 2609.0, 2014: 2864.0, 2017: 3485.0, 2019: 3962.0,
                        2020: 4072.0}


class RemittancesParams(Strict):
    senders_young: NonNegative = P(
        0.3, "Mean number of family members living and working away who send money home, "
        "households with a head under 60.", "assumption")
    senders_elderly: NonNegative = P(
        1.0, "The same for households with a head of 60 or more (grown children away).",
        "assumption (support of parents, part of transfer income in the NBS survey)")
    share: Share = P(0.15, "Share of a migrant's wage a sender sends home (a sender from a "
                     "household of median earning capacity; others in proportion to their "
                     "household's permanent income).",
                     "assumption; NBS counts remittances in transfer income (20.6% of rural "
                     "income in 2019, reference-figures.md, O)")


class LabourMarket(Strict):
    enabled: bool = P(True, "Whether wages follow the migrant wage series and households send "
                      "members to migrant work; off, wages and remittances keep their start "
                      "real value and no one new leaves for work.", "assumption")
    migrant_wage: dict[int, Positive] = P(
        DEFAULT_MIGRANT_WAGE, "Average migrant wage (yuan/month) by year, interpolated; after "
        "the table it grows with `wage_growth_after` plus inflation.",
        "reference-figures.md, Mechanism parameters (O, 2014-2020); 2012-2013 from the NBS "
        "migrant worker monitoring reports (recollection, U)")
    wage_growth_after: float = P(0.04, "Real growth of the migrant wage after the table.",
                                 "assumption", ge=-0.2, le=0.3)
    migration_rate: Share = P(
        0.05, "Yearly probability that a household with a worker not yet in wage work sends "
        "one to migrant work (scaled by its drive and caution).",
        "assumption: rural wage income grew ~3 points a year faster than the migrant wage "
        "2014-2019 (NBS, reference-figures.md), i.e. more members in wage work")
    contribution: Share = P(0.45, "Share of a new migrant's wage counted as household income.",
                            "assumption (the rest is spent where they work)")
    local_share: Share = P(
        0.40, "Share of the members who take up wage work who work near home and live there: "
        "their contribution is the household's wage income; the rest live away and send "
        "money home, which the NBS survey counts as transfer income.",
        "NBS 2019 migrant worker monitoring survey: 116.52 M of 290.77 M rural migrant "
        "workers worked within their own township (recollection, U); the amount either way "
        "is `contribution` (assumption)")
    farm_loss: Share = P(0.15, "Share of farm income lost for each member leaving farm work.",
                         "assumption")
    training_boost: NonNegative = P(
        1.0, "Extra relative chance of leaving for work for households in skills training or "
        "placed by partner cities.", "003 'employment' path; assumption")
    register_boost: NonNegative = P(
        2.0, "Extra relative chance of leaving for work for registered households while they "
        "keep the register's policies (employment assistance: labour-export linkage, travel "
        "and job-search support).", "003 'employment' path; reference-figures.md: 27.5-28.3 M "
        "poor migrant workers in 2020 (O), about one per registered household; size an "
        "assumption")
    remittances: RemittancesParams = Field(default_factory=RemittancesParams)


DEFAULT_POVERTY_LINE = {2012: 2625.0, 2013: 2736.0, 2014: 2800.0, 2015: 2855.0, 2016: 2952.0,
                        2017: 2952.0, 2018: 2995.0, 2019: 3218.0, 2020: 3282.0}


class Economy(Strict):
    poverty_line: dict[int, Positive] = P(
        DEFAULT_POVERTY_LINE, "Official line (yuan/person/year, current prices) by year; "
        "later years keep the last value grown with inflation.",
        "reference-figures.md, national rural poverty table (O; 2017-2019 U/S). 2020 is an "
        "assumption: 2019 x 1.02; the table's '~4,000 (S)' is a secondary figure that would "
        "make the 2020 line jump 24% in one year")
    farm_growth: float = P(
        0.03, "Real growth per year of farm and business income per household, the one "
        "common trend left (productivity and real farm prices).",
        "assumption: rural business income grew ~4%/yr real 2014-2019 (NBS composition, "
        "recollection U); wages follow `labour_market`, transfers their programmes",
        ge=-0.2, le=0.3)
    inflation: float = P(0.02, "Consumer price inflation per year.", "assumption (CPI ~2%)",
                         ge=-0.1, le=0.3)
    saving_rate: Share = P(0.15, "Share of income above the poverty line a household saves.",
                           "assumption")
    smoothing_months: float = P(6.0, "Months over which annualised income is smoothed when "
                                "judging poverty.", "assumption", ge=1.0, le=24.0)
    remote_lag: NonNegative = P(
        0.0, "How much slower farm and business income grows per unit of village remoteness "
        "above the mean (growth = farm_growth - remote_lag x (remoteness - mean)); the mean "
        "growth is unchanged.", "000 §4.4 and 002 §1 (remote villages' weak economic base); "
        "size an assumption (0: no lag), fitted in the national calibration", le=0.2)
    labour_market: LabourMarket = Field(default_factory=LabourMarket)
    shocks: ShocksParams = Field(default_factory=ShocksParams)

