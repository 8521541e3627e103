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

from simulation import demography, threads
from simulation.households import Deficit, HouseholdTable, PovertyState, Source
from simulation.scenario import PROGRAMMES

if TYPE_CHECKING:
    from simulation.model import PovertyModel

GINI_SAMPLE = 50_000  # larger runs estimate Gini from a fixed random sample of households
#: Income columns of the monthly row (Recorder._income_columns), in their order there.
INCOME_COLUMNS = ("income_pc", "income_pc_median", "gini",
                  *(f"income_{s.name.lower()}" for s in Source), "income_pc_current",
                  "income_transfer_share")
#: ... and the two that come after the deficits.
FILE_COLUMNS = ("income_pc_registered", "income_pc_ever_registered")


def gini(values: np.ndarray, weights: np.ndarray, ranked: np.ndarray | None = None,
         order: np.ndarray | None = None) -> float:
    """Weighted Gini coefficient (people-weighted, negative incomes clipped at zero).

    `order` and `ranked` (argsort of `values` and the sorted values), when given, save the
    sort (`sorted_sample`)."""
    if order is None or ranked is None:
        ranked, order = sorted_sample(values)
    # Without ties every sort gives the stable order; the faster one is checked for ties.
    if len(ranked) > 1 and np.any(ranked[1:] == ranked[:-1]):
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


