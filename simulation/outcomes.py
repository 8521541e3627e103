"""The model's headline outcomes, declared once: key, label, unit, which way is better and
how a value is shown.

A run's summary (`simulation.runs.runner.summarise`, `summary.json`, the sweep store's
columns) uses `Outcome.key`; a comparison's tables name some outcomes more briefly
(`Outcome.name`: `people_lifted` for `people_lifted_end`, ...). The groups below are what
each workflow shows: `HEADLINE` (`povsim run`), `compared` (`povsim compare`), `SWEPT`
(the sweep report's default outcomes) and `NOW` (the app's side-by-side table, read from
the monthly series at the current month).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One outcome: how to read it, display it and which direction is better."""

    key: str
    label: str
    unit: str  # 'share' (shown in percentage points), 'people', 'yuan', 'rate', 'index'
    better: str  # 'lower' or 'higher'
    fmt: str = "{:,.0f}"  # one value, for str.format
    compared_as: str = ""  # the column name in comparison tables, if not `key`

    @property
    def name(self) -> str:
        """The outcome's name in comparison tables."""
        return self.compared_as or self.key

    def format(self, value: float) -> str:
        """One value as text ('n/a' for NaN)."""
        return "n/a" if value is None or math.isnan(value) else self.fmt.format(value)


SHARE, PEOPLE, YUAN = "{:.1%}", "{:,.0f}", "{:,.0f}"


def incidence(when: str) -> Outcome:
    """Income-poverty incidence at `when`: 'start', 'end' or a month ('2020-12')."""
    return Outcome(f"incidence_{when}", f"Income-poverty incidence, {when}", "share", "lower",
                   SHARE)


#: Every run-summary outcome, by key (incidence at a date: `incidence(date)`).
OUTCOMES: dict[str, Outcome] = {o.key: o for o in [
    incidence("start"),
    incidence("end"),
    Outcome("registered_incidence_peak", "Registered-poor incidence, peak", "share", "lower",
            SHARE),
    Outcome("income_pc_start", "Per-capita income, start (yuan/yr)", "yuan", "higher", YUAN),
    Outcome("income_pc_end", "Per-capita income, end (yuan/yr)", "yuan", "higher", YUAN),
    Outcome("mean_real_income_growth", "Mean real income growth (year on year)", "rate",
            "higher", SHARE, compared_as="income_growth"),
    Outcome("gini_end", "Gini coefficient, end", "index", "lower", "{:.3f}"),
    Outcome("cumulative_exits", "Exits from poverty, whole run (people)", "people", "higher",
            PEOPLE),
    Outcome("cumulative_returns", "Returns to poverty, whole run (people)", "people", "lower",
            PEOPLE, compared_as="returns"),
    Outcome("people_lifted_end", "People lifted (in the exited state at the end)", "people",
            "higher", PEOPLE, compared_as="people_lifted"),
    Outcome("total_spending", "Total spending (yuan)", "yuan", "lower", YUAN),
    Outcome("cost_per_person_lifted", "Cost per person lifted (yuan)", "yuan", "lower", YUAN),
]}

#: `povsim run`'s summary table.
HEADLINE: list[Outcome] = [
    OUTCOMES["incidence_start"], incidence("2020-12"), OUTCOMES["incidence_end"],
    *(OUTCOMES[k] for k in ("registered_incidence_peak", "income_pc_start", "income_pc_end",
                            "mean_real_income_growth", "gini_end", "cumulative_exits",
                            "cumulative_returns", "people_lifted_end", "total_spending",
                            "cost_per_person_lifted")),
]

#: Outcomes a comparison tests besides incidence at its dates (run-summary keys).
COMPARED_KEYS = ("people_lifted_end", "cumulative_exits", "cumulative_returns",
                 "mean_real_income_growth", "income_pc_end", "gini_end", "total_spending",
                 "cost_per_person_lifted")


def compared(dates: Sequence[str]) -> list[Outcome]:
    """A comparison's headline outcomes: incidence at each of `dates`, then the others."""
    return [incidence(d) for d in dates] + [OUTCOMES[k] for k in COMPARED_KEYS]


#: The sweep report's outcomes when a spec names none (run-summary keys).
SWEPT = ["incidence_2020-12", "incidence_end", "income_pc_end", "gini_end",
         "people_lifted_end", "cost_per_person_lifted"]

#: The app's side-by-side table: monthly-series columns at the current month.
NOW: list[Outcome] = [
    Outcome("income_poverty_incidence", "Income-poverty incidence", "share", "lower", SHARE),
    Outcome("registered_poor_incidence", "Registered-poor incidence", "share", "lower", SHARE),
    Outcome("income_pc", "Per-capita income (yuan/yr)", "yuan", "higher", YUAN),
    Outcome("cumulative_exits", "Exits from poverty (people)", "people", "higher", PEOPLE),
    Outcome("people_lifted", "People lifted (in the exited state now)", "people", "higher",
            PEOPLE),
    Outcome("cumulative_spending", "Spending so far (yuan)", "yuan", "lower", YUAN),
    Outcome("exclusion_error", "Exclusion error", "share", "lower", SHARE),
    Outcome("smith_target", "Smith index: target group", "index", "higher", "{:.3f}"),
]
