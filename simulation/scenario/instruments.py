"""Parameters of the policy instruments; `PROGRAMMES` and `PRODUCTIVE` name the
instruments households take up."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from simulation.scenario.base import NonNegative, P, Positive, Share, Strict
from simulation.scenario.behaviour import CHANNELS
from simulation.timeline import month_index, parse_month

M = 1e6  # a million yuan, for readable default budgets


class Eligibility(StrEnum):
    ALL = "all"
    REGISTERED = "registered"
    INCOME_POOR = "income_poor"
    REGISTERED_OR_POOR = "registered_or_poor"
    EXITED = "exited"  # households that have left the register


class Delivery(StrEnum):
    ROUTINE = "routine"  # budget spread evenly over the remaining months
    CAMPAIGN = "campaign"  # front-loaded: spends faster at the start
    RAMP = "ramp"  # spends more each year, as the special poverty funds grew (ledger.py)
    DEMAND = "demand"  # no pacing: any month may use what is left (loans made on demand)


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
    delivery: Delivery = P(Delivery.RAMP, "Pacing: `ramp` spends more each year as the "
                           "central special poverty funds grew (43 bn yuan in 2014 to 146 bn in "
                           "2020), `routine` evenly, `campaign` front-loaded, `demand` as "
                           "households take it up (no pacing).",
                           "reference-figures.md: central special funds 660.1 bn over 2013-"
                           "2020 (O); yearly amounts recollection (U), they sum to it; 003 "
                           "'from concentrated operations to normal progress'")
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


class RegistrationParams(Instrument):
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
    bias_share: Share = P(0.7, "Share of the variance of the assessment error that is a "
                          "household's persistent bias (concealed income, cadre judgement), "
                          "drawn once and carried; the rest is redrawn at every review.",
                          "001 'Target groups'; 002 §2; reference-figures.md (inclusion and "
                          "exclusion errors, R); share an assumption")
    review_correction: Share = P(0.3, "Share of the persistent bias each yearly review "
                                 "corrects (look-backs, democratic appraisal, public notice).",
                                 "004 §4.2; 003 'Policy convergence path'; assumption")
    criteria_from: str = P("2016-04", "From this month a registered household exits only when "
                           "the non-income criteria hold too (before it, by income alone).",
                           "O: General Offices of the CPC Central Committee and State Council, "
                           "Opinions on establishing a poverty exit mechanism (2016-04); "
                           "reference-figures.md, The register")
    quota_from: str = P("2016-01", "First review with an exit quota from the county exit plans "
                        "(before it, no quota and no paper exits).", "O: CPC Central "
                        "Committee and State Council, Decision on winning the fight against "
                        "poverty (2015-11): the 2020 goal for every registered household")
    plan_caps_exits: bool = P(True, "Verified exits at a review are capped at the county's "
                              "exit plan, households most clearly passing first (the rest "
                              "wait for a later review); not at the deadline's review.",
                              "003 'Policy convergence path' and 004 §1 (exits by county "
                              "plan, year by year); reference-figures.md (the register fell "
                              "in yearly steps, not at once)")
    early_plan_share: Share = P(0.18, "Before `quota_from`, the exit plan's share of the "
                                "registered people at each review.", "reference-figures.md, "
                                "NBS poor 2013-2015 (82.49 -> 70.17 -> 55.75 M: falls of 15% "
                                "and 21% a year); that county plans followed it, an assumption")
    deadline_quota: bool = P(True, "County exit plans set each review's exit quota so that the "
                             "register empties by the deadline: quota = registered people / "
                             "reviews left; at the deadline's review every household still "
                             "registered leaves.", "003 'Strategic background' (absolute "
                             "poverty ended by end-2020); reference-figures.md (the annual exit "
                             "hazard rose to ~67%)")
    paper_exit_scale: NonNegative = P(1.0, "Probability that a registered household failing the "
                                      "criteria is nevertheless exited to fill a quota "
                                      "shortfall, per unit of its village's formalism (a "
                                      "'paper exit').", "000 §4.2 (formalism under assessment); "
                                      "assumption", le=10.0)
    policies_after_exit: bool = P(True, "Households that left the register keep the policies "
                                  "for registered households ('exit without losing policy').",
                                  "003 l.73 (remove the hat without removing responsibility, "
                                  "policy, assistance, supervision)")

    @field_validator("criteria_from", "quota_from")
    @classmethod
    def _criteria_month(cls, v: str) -> str:
        parse_month(v)
        return v


class TakeUpInstrument(Instrument):
    """An instrument households must learn about and choose to join."""

    unit_cost: NonNegative = P(5000.0, "One-off cost per new participant (yuan).",
                               "assumption")
    risk: Share = P(0.3, "Perceived risk of taking part.", "assumption")
    months_active: int = P(0, "Months a participant stays in (0 = while the programme runs).",
                           "assumption", ge=0)


class MinimumLivingParams(TakeUpInstrument):
    budget: NonNegative = 350 * M
    end: str = "2025-12"
    standard: dict[int, Positive] = P(
        {2011: 1716.0, 2014: 2777.0, 2017: 4300.0, 2020: 5962.0, 2021: 6048.0},
        "Rural minimum living security standard (yuan/person/year), national average at the "
        "end of each year; a year's standard is its mid-year value, interpolated.",
        "reference-figures.md: ~143 yuan/month (2011), ~504 yuan/month (2021) (S/O); "
        "2014, 2017, 2020 year-end averages (civil affairs statistical bulletins, "
        "recollection U); intermediate years interpolated")
    requires_low_labour: bool = P(True, "Only households without able labour (elderly, ill) "
                                  "qualify.", "reference-figures.md: social-security floor for "
                                  "~20M people (O/S)")
    eligibility: Eligibility = Eligibility.REGISTERED_OR_POOR
    unit_cost: NonNegative = 0.0
    risk: Share = 0.05
    initial_coverage: Share = P(
        0.5, "Share of qualifying households already receiving dibao when the run starts.",
        "assumption: rural dibao had ~54 M recipients in 2013 (MCA statistics, recollection "
        "U), about half the rural people without able labour below the standard")
    means_test_error: bool = P(True, "The means test counts income as the village cadres "
                               "assess it, with the register's persistent error (concealment, "
                               "judgement), not as it is.", "reference-figures.md: dibao "
                               "targeting by income shows large inclusion and exclusion errors "
                               "(R); the same cadres and household files as the register "
                               "(001 'Target groups'), an assumption")
    floor_from: str = P("2016-09", "From this month cadres enrol every registered household that "
                        "qualifies, whether or not it has applied (the social-security floor "
                        "of the exit plan).", "O: guideline on linking rural minimum living "
                        "security with poverty alleviation (State Council General Office, "
                        "2016-09); reference-figures.md: social-security floor ~20M people")

    remote_gradient: float = P(
        0.0, "Relative change of the local standard per unit of village remoteness (0-1), "
        "about the region's mean village: below 0, remote villages have lower standards "
        "than near ones (the table stays the mean over households). 0 for a region with one "
        "standard.", "assumption: standards were set by prefectures and counties and were "
        "lowest in the poor western counties, where most of the poor lived; the national "
        "scenario, which mixes them, fits it", ge=-1.5, le=0.0)
    line_floor_from: str | None = P(
        "2017-12", "From this month no local standard is below the poverty line (rural dibao "
        "and the poverty line 'linked'); null: never.",
        "O: every county's rural dibao standard met the national poverty line by end-2017 "
        "(Ministry of Civil Affairs, recollection U), under the 2016-09 State Council "
        "guideline on linking minimum living security with poverty alleviation")

    @field_validator("floor_from", "line_floor_from")
    @classmethod
    def _floor_month(cls, v: str | None) -> str | None:
        if v is not None:
            parse_month(v)
        return v



class CooperativeIndustryParams(TakeUpInstrument):
    budget: NonNegative = 60 * M
    unit_cost: NonNegative = P(8000.0, "Start-up capital per member slot created (yuan).",
                               "assumption; 002 §2 industry funds")
    risk: Share = 0.35
    training_boost: NonNegative = P(0.2, "Rise in member productivity from co-op training.",
                                    "001 'government + cooperative + poor household'; "
                                    "assumption")


class AssetIncomeParams(Instrument):
    budget: NonNegative = 60 * M
    start: str = "2016-01"
    return_rate: NonNegative = P(0.08, "Yearly dividend per yuan of capital invested.",
                                 "assumption (003 asset-income model)")
    share_to_households: Share = P(0.8, "Share of dividends paid to registered households.",
                                   "assumption")


class MicrocreditParams(TakeUpInstrument):
    budget: NonNegative = 25 * M
    start: str = "2015-01"
    delivery: Delivery = P(Delivery.DEMAND, "Loans on demand: banks lend to every rated "
                           "registered household that applies, and the budget (interest "
                           "subsidy and risk fund) pays as loans are made, not in yearly "
                           "allotments.", "O: 2014 guidance on poverty micro-credit (no "
                           "collateral, benchmark rate, fiscal interest subsidy, county risk "
                           "fund); reference-figures.md: take-up 2% (2014) to 26.7% (2016)")
    rating_months: int = P(24, "Months from the start to credit-rate every household (banks "
                           "and cadres, village by village, in random order); a household "
                           "borrows only once rated.", "O: 2014 guidance (credit rating of "
                           "registered households before lending); reference-figures.md: "
                           "take-up 2% (2014) to 26.7% (2016), about two years; the length "
                           "an assumption", ge=1)
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


class EcommerceParams(TakeUpInstrument):
    budget: NonNegative = 8 * M
    start: str = "2016-01"
    eligibility: Eligibility = Eligibility.ALL
    unit_cost: NonNegative = P(3000.0, "Training and service-site cost per trained seller.",
                               "001: 393 sites, 932 people trained (2018); cost an assumption")
    annual_gain: NonNegative = P(3000.0, "Extra annual income per seller household at full "
                                 "internet and logistics (yuan).", "assumption (001 'Internet "
                                 "+' two-way circulation)")
    risk: Share = 0.3


class TourismParams(TakeUpInstrument):
    budget: NonNegative = 10 * M
    start: str = "2016-01"
    unit_cost: NonNegative = P(6000.0, "Start-up cost per tourism household (yuan).",
                               "assumption (000 §3 cultural industry)")
    annual_gain: NonNegative = P(5000.0, "Extra annual income at full tourism resource and road "
                                 "access (yuan).", "assumption (001 ecological tourism)")
    risk: Share = 0.35


class SkillsTrainingParams(TakeUpInstrument):
    budget: NonNegative = 15 * M
    unit_cost: NonNegative = P(2000.0, "Cost per trainee (yuan).", "assumption")
    wage_boost: NonNegative = P(0.25, "Lasting rise in wage income of a trainee.",
                                "assumption (001 new professional farmers; 004 §4.7)")
    months_active: int = 3
    risk: Share = 0.1
    eligibility: Eligibility = Eligibility.ALL


class InfrastructureParams(Instrument):
    budget: NonNegative = 250 * M
    road_cost_per_village: Positive = P(3.0e6, "Cost of full road coverage of one village at "
                                        "average terrain (yuan).", "assumption")
    internet_cost_per_village: Positive = P(5.0e5, "Cost of full internet coverage of one "
                                            "village (yuan).", "assumption")
    internet_share: Share = P(0.3, "Share of the budget spent on internet.", "assumption")
    eligibility: Eligibility = Eligibility.ALL


class PublicityParams(Instrument):
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


class CadreTrainingParams(Instrument):
    budget: NonNegative = 4 * M
    cost_per_cadre: Positive = P(20000.0, "Cost of one task force's training round (yuan).",
                                 "assumption")
    capacity_gain: Share = P(0.15, "Capacity gained per round (towards 1).", "000 §5.2; "
                             "assumption")
    internet_gain: Share = P(0.2, "Internet skill gained per round (towards 1).",
                             "001 'Cultivate Internet awareness'; assumption")
    eligibility: Eligibility = Eligibility.ALL




class RelocationParams(Instrument):
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


class MonitoringParams(Instrument):
    """Dynamic monitoring of households at risk of (re)turning to poverty (seed 003)."""

    start: str = P("2021-01", "First month (YYYY-MM).", "003 l.162 (transition period "
                   "2021-2025)")
    end: str = P("2025-12", "Last month (YYYY-MM).", "003 l.162 (five-year transition)")
    budget: NonNegative = P(20 * M, "Total budget in yuan for the represented region "
                            "(~200 yuan a household over 2021-2025; archetypes set their own); "
                            "a month may use all that is left (help is not paced).",
                            "assumption (003 l.81, l.105: dynamic monitoring after 2020)")
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


class FollowupParams(MonitoringParams):
    """Follow-up of households that left the register, before the transition's monitoring:
    exited households keep their policies and are checked and helped when at risk, because
    a return counts against the county in the exit assessments (simulation/instruments/
    followup.py)."""

    start: str = P("2016-04", "First month (YYYY-MM).", "the 2016 exit-mechanism rules "
                   "(exited households keep support for a period and are followed up; S); "
                   "reference-figures.md 'return to poverty'")
    end: str = P("2020-12", "Last month (YYYY-MM): dynamic monitoring takes over.",
                 "003 l.162 (transition from 2021)")
    budget: NonNegative = P(20 * M, "Total budget in yuan for the represented region; a "
                            "month may use all that is left (help is not paced). The "
                            "archetypes set their own, above what the help cost them with no "
                            "cap.", "assumption")
    eligibility: Eligibility = P(Eligibility.EXITED, "Who is followed up: households that "
                                 "left the register.", "the 2016 exit-mechanism rules (S)")


class GuaranteeParams(Instrument):
    """Works that close one of the 'three guarantees' or safe water for registered
    households first (simulation/instruments/guarantees.py)."""

    delivery: Delivery = Delivery.ROUTINE
    cost_per_household: Positive = 10000.0


class HousingRenovationParams(GuaranteeParams):
    budget: NonNegative = P(150 * M, "Total budget in yuan for the represented region.",
                            "assumption (~30% of poor households in unsafe housing x cost)")
    cost_per_household: Positive = P(30000.0, "Renovating or rebuilding one unsafe house "
                                     "(yuan, all funding sources).", "U: central subsidy "
                                     "averaged ~14,000 yuan a household (press); total an "
                                     "assumption")


class EducationSupportParams(GuaranteeParams):
    budget: NonNegative = P(10 * M, "Total budget in yuan for the represented region.",
                            "assumption")
    cost_per_household: Positive = P(6000.0, "Bringing one child back to and through "
                                     "compulsory school (living allowance, boarding; yuan).",
                                     "U: boarding living allowances ~1,000-1,250 yuan a "
                                     "pupil-year (press); total an assumption")


class MedicalAssistanceParams(GuaranteeParams):
    budget: NonNegative = P(40 * M, "Total budget in yuan for the represented region.",
                            "assumption")
    cost_per_household: Positive = P(1000.0, "Enrolling one household in subsidised basic and "
                                     "critical-illness insurance (premium subsidy, yuan).",
                                     "U: resident medical insurance premiums ~200-280 yuan a "
                                     "person-year, subsidised for the registered poor (press)")
    illness_relief: Share = P(0.6, "Share of an enrolled household's illness costs the "
                              "assistance pays while it runs.", "U: ~80-90% reimbursement of "
                              "registered-poor inpatient costs by 2020 (press); level an "
                              "assumption")
    eligibility: Eligibility = Eligibility.REGISTERED


class DrinkingWaterParams(GuaranteeParams):
    budget: NonNegative = P(30 * M, "Total budget in yuan for the represented region.",
                            "assumption")
    cost_per_village: Positive = P(400000.0, "Safe water works for one village (yuan).",
                                   "assumption")
    cost_per_household: Positive = 1.0  # unused: water is built village by village
    eligibility: Eligibility = Eligibility.ALL


class Instruments(Strict):
    registration: RegistrationParams = Field(default_factory=RegistrationParams)
    minimum_living: MinimumLivingParams = Field(default_factory=MinimumLivingParams)
    cooperative: CooperativeIndustryParams = Field(default_factory=CooperativeIndustryParams)
    asset_income: AssetIncomeParams = Field(default_factory=AssetIncomeParams)
    microcredit: MicrocreditParams = Field(default_factory=MicrocreditParams)
    ecommerce: EcommerceParams = Field(default_factory=EcommerceParams)
    tourism: TourismParams = Field(default_factory=TourismParams)
    skills_training: SkillsTrainingParams = Field(default_factory=SkillsTrainingParams)
    infrastructure: InfrastructureParams = Field(default_factory=InfrastructureParams)
    publicity: PublicityParams = Field(default_factory=PublicityParams)
    cadre_training: CadreTrainingParams = Field(default_factory=CadreTrainingParams)
    relocation: RelocationParams = Field(default_factory=RelocationParams)
    monitoring: MonitoringParams = Field(default_factory=MonitoringParams)
    followup: FollowupParams = Field(default_factory=FollowupParams)
    housing: HousingRenovationParams = Field(default_factory=HousingRenovationParams)
    education: EducationSupportParams = Field(default_factory=EducationSupportParams)
    medical: MedicalAssistanceParams = Field(default_factory=MedicalAssistanceParams)
    water: DrinkingWaterParams = Field(default_factory=DrinkingWaterParams)


#: Every instrument of the schema, in schema order: the one list of instrument names (the
#: behaviour classes of `simulation.instruments` are checked against it).
INSTRUMENT_NAMES: tuple[str, ...] = tuple(Instruments.model_fields)

#: Programmes households learn about and take up (columns of the awareness matrix).
PROGRAMMES = ("minimum_living", "cooperative", "microcredit", "ecommerce", "tourism",
              "skills_training")
#: Columns of the programmes that count as productive participation (they raise motivation;
#: returns to poverty are split by them).
PRODUCTIVE = [PROGRAMMES.index(p) for p in ("cooperative", "microcredit", "ecommerce",
                                            "tourism", "skills_training")]
if not set(PROGRAMMES) <= set(INSTRUMENT_NAMES):  # pragma: no cover - a schema edit
    raise ImportError(f"PROGRAMMES {sorted(set(PROGRAMMES) - set(INSTRUMENT_NAMES))} are not "
                      "fields of Instruments")


def display_order() -> tuple[str, ...]:
    """Instruments in the order of the policy panel: the programmes households take up, then
    the other money instruments, registration, and every later addition in schema order."""
    first = (*PROGRAMMES, "asset_income", "infrastructure", "publicity", "cadre_training",
             "registration")
    return (tuple(k for k in first if k in INSTRUMENT_NAMES)
            + tuple(k for k in INSTRUMENT_NAMES if k not in first))
