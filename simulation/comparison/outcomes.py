"""The outcomes a comparison reads from each run: headline outcomes (at the end and at
chosen dates) and outcomes within each period (the push to 2020 and the transition)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from simulation.outcomes import COMPARED_KEYS, OUTCOMES, Outcome, compared
from simulation.runs.runner import SUMMARY_DATES, summarise
from simulation.timeline import month_index, month_label

#: Dates at which incidence is compared by default (those inside the run are used).
DEFAULT_DATES = SUMMARY_DATES
#: First month of the transition period after the 2020 deadline.
TRANSITION_START = "2021-01"


# ----------------------------------------------------------------------------- outcomes
def headline_outcomes(dates: Sequence[str]) -> list[Outcome]:
    """The headline outcomes (`simulation.outcomes.compared`), keyed by their names in the
    comparison tables, with incidence at each of `dates`."""
    return [replace(o, key=o.name, compared_as="") for o in compared(dates)]


#: Outcomes within each period (flows over the period, incidence at its end).
PERIOD_OUTCOMES = [
    Outcome("incidence_end", "Incidence at end of period", "share", "lower"),
    Outcome("incidence_change", "Change in incidence over period", "share", "lower"),
    Outcome("exits", "Exits from poverty in period (people)", "people", "higher"),
    Outcome("returns", "Returns to poverty in period (people)", "people", "lower"),
    Outcome("income_growth", "Mean real income growth in period", "rate", "higher"),
    Outcome("spending", "Spending in period (yuan)", "yuan", "lower"),
]


def row_at(df: pd.DataFrame, date: str) -> int:
    idx = np.flatnonzero(df["date"].to_numpy() == date)
    if not len(idx):
        raise KeyError(date)
    return int(idx[0])


def run_outcomes(monthly: pd.DataFrame, dates: Sequence[str]) -> dict[str, float]:
    """Headline outcomes of one run from its monthly series (the run summary's figures,
    named as the comparison names them, and incidence at each of `dates`)."""
    s = summarise(monthly)
    out = {f"incidence_{d}": float(monthly["income_poverty_incidence"].iloc[row_at(monthly, d)])
           for d in dates}
    return out | {name: s[key] for name, key in _SUMMARY_KEYS}


#: Comparison outcome <- run summary key.
_SUMMARY_KEYS = tuple((OUTCOMES[k].name, k) for k in COMPARED_KEYS)


def periods_of(start: str, months: int, transition: str = TRANSITION_START
               ) -> list[tuple[str, str, str]]:
    """(name, first month, last month) of the push to 2020 and the transition after it."""
    end = month_label(start, months - 1)
    cut = month_index(transition, start)
    if cut <= 0:
        return [("transition", start, end)]
    if cut >= months:
        return [("push to 2020", start, end)]
    return [("push to 2020", start, month_label(start, cut - 1)),
            ("transition", transition, end)]


def period_outcomes(monthly: pd.DataFrame, first: str, last: str) -> dict[str, float]:
    """Outcomes of one run within one period (flows are differences of cumulative series)."""
    i, j = row_at(monthly, first), row_at(monthly, last)

    def before(col: str) -> float:
        return float(monthly[col].iloc[i - 1]) if i > 0 else 0.0

    inc = monthly["income_poverty_incidence"]
    growth = monthly["income_growth"].iloc[i:j + 1].dropna()
    inc_before = float(inc.iloc[i - 1]) if i > 0 else float(inc.iloc[0])
    return {
        "incidence_end": float(inc.iloc[j]),
        "incidence_change": float(inc.iloc[j]) - inc_before,
        "exits": float(monthly["cumulative_exits"].iloc[j]) - before("cumulative_exits"),
        "returns": float(monthly["cumulative_returns"].iloc[j]) - before("cumulative_returns"),
        "income_growth": float(growth.mean()) if len(growth) else float("nan"),
        "spending": float(monthly["cumulative_spending"].iloc[j]) - before("cumulative_spending"),
    }