def sorted_sample(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`values` sorted, and the order (argsort) that sorts them."""
    order = np.argsort(values)
    return values[order], order


def median(values: np.ndarray, sample: np.ndarray, ranked: np.ndarray | None = None) -> float:
    """np.median(values), found among the few values near a sample's median (same value).

    For large arrays a fixed random sample brackets the median; only the values inside the
    bracket are partitioned. If the bracket misses (rare), it falls back to np.median.
    `ranked`: `values[sample]` sorted, when already at hand (the bracket is only compared
    with, so any sort of it gives the same result).
    """
    n = len(values)
    if n < 100_000 or len(sample) < 1_000:
        return float(np.median(values))
    s = np.sort(values[sample]) if ranked is None else ranked
    half, spread = len(s) // 2, int(4 * np.sqrt(len(s))) + 1
    lo, hi = s[max(half - spread, 0)], s[min(half + spread, len(s) - 1)]
    k_lo, k_hi = (n - 1) // 2, n // 2  # ranks of the middle value(s)
    below = np.count_nonzero(values < lo)
    mid = values[(values >= lo) & (values <= hi)]
    above = np.count_nonzero(values > hi)
    if not (below <= k_lo and below + len(mid) > k_hi and below + len(mid) + above == n):
        return float(np.median(values))
    part = np.partition(mid, [k_lo - below, k_hi - below])
    middle = part[[k_lo - below, k_hi - below]]
    return float(middle[0] if k_lo == k_hi else np.mean(middle))


class _PeopleSums:
    """People (sum of household size) over combinations of masks, as `people[mask].sum()`.

    While household sizes are exact in float32 sums (`HouseholdTable.people_exact`), the
    sum is the same in any order: one weighted bincount over a code of all the masks then
    gives every such sum at once. Otherwise it sums masks directly.
    """

    def __init__(self, hh: HouseholdTable, masks: dict[str, np.ndarray],
                 people64: np.ndarray):
        self.hh, self.masks, self.names = hh, masks, list(masks)
        self.exact = len(masks) <= 16 and hh.people_exact
        if self.exact:
            # Eight masks to a byte (half the memory traffic of 16-bit codes), then one code.
            low, high, bits = (np.zeros(hh.n, dtype=np.uint8), np.zeros(hh.n, dtype=np.uint8),
                               np.empty(hh.n, dtype=np.uint8))
            for bit, mask in enumerate(masks.values()):
                byte = low if bit < 8 else high
                np.left_shift(np.asarray(mask, dtype=bool).view(np.uint8), np.uint8(bit % 8),
                              out=bits)
                byte |= bits
            code = high.astype(np.uint16)
            code <<= np.uint16(8)
            code |= low
            # float64 weights: bincount's own conversion of the sizes, made once a year
            self.sums = np.bincount(code, weights=people64, minlength=1 << len(masks))
            self.codes = np.arange(len(self.sums))

    def __call__(self, **want: bool) -> np.float32:
        if not self.exact:
            sel = np.ones(self.hh.n, dtype=bool)
            for name, value in want.items():
                sel &= self.masks[name] if value else ~self.masks[name]
            return self.hh.people_in(sel)
        keep = np.ones(len(self.sums), dtype=bool)
        for name, value in want.items():
            keep &= ((self.codes >> self.names.index(name)) & 1) == int(value)
        return np.float32(self.sums[keep].sum())


class YearIncome:
    """Each household's per-capita income over the last 12 months, as the NBS household
    survey measures it: in December, the calendar year's income, which the survey's
    incidence compares with that year's line (reference-figures.md, national series). The
    smoothed annual income households act on lags and weighs recent months more.

    Months before the run are filled with the start's annual income (a twelfth each)."""

    def __init__(self, annual_income: np.ndarray):
        self.months = np.repeat((annual_income / 12.0)[:, None], 12, axis=1)
        self.total = self.months.sum(axis=1)
        self.slot = 0

    def add(self, month_income: np.ndarray) -> np.ndarray:
        """Put this month's income in place of the oldest month's; the 12-month totals."""
        old = self.months[:, self.slot]
        self.total -= old
        self.total += month_income
        old[:] = month_income
        self.slot = (self.slot + 1) % 12
        return self.total


class Recorder:
    def __init__(self, model: PovertyModel):
        self.model = model
        self.rows: list[dict[str, float]] = []
        hh = model.households
        self.refresh_people()
        self.low_education = hh.low_education
        self.remote = model.villages.remoteness[hh.village] >= np.quantile(
            model.villages.remoteness, 2 / 3)
        rng = model.streams.rng("setup.gini")
        self.gini_rows = (np.arange(hh.n) if hh.n <= GINI_SAMPLE
                          else np.sort(rng.choice(hh.n, GINI_SAMPLE, replace=False)))
        self.cum_exits = 0.0
        self.cum_returns = 0.0
        self.year_income = YearIncome(hh.annual_income)
        self.village_rows: list[dict[str, np.ndarray]] = []

    def refresh_people(self) -> None:
        """Copies of what changes only with the households' composition (demography, each
        January): the elderly-headed mask and the sizes as float64 weights."""
        hh = self.model.households
        self.elderly = hh.elderly
        self._people64 = hh.size.astype(np.float64)

    def people64(self) -> np.ndarray:
        """Household sizes as float64 (the values of `size.astype(np.float64)`)."""
        return self._people64

    def record(self, poor: np.ndarray, exits: np.ndarray, returns: np.ndarray) -> None:
        """Append this month's row; `poor`: households below the line now."""
        m = self.model
        hh, people = m.households, m.households.size
        total_people = float(people.sum())
        up = 1.0 / m.scale  # sample -> region
        n = hh.n
        # The income columns read state that nothing changes while the month is recorded:
        # large runs work them out in a background thread meanwhile (the same values).
        later = (threads.pool("metrics").submit(self._income_columns) if threads.allowed(n)
                 else None)
        survey_poor = self.year_income.add(m.income_now) < m.line
        sums = _PeopleSums(hh, {
            "poor": poor, "survey_poor": survey_poor, "registered": hh.registered,
            "elderly": self.elderly,
            "low_education": self.low_education, "remote": self.remote, "exits": exits,
            "returns": returns, "exited": hh.state == PovertyState.EXITED,
            "chronic": hh.chronic,
            **{f"deficit_{d.name.lower()}": hh.deficit[:, d] for d in Deficit}},
            self.people64())
        poor_people = sums(poor=True)
        row: dict[str, float] = {
            "month": m.month, "date": m.label, "year": m.year, "poverty_line": m.line,
            "income_poverty_incidence": float(poor_people / total_people),
            # The household survey's measure: the last 12 months' income (in December the
            # calendar year's) below the line (YearIncome).
            "survey_poverty_incidence": float(sums(survey_poor=True) / total_people),
            "registered_poor_incidence": float(sums(registered=True) / total_people),
            **dict.fromkeys(INCOME_COLUMNS),  # worked out apart (below), in this order
        }
        for name, spent in m.transfers.spent.items():  # entitlements, outside the budgets
            row[f"paid_{name}"] = spent * up
        row["migrants"] = float(hh.migrants.sum()) * up
        exit_people = float(sums(exits=True)) * up
        return_people = float(sums(returns=True)) * up
        self.cum_exits += exit_people
        self.cum_returns += return_people
        row |= {
            "exits": exit_people, "returns": return_people,
            "cumulative_exits": self.cum_exits, "cumulative_returns": self.cum_returns,
            "people_lifted": float(sums(exited=True)) * up,
            "poor_people": float(poor_people) * up,
        }
        # Shares as counts / n: the same values as boolean means, without float temporaries.
        for state in PovertyState:  # a count per state is cheaper than bincount's int64 copy
            row[f"share_{state.name.lower()}"] = float(np.count_nonzero(hh.state == state) / n)
        for k, p in enumerate(PROGRAMMES):
            understanding = hh.understanding[:, k]
            row[f"awareness_{p}"] = float(np.count_nonzero(understanding > 0) / n)
            row[f"understanding_{p}"] = float(understanding.mean())
            row[f"participation_{p}"] = float(np.count_nonzero(hh.participating[:, k]) / n)
            row[f"ever_joined_{p}"] = float(np.count_nonzero(hh.joined[:, k] >= 0) / n)
        for name, n in m.contacts.items():
            row[f"contacts_{name}"] = n * up
        # Routine communication is paid from general administration, outside programme
        # budgets (the publicity instrument's extra contacts are inside its budget).
        row["communication_cost"] = sum(n * m.config.channels[name].cost
                                        for name, n in m.contacts.items()) * up
        # Targeting errors of the register against true income poverty.
        n_poor, n_reg = np.count_nonzero(poor), np.count_nonzero(hh.registered)
        row["exclusion_error"] = (float(np.count_nonzero(poor & ~hh.registered) / n_poor)
                                  if n_poor else 0.0)
        row["inclusion_error"] = (float(np.count_nonzero(hh.registered & ~poor) / n_reg)
                                  if n_reg else 0.0)
        reg = m.instruments["registration"]
        row["official_exits"] = reg.official_exits * up
        row["register_entries"] = reg.entries * up
        # Returns to poverty on the register basis: re-entries at a review, and households
        # that had left the register found back below the line by the follow-up (2016-2020)
        # or the dynamic monitoring after it.
        row["register_returns"] = (reg.returns + m.instruments["monitoring"].returns
                                   + m.instruments["followup"].returns) * up
        row["paper_exits"] = reg.paper_exits * up
        row["wrongful_exits"] = reg.wrongful_exits * up
        for name in ("income", "education", "medical", "housing", "water", "all"):
            row[f"exit_criterion_{name}"] = reg.meeting.get(name, float("nan"))
        for d in Deficit:
            row[f"deficit_{d.name.lower()}"] = float(sums(**{f"deficit_{d.name.lower()}": True})
                                                   / total_people)
        row |= dict.fromkeys(FILE_COLUMNS)
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
        for group, key, value in (("elderly", "elderly", True),
                                  ("low_education", "low_education", True),
                                  ("remote", "remote", True), ("registered", "registered", True),
                                  ("not_registered", "registered", False)):
            w = sums(**{key: value})
            row[f"incidence_{group}"] = (float(sums(**{key: value, "poor": True}) / w) if w
                                         else 0.0)
        row |= m.actors.columns(m, row) | m.transition.columns(m, returns)  # issue 3
        row |= demography.columns(m, poor, sums)  # households that change (demography)
        # The income columns fill the keys set aside above, in their places.
        row |= later.result() if later is not None else self._income_columns()
        self.rows.append(row)
        if m.label.endswith("-12") or m.month == m.config.months - 1:
            self._record_villages(poor)

    def _income_columns(self) -> dict[str, float]:
        """People-weighted income figures: mean, median, Gini and mean by source of the
        smoothed annual income, this month's income, and the means of registered and filed
        households (INCOME_COLUMNS and FILE_COLUMNS)."""
        m = self.model
        hh, people = m.households, m.households.size
        people64 = self.people64()
        scl = people.sum(dtype=np.float64)
        weighted = np.empty(hh.n)  # one buffer for the products (each summed as numpy sums)
        # The Gini's sort of the sample also brackets the median (the same sample).
        sample = hh.annual_income[self.gini_rows]
        ranked, order = sorted_sample(sample)
        row: dict[str, float] = {
            # np.average's arithmetic (float64 products, summed; over the float64 sum of
            # weights) in the reused buffer
            "income_pc": float(np.multiply(hh.annual_income, people64, out=weighted).sum()
                               / scl),
            "income_pc_median": median(hh.annual_income, self.gini_rows, ranked),
            "gini": gini(sample, people[self.gini_rows], ranked, order),
        }
        # People-weighted mean income by source, one source (column) at a time; numpy sums
        # each column pairwise, as it sums income_pc.
        # Smoothed annual income source by source: the columns sum to income_pc.
        by_source = np.array([np.multiply(hh.annual_by_source[:, s], people64,
                                          out=weighted).sum() for s in Source]) / scl
        for s in Source:
            row[f"income_{s.name.lower()}"] = float(by_source[s])
        row["income_pc_current"] = float(np.dot(m.income_now, people64) / scl * 12.0)
        row["income_transfer_share"] = (float(by_source[Source.TRANSFER] / by_source.sum())
                                        if by_source.sum() > 0 else float("nan"))
        reg_rows = np.flatnonzero(hh.registered)  # integer rows: faster than a mask, same
        reg_people = people[reg_rows]
        row["income_pc_registered"] = (float(np.average(hh.annual_income[reg_rows],
                                                        weights=reg_people))
                                       if reg_people.sum() else float("nan"))
        # The register file: households registered now or exited from the register (the
        # basis of the published registered-poor income series, reference-figures.md).
        filed = np.flatnonzero(hh.registered | hh.left_register)
        row["income_pc_ever_registered"] = (
            float(np.average(hh.annual_income[filed], weights=people[filed]))
            if len(filed) else float("nan"))
        return row

    def _record_villages(self, poor: np.ndarray) -> None:
        m = self.model
        hh, v = m.households, m.villages
        people = m.village_people
        poor_people = np.bincount(hh.village, weights=hh.size * poor, minlength=v.n)
        income = np.bincount(hh.village, weights=hh.size * hh.annual_income, minlength=v.n)
        counts = m.village_households
        with np.errstate(invalid="ignore", divide="ignore"):
            block = {  # columns of arrays; one DataFrame is built at the end
                "date": np.full(v.n, m.label, dtype=object), "year": np.full(v.n, m.year),
                "village": np.arange(v.n), "households": counts,
                "incidence": poor_people / people, "income_pc": income / people,
                "remoteness": v.remoteness.copy(), "road": v.road.copy(),
                "internet": v.internet.copy()}
        self.village_rows.append(block)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows)
        if len(df):
            real = df["income_pc"] / ((1 + self.model.config.economy.inflation)
                                      ** (df["month"] / 12.0))
            df["income_growth"] = real.pct_change(12)
        return df

    def villages(self) -> pd.DataFrame:
        if not self.village_rows:
            return pd.DataFrame()
        return pd.DataFrame({key: np.concatenate([b[key] for b in self.village_rows])
                             for key in self.village_rows[0]})
