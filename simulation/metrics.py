"""Monthly outcomes: incidence, income, exits and returns, Gini, awareness, participation,
targeting errors, spending, the Smith indices, and breakdowns by household group.

Rows are appended as plain dicts of floats and turned into a DataFrame once, at the end;
people-weighted figures use household size. Figures for the region (people, yuan) are
scaled from the sample by the scenario's `households_represented`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.households import PovertyState, Source
from simulation.scenario import PROGRAMMES

if TYPE_CHECKING:
    from simulation.model import PovertyModel

GINI_SAMPLE = 50_000  # larger runs estimate Gini from a fixed random sample of households


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini coefficient (people-weighted, negative incomes clipped at zero)."""
    order = np.argsort(values, kind="stable")
    x, w = np.maximum(values[order], 0.0), weights[order]
    cw = np.cumsum(w)
    cxw = np.cumsum(x * w)
    if cxw[-1] <= 0:
        return 0.0
    # Area under the Lorenz curve by trapezoids.
    lorenz = cxw / cxw[-1]
    prev = np.concatenate([[0.0], lorenz[:-1]])
    area = float(np.sum(w / cw[-1] * (lorenz + prev) / 2.0))
    return 1.0 - 2.0 * area


class Recorder:
    def __init__(self, model: PovertyModel):
        self.model = model
        self.rows: list[dict[str, float]] = []
        hh = model.households
        self.elderly = hh.elderly
        self.low_education = hh.low_education
        self.remote = model.villages.remoteness[hh.village] >= np.quantile(
            model.villages.remoteness, 2 / 3)
        rng = model.streams.rng("setup.gini")
        self.gini_rows = (np.arange(hh.n) if hh.n <= GINI_SAMPLE
                          else np.sort(rng.choice(hh.n, GINI_SAMPLE, replace=False)))
        self.cum_exits = 0.0
        self.cum_returns = 0.0
        self.village_rows: list[pd.DataFrame] = []

    def record(self, exits: np.ndarray, returns: np.ndarray) -> None:
        m = self.model
        hh, people = m.households, m.households.size
        total_people = float(people.sum())
        up = 1.0 / m.scale  # sample -> region
        poor = hh.annual_income < m.line
        row: dict[str, float] = {
            "month": m.month, "date": m.label, "year": m.year, "poverty_line": m.line,
            "income_poverty_incidence": float(people[poor].sum() / total_people),
            "registered_poor_incidence": float(people[hh.registered].sum() / total_people),
            "income_pc": float(np.average(hh.annual_income, weights=people)),
            "income_pc_median": float(np.median(hh.annual_income)),
            "gini": gini(hh.annual_income[self.gini_rows], people[self.gini_rows]),
        }
        monthly_pc = np.average(hh.income, axis=0, weights=people) * 12.0
        for s in Source:
            row[f"income_{s.name.lower()}"] = float(monthly_pc[s])
        exit_people = float(people[exits].sum()) * up
        return_people = float(people[returns].sum()) * up
        self.cum_exits += exit_people
        self.cum_returns += return_people
        row |= {
            "exits": exit_people, "returns": return_people,
            "cumulative_exits": self.cum_exits, "cumulative_returns": self.cum_returns,
            "people_lifted": float(people[hh.state == PovertyState.EXITED].sum()) * up,
            "poor_people": float(people[poor].sum()) * up,
        }
        for state in PovertyState:
            row[f"share_{state.name.lower()}"] = float((hh.state == state).mean())
        aware = hh.understanding > 0
        for k, p in enumerate(PROGRAMMES):
            row[f"awareness_{p}"] = float(aware[:, k].mean())
            row[f"understanding_{p}"] = float(hh.understanding[:, k].mean())
            row[f"participation_{p}"] = float(hh.participating[:, k].mean())
            row[f"ever_joined_{p}"] = float((hh.joined[:, k] >= 0).mean())
        for name, n in m.contacts.items():
            row[f"contacts_{name}"] = n * up
        # Routine communication is paid from general administration, outside programme
        # budgets (the publicity instrument's extra contacts are inside its budget).
        row["communication_cost"] = sum(n * m.config.channels[name].cost
                                        for name, n in m.contacts.items()) * up
        # Targeting errors of the register against true income poverty.
        n_poor, n_reg = int(poor.sum()), int(hh.registered.sum())
        row["exclusion_error"] = float((poor & ~hh.registered).sum() / n_poor) if n_poor else 0.0
        row["inclusion_error"] = (float((hh.registered & ~poor).sum() / n_reg) if n_reg
                                  else 0.0)
        row["official_exits"] = m.instruments["registration"].official_exits * up
        total_spent = 0.0
        for key, inst in m.instruments.items():
            row[f"spending_{key}"] = inst.month_spent * up
            row[f"unspent_{key}"] = inst.remaining * up
            total_spent += inst.delivered + inst.overhead
        row["spending_total"] = m.month_spending * up
        row["cumulative_spending"] = total_spent * up
        row["cost_per_person_lifted"] = (total_spent * up / row["people_lifted"]
                                         if row["people_lifted"] > 0 else float("nan"))
        row["microcredit_defaults"] = m.instruments["microcredit"].defaults * up
        row |= {"smith_policy": m.smith.policy, "smith_agency": m.smith.agency,
                "smith_target": m.smith.target, "smith_environment": m.smith.environment,
                "cadre_formalism": float(m.cadres.formalism.mean()),
                "cadre_pressure": m.cadres.pressure,
                "road_coverage": float(m.villages.road.mean()),
                "internet_coverage": float(m.villages.internet.mean()),
                "cooperatives": float(m.cooperatives.n)}
        for group, mask in (("elderly", self.elderly), ("low_education", self.low_education),
                            ("remote", self.remote), ("registered", hh.registered),
                            ("not_registered", ~hh.registered)):
            w = people[mask]
            row[f"incidence_{group}"] = float(w[poor[mask]].sum() / w.sum()) if w.sum() else 0.0
        row |= m.actors.columns(m, row) | m.transition.columns(m, returns)  # issue 3
        self.rows.append(row)
        if m.label.endswith("-12") or m.month == m.config.months - 1:
            self._record_villages(poor)

    def _record_villages(self, poor: np.ndarray) -> None:
        m = self.model
        hh, v = m.households, m.villages
        people = np.bincount(hh.village, weights=hh.size, minlength=v.n)
        poor_people = np.bincount(hh.village, weights=hh.size * poor, minlength=v.n)
        income = np.bincount(hh.village, weights=hh.size * hh.annual_income, minlength=v.n)
        counts = np.bincount(hh.village, minlength=v.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            block = pd.DataFrame({
                "date": m.label, "year": m.year, "village": np.arange(v.n),
                "households": counts, "incidence": poor_people / people,
                "income_pc": income / people, "remoteness": v.remoteness,
                "road": v.road.copy(), "internet": v.internet.copy()})
        self.village_rows.append(block)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows)
        if len(df):
            real = df["income_pc"] / ((1 + self.model.config.economy.inflation)
                                      ** (df["month"] / 12.0))
            df["income_growth"] = real.pct_change(12)
        return df

    def villages(self) -> pd.DataFrame:
        return pd.concat(self.village_rows, ignore_index=True) if self.village_rows else (
            pd.DataFrame())
