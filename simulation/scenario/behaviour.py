"""Cadres, cooperatives, information channels, household take-up behaviour and the
feedback of Smith's factors."""

from __future__ import annotations

from simulation.scenario.base import Beta, NonNegative, P, Positive, Share, Strict


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
    member_income: NonNegative = P(4200.0, "Extra annual income per member household at the "
                                   "reference price (yuan, start prices).",
                                   "reference-figures.md: joining a cooperative +38% household "
                                   "income (R), applied to a poor household of four at the 2014 "
                                   "line (0.38 x 4 x 2,800 yuan)")
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
    lasting: Share = P(0.3, "How lasting the understanding it leaves: without contact, "
                       "understanding fades at behaviour.forgetting x (1 - lasting) a month.",
                       "000 §4.3, §5.3 (documents and meetings transmit poorly; visits and "
                       "surveys make policy understood); assumption")


def _default_channels() -> dict[str, Channel]:
    c = Channel
    return {
        # 000 §4.3: documents and office meetings are slow, asymmetric and lossy.
        # `lasting`: face-to-face explanation (visits, meetings) is remembered longer than a
        # broadcast, a document or a passing message (000 §5.3; 001 'Target groups').
        "documents": c(reach=0.01, delay=3, fidelity=0.3, cost=0.5, intensity=1.0,
                       lasting=0.3),
        "villagers_meeting": c(reach=0.05, delay=1, fidelity=0.55, cost=2.0, intensity=1.0,
                               lasting=0.6),
        # cadre_visit reach is set by cadre effort (visits_per_month); reach is a ceiling.
        "cadre_visit": c(reach=1.0, delay=0, fidelity=0.85, cost=15.0, intensity=1.0,
                         lasting=0.8),
        "work_group": c(reach=0.15, delay=0, fidelity=0.55, cost=0.2, requires_phone=True,
                        requires_internet=True, intensity=0.5, lasting=0.4),
        "radio_tv": c(reach=0.03, delay=1, fidelity=0.35, cost=0.3, intensity=1.0,
                      lasting=0.2),
        "short_video": c(reach=0.10, delay=0, fidelity=0.45, cost=0.3, requires_phone=True,
                         requires_internet=True, intensity=0.3, lasting=0.15),
        # word_of_mouth reach is scaled by the share of aware neighbours.
        "word_of_mouth": c(reach=0.15, delay=0, fidelity=0.45, cost=0.0, intensity=1.0,
                           lasting=0.3),
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
    forgetting: Share = P(0.06, "Monthly rate at which understanding of a programme fades "
                          "for a household no channel told of it that month (times 1 - the "
                          "lasting of the channel that taught it); participants never forget.",
                          "000 §4.1 (policies lose force without follow-up); issue "
                          "'Information that fades'; rate an assumption (half-life ~1.5 years "
                          "after a broadcast, ~5 years after a cadre visit)")
    forget_threshold: Share = P(0.05, "Understanding below which a household no longer knows "
                                "of the programme at all (awareness is lost).", "assumption")
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

