"""Parameters of the yearly demography of households (simulation/demography.py): ageing,
retirement, deaths, births, members coming of age or leaving, and chronic illness rising with
age. Exposed as `population.demography`."""

from __future__ import annotations

from simulation.scenario.base import NonNegative, P, Share, Strict


class Demography(Strict):
    enabled: bool = P(True, "Households age, lose and gain members each January; off, the "
                      "household table keeps its set-up composition.", "issue 'Households "
                      "that change' (after 2020 the remaining poor are mostly elderly, sick "
                      "or disabled: U, no seed states it); 003 l.149 (outflow of young and "
                      "middle-aged labour)")
    spouse_share: Share = P(0.6, "Probability that a head turning 60 has a spouse of about "
                            "the same age who turns 60 with them.", "assumption (the set-up "
                            "gives elderly heads a spouse of pension age with this share)")
    member_pension_rate: Share = P(0.008, "Yearly probability that a non-head member under 60 "
                                   "turns 60 (member ages are not stored).", "assumption: "
                                   "adults spread over 40 years cross 60 at 1/40 a year, and "
                                   "about a third of such members are a generation older than "
                                   "a young head (the rest are children, or a spouse of about "
                                   "the head's age, see spouse_share)")
    retirement: Share = P(0.5, "Probability that a working member turning 60 leaves the "
                          "labour force (the others keep farming).", "assumption (rural "
                          "people commonly keep farming past 60; no seed gives a figure)")
    elder_retirement: Share = P(0.08, "Yearly probability that an elderly-headed household "
                                "loses one worker to old age.", "assumption")
    mortality_60: Share = P(0.01, "Yearly death probability of a person aged 60.",
                            "U: China life tables of the 2010s, rural, roughly 1% a year at "
                            "60-64 (recollection); assumption")
    mortality_growth: NonNegative = P(0.095, "Gompertz slope: yearly death probability grows "
                                      "by exp(slope) a year of age after 60 (x2.6 in 10 "
                                      "years).", "U: rural life tables, roughly 2.5% at 70 and "
                                      "7% at 80 (recollection); assumption")
    mortality_young: Share = P(0.002, "Yearly death probability of a member under 60.",
                               "U: rural mortality under 60 of ~1-3 per 1000 (recollection); "
                               "assumption")
    grandparent_gap: NonNegative = P(28.0, "Years by which elders in a household with a "
                                     "younger head are older than the head (their age is not "
                                     "stored).", "assumption (one generation)")
    birth_head_age: float = P(45.0, "Heads younger than this can have a child born into the "
                              "household.", "issue 'Households that change'; assumption",
                              ge=15, le=70)
    birth_rate: Share = P(0.17, "Yearly probability that a household whose head is under "
                          "birth_head_age gains a child.", "U: rural crude birth rate ~10-13 "
                          "per 1000 in the 2010s (China Statistical Yearbook, recollection); "
                          "with the default population this gives ~11 per 1000")
    coming_of_age: Share = P(0.05, "Yearly probability that a non-working member under 60 "
                             "(a child, or a sick adult) starts work.", "assumption: children "
                             "0-15 reach working age at ~1/16 a year, less the sick")
    leave_rate: Share = P(0.03, "Yearly probability that each working member other than the "
                          "head leaves (marriage, moving to town).", "003 l.149 (massive "
                          "outflow of young and middle-aged labour); rate an assumption")
    successor_gap: NonNegative = P(28.0, "Years by which a younger adult who succeeds a dead "
                                   "elderly head is younger.", "assumption (one generation)")
    handover_rate: Share = P(0.08, "Yearly probability that an elderly head with a working "
                             "member under 60 hands headship to them (the old head stays).",
                             "assumption (rural headship passes to a son as parents age; "
                             "with it the share of heads aged 60+ rises about as the rural "
                             "60+ share did, 15% in 2010 to 24% in 2020, census, U)")
    chronic_onset_young: Share = P(0.005, "Yearly probability that a household without "
                                   "elders gains a chronically ill member.", "assumption")
    chronic_onset_elder: Share = P(0.025, "Yearly probability that each member of pension age "
                                   "becomes chronically ill.", "assumption (chronic disease "
                                   "rises steeply with age)")
    chronic_income_cut: Share = P(0.22, "Share of market income lost when a household gains "
                                  "a chronically ill member.", "the set-up's log-income "
                                  "penalty of chronic illness, 1 - exp(-0.25) "
                                  "(simulation/households.py)")
    farm_labour_weight: Share = P(0.3, "Share of farm income that follows labour: losing all "
                                  "workers cuts farm income by this share.", "assumption "
                                  "(land stays with the household; farm income follows "
                                  "labour weakly)")
