"""Precise identification, the register, verified exits and the 2020 deadline.

**Identification** (seed 001 'Target groups'; 002 §2): cadres assess each household's
income with an error that shrinks with their capacity and grows with formalism; households
may conceal income. Part of the error is a household's persistent bias (concealment, the
cadres' judgement of it), drawn once and carried; the rest is redrawn at every assessment.
Those assessed below the line are registered. The identification starts at
`instruments.registration.start` (2014-01, when the register was built); a run that starts
earlier has no register before it, and says so with a warning.

**Yearly review** (001, 003 'dynamic adjustment'; 004 §4.2), in the review month: every
yearly review corrects part of each persistent bias (look-backs, democratic appraisal). A
registered household's exit is *verified* when its assessed annual income is above the line
times a margin and, from the 2016 exit rules on (`criteria_from`), the non-income criteria
hold (simulation/guarantees.py). Exits follow the county's exit plan: verified exits beyond
the plan wait for a later review, those most clearly above the bar leaving first
(`plan_caps_exits`; before 2016 the plan is `early_plan_share` of the register). From
`quota_from` (2016, after the 2015 decision to end poverty by 2020) the plan is a quota so
that the register empties by the deadline (registered people / reviews left); when verified
exits fall short of it, cadres
fill part of the shortfall with 'paper exits' of households that fail the criteria, closest
to passing first, with a probability that rises with their village's formalism (000 §4.2);
at the deadline's review every household still registered leaves. Unregistered households
the villagers nominate join when assessed below the line times a margin; before the
deadline's year only (in it, the households at risk go to dynamic monitoring). A household
that had left the register and joins it again is a **return to poverty** on the register
basis.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from simulation.guarantees import guaranteed
from simulation.households import Deficit, HouseholdTable
from simulation.instruments.base import InstrumentBase
from simulation.timeline import calendar_month_of, month_index, parse_month, year_of

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class RegisterWarning(UserWarning):
    """The register is set up in a way that is legal but likely a mistake."""


class Registration(InstrumentBase):
    key = "registration"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        n = model.households.n
        self.assessed = np.zeros(n, dtype=bool)
        # Persistent log-bias of each household's assessment, in units of the village's
        # assessment sd (corrected by a share at every review).
        self.bias = model.streams.rng("registration.bias").standard_normal(n).astype(
            np.float32)
        self.deadline_year = parse_month(model.config.cadres.deadline)[0]
        if cfg.enabled and month_index(cfg.start, model.config.start) > 0:
            warnings.warn(f"instruments.registration.start {cfg.start} is after the run's start "
                          f"{model.config.start}: nobody is registered before {cfg.start} "
                          "(registered incidence 0 until then, as before the 2014 "
                          "identification); set instruments.registration.start to identify "
                          "earlier", RegisterWarning, stacklevel=2)
        self.criteria_from = month_index(cfg.criteria_from, model.config.start)
        self.quota_from = month_index(cfg.quota_from, model.config.start)
        self.official_exits = 0.0  # people leaving the register this month
        self.paper_exits = 0.0  # of which failing the criteria (assessed or in truth)
        self.wrongful_exits = 0.0  # people exited while truly below the line or lacking
        self.entries = 0.0  # people joining the register at a review this month
        self.returns = 0.0  # of which had left the register before (returns to poverty)
        self.meeting: dict[str, float] = {}  # shares of registered people meeting criteria
        self._hidden_cache: tuple | None = None  # (conceal, strength, 1 - conceal x strength)

    def observed_income(self, model: PovertyModel, rows: np.ndarray) -> np.ndarray:
        hh, c = model.households, model.config.cadres
        noise = model.streams.rng("registration.noise", model.month).standard_normal(hh.n)
        sd = model.cadres.assessment_sd(c.assessment_error)[hh.village[rows]]
        share = self.cfg.bias_share
        error = np.sqrt(share) * self.bias[rows] + np.sqrt(1.0 - share) * noise[rows]
        hidden = 1.0 - hh.conceal[rows] * c.conceal_strength
        return hh.annual_income[rows] * hidden * np.exp(sd * error)

    def persistent_factor(self, model: PovertyModel) -> np.ndarray:
        """How the village's cadres persistently read each household's income (observed /
        true, without this month's noise): concealment and the carried bias. Other means tests
        done from the same household files (dibao) share it."""
        hh, c = model.households, model.config.cadres
        # sd x sqrt(share) is per village: multiplied before it is spread to households (the
        # same products, one full-length pass fewer).
        scaled = model.cadres.assessment_sd(c.assessment_error) * np.sqrt(self.cfg.bias_share)
        factor = scaled[hh.village]
        factor *= self.bias
        np.exp(factor, out=factor)
        factor *= self._hidden(model)
        return factor

    def _hidden(self, model: PovertyModel) -> np.ndarray:
        """Share of income households do not conceal (fixed: concealment is drawn once)."""
        hh, strength = model.households, model.config.cadres.conceal_strength
        cached = self._hidden_cache
        if cached is None or cached[0] is not hh.conceal or cached[1] != strength:
            cached = self._hidden_cache = (hh.conceal, strength, 1.0 - hh.conceal * strength)
        return cached[2]

    def affordable(self, model: PovertyModel, rows: np.ndarray,
                   first: np.ndarray | None = None) -> np.ndarray:
        """The rows whose assessment this month's money pays for: the rows in `first` (a
        mask over households) before the others, each group in random order."""
        order = model.streams.uniform("registration.order", model.month, model.households.n)
        cost = self.cfg.cost_per_assessment
        can = len(rows) if cost <= 0 else int(self.usable(model.month) // cost)
        if can < len(rows):
            rank = order[rows] + (0.0 if first is None else ~first[rows])
            rows = np.sort(rows[np.argsort(rank, kind="stable")[:can]])
        self.charge(len(rows) * cost)
        return rows

    def step(self, model: PovertyModel) -> None:
        self.official_exits = self.paper_exits = self.wrongful_exits = 0.0
        self.entries = self.returns = 0.0
        month = model.month
        if not self.active(month):
            return
        hh = model.households
        initial = ~self.assessed
        if initial.any():
            rows = self.affordable(model, np.flatnonzero(initial))
            self.assessed[rows] = True
            hh.registered[rows] = self.observed_income(model, rows) < model.line
            return
        if calendar_month_of(model.config.start, month) == self.cfg.review_month:
            self.review(model)

    def reviews_left(self, model: PovertyModel) -> int:
        """Reviews up to and including the deadline's year, this one included."""
        return self.deadline_year - year_of(model.config.start, model.month) + 1

    def review(self, model: PovertyModel) -> None:
        hh, cfg, line = model.households, self.cfg, model.line
        self.bias *= 1.0 - cfg.review_correction
        # Every registered household, and unregistered ones that villagers nominate in the
        # democratic appraisal: most of the truly poor, a few others (assumption).
        u = model.streams.uniform("registration.nomination", model.month, hh.n)
        truly_poor = hh.annual_income < 1.2 * line
        screen = hh.registered | (u < np.where(truly_poor, 0.8, 0.05))
        # The dynamic adjustment reviews the whole register; nominees as money allows.
        rows = self.affordable(model, np.flatnonzero(screen), first=hh.registered)
        left = self.reviews_left(model)
        final = cfg.deadline_quota and left == 1
        if final:  # the deadline's review decides on every registered household
            rows = np.union1d(rows, np.flatnonzero(hh.registered))
        seen = self.observed_income(model, rows)
        was = hh.registered[rows]
        bar = cfg.exit_margin * (1.0 - cfg.pressure_leniency * model.cadres.pressure)
        income_ok = seen > line * bar
        criteria_ok = (guaranteed(hh, rows) if model.month >= self.criteria_from
                       else np.ones(len(rows), dtype=bool))
        self._report_criteria(hh, rows[was], income_ok[was], ~hh.deficit[rows[was]])
        verified = was & income_ok & criteria_ok
        closeness = seen / (line * bar)
        plan = self.planned(model, left)
        leave = (self._within_plan(hh, rows, verified, closeness, plan)
                 if cfg.plan_caps_exits and not final else verified)
        if self.quota_applies(model, left):  # a shortfall only when too few pass at all
            leave |= self._paper_exits(model, rows, was & ~verified, closeness, plan,
                                       float(hh.size[rows[verified]].sum()), final=final)
        # Households under follow-up after their exit are helped there, not registered again
        # (the 'four no-removals': policies and help stay; followup.py).
        followed = model.instruments["followup"].watched[rows]
        join = (~was & ~followed & (seen < line * cfg.join_margin)
                & (not cfg.deadline_quota or left > 1))
        exiting, joining = rows[leave], rows[join]
        hh.registered[exiting] = False
        hh.left_register[exiting] = True
        hh.keeps_policy[exiting] = cfg.policies_after_exit
        hh.registered[joining] = True
        self.official_exits = float(hh.size[exiting].sum())  # people
        failing = ~(income_ok & criteria_ok)[leave]
        self.paper_exits = float(hh.size[exiting[failing]].sum())
        # Truly short by the criteria then in force (criteria_ok is all True before them).
        truly_short = (hh.annual_income[exiting] < line) | ~criteria_ok[leave]
        self.wrongful_exits = float(hh.size[exiting[truly_short]].sum())
        self.entries = float(hh.size[joining].sum())
        self.returns = float(hh.size[joining[hh.left_register[joining]]].sum())
        hh.left_register[joining] = False
        hh.keeps_policy[joining] = False

    def quota_applies(self, model: PovertyModel, left: int) -> bool:
        """Whether this review has a deadline quota (from `quota_from` to the deadline)."""
        return self.cfg.deadline_quota and left >= 1 and model.month >= self.quota_from

    def planned(self, model: PovertyModel, left: int) -> float:
        """People the county's exit plan exits at this review. The plan counts the whole
        register, reviewed or not: under the deadline quota, registered people / reviews
        left; before it, `early_plan_share` of them."""
        registered = float(model.households.size[model.households.registered].sum())
        if self.quota_applies(model, left):
            return registered / left
        return self.cfg.early_plan_share * registered

    @staticmethod
    def _within_plan(hh: HouseholdTable, rows: np.ndarray, leave: np.ndarray,
                     closeness: np.ndarray, plan: float) -> np.ndarray:
        """`leave` (a mask over `rows`) cut to the plan: verified exits most clearly above
        the bar first, until the plan's people are reached."""
        passing = np.flatnonzero(leave)
        passing = passing[np.argsort(-closeness[passing], kind="stable")]
        people = np.cumsum(hh.size[rows[passing]])
        out = np.zeros(len(rows), dtype=bool)
        out[passing[people <= plan]] = True
        return out

    def _paper_exits(self, model: PovertyModel, rows: np.ndarray, failing: np.ndarray,
                     closeness: np.ndarray, quota: float, verified: float,
                     final: bool) -> np.ndarray:
        """Households failing the criteria exited to meet the quota (a mask over `rows`)."""
        hh = model.households
        out = np.zeros(len(rows), dtype=bool)
        shortfall = quota - verified
        candidates = np.flatnonzero(failing)
        if shortfall <= 0 or len(candidates) == 0:
            return out
        if final:  # the deadline: the register is emptied
            out[candidates] = True
            return out
        u = model.streams.uniform("registration.paper", model.month, hh.n)
        formalism = model.cadres.formalism[hh.village[rows[candidates]]]
        willing = candidates[u[rows[candidates]] < self.cfg.paper_exit_scale * formalism]
        willing = willing[np.argsort(-closeness[willing], kind="stable")]
        people = np.cumsum(hh.size[rows[willing]])
        out[willing[: int(np.searchsorted(people, shortfall)) + 1]] = True
        return out

    def _report_criteria(self, hh, registered_rows: np.ndarray, income_ok: np.ndarray,
                         met: np.ndarray) -> None:
        """Shares of registered people meeting each exit criterion at this review (`met`:
        the guarantees held, one column per Deficit)."""
        size = hh.size[registered_rows]
        total = float(size.sum())
        if total <= 0:
            self.meeting = {}
            return
        self.meeting = {"income": float(size[income_ok].sum() / total),
                        "all": float(size[income_ok & met.all(axis=1)].sum() / total)}
        for d in Deficit:
            self.meeting[d.name.lower()] = float(size[met[:, d]].sum() / total)
