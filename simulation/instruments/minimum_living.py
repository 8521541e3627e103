"""Minimum living security (dibao): a monthly top-up to the local standard.

Households without able labour (elderly, ill) whose income (all of it, other transfers
included: the means test counts a family's whole income) is below the standard may apply
once aware; enrolled households receive the gap each month. The means test counts income
as the village cadres assess it, with the register's persistent error (concealment, their
judgement; `means_test_error`), so some who qualify are refused or paid too little and
some who do not are paid (reference-figures.md: large inclusion and exclusion errors). This is
the social-security floor of the 2015 exit plan (reference-figures.md, ~20M people): from
`floor_from` cadres also enrol registered households that qualify without waiting for them
to apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.takeup import TakeUp
from simulation.timeline import calendar_month_of, month_index, year_of

if TYPE_CHECKING:
    from simulation.model import PovertyModel


def interpolate_by_year(table: dict[int, float], year: float) -> float:
    years = sorted(table)
    return float(np.interp(year, years, [table[y] for y in years]))


def low_labour(hh) -> np.ndarray:
    """Households without able labour: none, an elderly head, a chronic illness, or labour
    below a third of the members (who dibao's `requires_low_labour` admits)."""
    return (hh.labour == 0) | hh.elderly | hh.chronic | (hh.labour / hh.size < 0.34)


class MinimumLiving(TakeUp):
    key = "minimum_living"
    entitlement = True  # top-ups to the standard, paid in the years the need is largest

    def mean_standard(self, model: PovertyModel) -> float:
        """The table's standard in yuan per person per year for the current month: the
        year's mid-year value, half-way between the previous and this year's year-end
        figures (the table's figures are year-end averages, as the civil affairs
        statistics report them)."""
        mid_year = year_of(model.config.start, model.month) - 0.5
        last = max(self.cfg.standard)
        if mid_year > last:  # after the table the standard keeps pace with prices
            infl = model.config.economy.inflation
            return float(self.cfg.standard[last]) * (1 + infl) ** (mid_year - last)
        return interpolate_by_year(self.cfg.standard, mid_year)

    def standard(self, model: PovertyModel) -> float | np.ndarray:
        """Each household's local standard this month (a number when there is one standard
        for the whole region): the table's value scaled by its village's remoteness, and
        from `line_floor_from` never below the poverty line (worked out once per step: the
        gap, the means test and the yearly check all read it)."""
        def compute() -> float | np.ndarray:
            value = self.mean_standard(model)
            if self.local is not None:
                value = value * self.local
            if self.line_floor_from is not None and model.month >= self.line_floor_from:
                value = np.maximum(value, model.line)
            return value

        return self._cached("standard", compute)

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self._cache: dict[str, np.ndarray] | None = None  # during step() only
        self._low_labour: tuple | None = None  # (households, demography month, mask)
        self.floor_from = month_index(cfg.floor_from, model.config.start)
        self.line_floor_from = (None if cfg.line_floor_from is None
                                else month_index(cfg.line_floor_from, model.config.start))
        self.local = self.local_factor(model, cfg.remote_gradient)
        if self.budget > 0 and cfg.initial_coverage > 0 and self.first <= 0:
            self.enrol_existing(model)

    @staticmethod
    def local_factor(model: PovertyModel, gradient: float) -> np.ndarray | None:
        """Each household's local standard relative to the table's: 1 + gradient x (its
        village's remoteness - the households' mean remoteness), so the mean over
        households stays 1 (floored at 0.2); None for one standard everywhere."""
        if gradient == 0:
            return None
        rem = model.villages.remoteness[model.households.village]
        return np.maximum(1.0 + gradient * (rem - rem.mean()), 0.2)

    def enrol_existing(self, model: PovertyModel) -> None:
        """Dibao existed before the campaign: at the start `initial_coverage` of the
        households that qualify already receive it (and know it)."""
        hh = model.households
        market = (hh.farm_base + hh.wage_base) * np.exp(hh.income_shock) * 12.0
        standard = self.standard(model)
        ok = market < standard
        if self.cfg.requires_low_labour:
            ok &= low_labour(hh)
        u = model.streams.rng("setup.dibao").random(hh.n)
        enrolled = ok & (u < self.cfg.initial_coverage)
        hh.participating[enrolled, self.k] = True
        hh.joined[enrolled, self.k] = 0
        hh.understanding[enrolled, self.k] = np.maximum(hh.understanding[enrolled, self.k], 0.6)
        gap = np.maximum(standard - market, 0.0)
        hh.annual_by_source[enrolled, Source.TRANSFER] += gap[enrolled]
        hh.annual_income[enrolled] += gap[enrolled]

    def step(self, model: PovertyModel) -> None:
        # Other income does not change while this programme acts (it adds its own top-up only),
        # so it and the gap to the standard are worked out at most once in the step.
        self._cache = {}
        try:
            if model.month >= self.floor_from and self.active(model.month):
                self.enrol_registered(model)
            super().step(model)
        finally:
            self._cache = None

    def enrol_registered(self, model: PovertyModel) -> None:
        """The floor: registered households that qualify are enrolled by cadres, as far as
        the money for their top-ups reaches (those with the largest gap first)."""
        hh = model.households
        rows = np.flatnonzero(hh.registered & self.can_use(model) & ~self.participants(model))
        if len(rows) == 0:
            return
        need = self.need(model)
        room = self.usable(model.month) - float(need[self.participants(model)].sum())
        rows = rows[np.argsort(-need[rows], kind="stable")]
        take = rows[: int(np.searchsorted(np.cumsum(need[rows]), max(room, 0.0)))]
        hh.participating[take, self.k] = True
        hh.joined[take, self.k] = model.month

    def _cached(self, name: str, compute) -> np.ndarray:
        if self._cache is None:
            return compute()
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]

    def assessed_income(self, model: PovertyModel) -> np.ndarray:
        """Annual income per capita the means test counts: every source, the other
        transfers (pensions, remittances, subsidies) included, before dibao's own top-up,
        which is paid last in the month (the dibao rules count a family's whole income), as
        the cadres read it (`means_test_error`)."""
        def compute() -> np.ndarray:
            assessed = model.households.income.sum(axis=1)
            assessed *= 12.0  # in place: the values of income.sum(axis=1) * 12 * reading
            assessed *= self.reading(model)
            return assessed

        return self._cached("assessed", compute)

    def reading(self, model: PovertyModel) -> np.ndarray | float:
        """Assessed / true income: the register's persistent error, or 1 without it."""
        registration = model.instruments.get("registration")
        if not self.cfg.means_test_error or registration is None:
            return 1.0
        return registration.persistent_factor(model)

    def gap(self, model: PovertyModel) -> np.ndarray:
        """Annual shortfall of assessed income below the standard, per capita (>= 0)."""
        def compute() -> np.ndarray:
            gap = self.standard(model) - self.assessed_income(model)
            return np.maximum(gap, 0.0, out=gap)

        return self._cached("gap", compute)

    def monthly_gap(self, model: PovertyModel) -> np.ndarray:
        """The shortfall per capita and month (gap / 12)."""
        return self._cached("monthly_gap", lambda: self.gap(model) / 12.0)

    def need(self, model: PovertyModel) -> np.ndarray:
        """Monthly top-up each household would need to reach the standard (yuan)."""
        return self._cached("need", lambda: self.monthly_gap(model) * model.households.size)

    def can_use(self, model: PovertyModel) -> np.ndarray:
        def compute() -> np.ndarray:
            ok = self.assessed_income(model) < self.standard(model)
            if self.cfg.requires_low_labour:
                ok &= self.low_labour(model)
            return ok

        # A copy: callers may combine it in place.
        return self._cached("can_use", compute).copy()

    def low_labour(self, model: PovertyModel) -> np.ndarray:
        """`low_labour(households)`, kept while the households' composition stays: only
        demography changes it, once a year (read-only)."""
        hh, year = model.households, getattr(model, "demography_events", (-1,))[0]
        kept = self._low_labour
        if kept is None or kept[0] is not hh or kept[1] != year:
            kept = self._low_labour = (hh, year, low_labour(hh))
        return kept[2]

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        gap = self.gap(model) if rows is None else self.gap(model)[rows]
        return gap / np.maximum(self.households(model, rows).annual_income, 500.0)

    def slots(self, model: PovertyModel, budget: float) -> int:
        need = self.need(model)
        paying = self.participants(model)
        left = budget - float(need[paying].sum())
        new = ~paying & (need > 0)
        per_new = float(need[new].mean()) if new.any() else 0
        return 0 if left <= 0 or per_new <= 0 else int(left // per_new)

    def place_cost(self, model: PovertyModel) -> float:
        return 0.0  # places cost only their monthly top-ups, paid in deliver()

    def deliver(self, model: PovertyModel) -> None:
        hh, month = model.households, model.month
        members = self.participants(model)
        if calendar_month_of(model.config.start, month) == 12:
            # Yearly check: those whose income now exceeds the standard leave.
            members &= ~(self.assessed_income(model) > self.standard(model) * 1.1)
            hh.participating[:, self.k] = members
        if not self.active(month):
            return
        topup = np.where(members, self.monthly_gap(model), 0.0)
        # topup x size: the members' need (the same product), 0 for the others
        cost = float(np.where(members, self.need(model), 0.0).sum())
        budget = self.usable(month)
        if cost > budget > 0:
            topup *= budget / cost  # pro-rated when the money runs short
            cost = budget
        elif budget <= 0:
            return
        hh.income[:, Source.TRANSFER] += topup
        self.charge(cost)
