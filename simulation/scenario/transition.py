"""The transition after the exit deadline: keep, taper or withdraw support."""

from __future__ import annotations

from enum import StrEnum

from pydantic import field_validator

from simulation.scenario.actors import ActorsParams
from simulation.scenario.base import NonNegative, P, Share, Strict
from simulation.scenario.instruments import Instruments
from simulation.timeline import parse_month


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
        known = set(Instruments.model_fields) | set(ActorsParams.model_fields)
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown instrument or actor(s) {unknown}; expected some of "
                             f"{sorted(known)}")
        return v

