"""Exit and the post-2020 transition (seed 003; reference-figures.md, Exit criteria).

**Exit.** Every month the region's composite (registered) incidence, its missed-registration
and wrongful-exit rates and its satisfaction are measured against the official criteria
(incidence below 3% in the west, error rates below ~2%, satisfaction of at least 90%); a
village exits once its own registered incidence is below the threshold, and the county exits
in the first review month in which all criteria hold.

**Transition.** The transition starts at the deadline (`transition.start`, 2021-01) or, with
`trigger: exit`, the month after the county exits if that is earlier. Each instrument and
funded actor is then kept, tapered or withdrawn ("remove the hat without removing
responsibility, policy, assistance, supervision"; 003 l.73, l.162):

- `configured`: its own dates, untouched (the default: the core model's behaviour);
- `withdraw`: it stops the month before the transition starts; its unspent money stays unspent;
- `keep`: it runs to the end of the transition at its planned pre-transition monthly pace;
- `taper`: like keep, but the monthly money falls linearly to zero over the transition.

Money for kept or tapered months beyond an instrument's own end is appropriated month by
month (`transition.funding_factor` x the planned pace) and booked in its ledger, so
budget = delivered + overhead + unspent still holds; what is not used stays unspent.
Sectors that raise their own money (social organizations, firms) scale what they raise by the
same weights.

The columns also split each month's returns to poverty into households living on dividends
without taking part in production and those taking part (the asset-income versus
participation trade-off once dividends stop; 003 l.119).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.scenario import PRODUCTIVE, TransitionMode
from simulation.timeline import calendar_month_of, month_index

if TYPE_CHECKING:
    from simulation.instruments.base import InstrumentBase
    from simulation.model import PovertyModel



class TransitionPolicy:
    def __init__(self, model: PovertyModel):
        cfg = model.config.transition
        self.cfg = cfg
        self.deadline_start = month_index(cfg.start, model.config.start)
        self.t0: int | None = None
        self.t_end: int | None = None
        self.funds: dict[str, list[InstrumentBase]] = {k: [v] for k, v in
                                                       model.instruments.items()}
        self.funds |= model.actors.fund_lists()
        for fl in self.funds.values():
            for f in fl:  # kept on the ledger itself, so a copied model stays consistent
                f.configured_last = f.last
                f.planned_pace = f.budget / max(f.last - f.first + 1, 1)
        self.appropriated = 0.0  # new money for kept/tapered months (sample yuan)
        self.county_exit_month: int | None = None
        self.village_exited = np.zeros(model.villages.n, dtype=bool)
        self.criteria: dict[str, float] = {}

    def mode(self, key: str) -> TransitionMode:
        return self.cfg.modes.get(key, self.cfg.default_mode)

    def weight(self, key: str, month: int) -> float:
        """Share of the planned pace an instrument or actor keeps in this month."""
        if self.t0 is None or month < self.t0:
            return 1.0
        mode = self.mode(key)
        if mode == TransitionMode.WITHDRAW:
            return 0.0
        if mode == TransitionMode.TAPER:
            return max(0.0, (self.cfg.months - (month - self.t0)) / self.cfg.months)
        return 1.0

    # ------------------------------------------------------------------ monthly
    def begin_month(self, model: PovertyModel) -> None:
        month = model.month
        if self.t0 is None and self._due(month):
            self._start(month)
        if self.t0 is None or month > self.t_end:
            return
        for key, fl in self.funds.items():
            if self.mode(key) not in (TransitionMode.KEEP, TransitionMode.TAPER):
                continue
            for f in fl:
                if getattr(f, "potential", 0.0) > 0 or f.configured_last >= month:
                    continue  # raised funds scale themselves; funded months need no money
                new = f.planned_pace * self.weight(key, month) * self.cfg.funding_factor
                f.budget += new
                f.remaining += new
                self.appropriated += new

    def _due(self, month: int) -> bool:
        if month >= self.deadline_start:
            return True
        return (self.cfg.trigger == "exit" and self.county_exit_month is not None
                and month > self.county_exit_month)

    def _start(self, month: int) -> None:
        self.t0 = month
        self.t_end = month + self.cfg.months - 1
        for key, fl in self.funds.items():
            mode = self.mode(key)
            for f in fl:
                if mode == TransitionMode.WITHDRAW:
                    f.last = min(f.last, month - 1)
                elif mode in (TransitionMode.KEEP, TransitionMode.TAPER):
                    f.last = self.t_end if mode == TransitionMode.TAPER else max(f.last,
                                                                                self.t_end)
                    f.allowance = CappedAllowance(self, key, f)  # type: ignore[method-assign]

    # ------------------------------------------------------------------ exit
    def assess(self, model: PovertyModel, poor: np.ndarray) -> None:
        """Measure the exit criteria (`poor`: income-poor households now); villages and the
        county exit when they hold."""
        hh, cfg = model.households, self.cfg
        people = hh.size
        total = float(people.sum())
        composite = float(hh.people_in(hh.registered) / total)
        missed = float(hh.people_in(poor & ~hh.registered) / total)
        # Wrongful exits: people who left the register while still below the line, as a
        # share of the people who left it (the criterion's sample is of exited households).
        left = float(hh.people_in(hh.left_register))
        wrongful = float(hh.people_in(poor & hh.left_register) / left) if left else 0.0
        satisfaction = float(hh.people_in(hh.trust >= cfg.satisfied_trust) / total)
        self.criteria = {"exit_composite_incidence": composite,
                         "exit_missed_rate": missed, "exit_wrongful_rate": wrongful,
                         "exit_satisfaction": satisfaction}
        registered = np.flatnonzero(hh.registered)  # whole people: any order, same sums
        by_village = np.bincount(hh.village[registered], weights=people[registered],
                                 minlength=model.villages.n)
        self.village_exited |= by_village < cfg.exit_incidence * model.village_people
        review = model.config.instruments.registration.review_month
        if (self.county_exit_month is None
                and calendar_month_of(model.config.start, model.month) == review
                and composite < cfg.exit_incidence and missed < cfg.exit_error
                and wrongful < cfg.exit_error and satisfaction >= cfg.exit_satisfaction):
            self.county_exit_month = model.month

    def columns(self, model: PovertyModel, returns: np.ndarray) -> dict[str, float]:
        hh = model.households
        up = 1.0 / model.scale
        month = model.month
        phase = 0.0 if self.t0 is None or month < self.t0 else (
            1.0 if month <= self.t_end else 2.0)
        dividends = model.instruments["asset_income"].beneficiary
        productive = hh.joined[:, PRODUCTIVE[0]] >= 0  # ever joined any, column by column
        for k in PRODUCTIVE[1:]:
            productive |= hh.joined[:, k] >= 0
        out = dict(self.criteria)
        out |= {
            "transition_phase": phase,
            "transition_appropriated": self.appropriated * up,
            "county_exited": float(self.county_exit_month is not None
                                   and month >= self.county_exit_month),
            "villages_exited": float(self.village_exited.mean()),
            "returns_dividend_only": float(hh.people_in(returns & dividends & ~productive))
            * up,
            "returns_participating": float(hh.people_in(returns & productive)) * up,
        }
        return out


class CappedAllowance:
    """From the start of the transition, a kept or tapered month may use at most its
    weighted planned pace (installed as the ledger's `allowance`; a plain object rather than
    a closure so that models can be copied or pickled)."""

    def __init__(self, policy: TransitionPolicy, key: str, fund: InstrumentBase):
        self.policy, self.key, self.fund = policy, key, fund

    def __call__(self, month: int) -> float:
        f, policy = self.fund, self.policy
        if policy.t0 is None or month < policy.t0 or month > policy.t_end:
            return type(f).allowance(f, month)
        cap = f.planned_pace * policy.weight(self.key, month) * policy.cfg.funding_factor
        spendable = f.spendable
        return min(spendable, cap) if f.is_open(month) and spendable > 1e-9 else 0.0
