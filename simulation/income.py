"""Household income by source, each month, and the smoothed annual income judged against
the poverty line.

Each source has its own driver (docs/model.md §3.3):
- farm income follows productivity, market access, village disasters, the price of the
  village's product (on the share of farm income it sells for, `price_exposure`) and
  the one common trend left (`economy.farm_growth`), and falls a little for each member who
  leaves farm work;
- wages follow the migrant wage series (`economy.labour_market`), the wage multiplier
  (training) and migrant employment (the 2020 epidemic); members who leave for migrant work
  send their contribution home (`simulation/labour.py`), which the NBS survey counts as
  transfer income (money sent or brought back by members working away), so it is kept
  there, not among the wages; the share who work near home and live there
  (`local_share`) earn the household's wage income;
- a persistent household shock (a yearly AR(1) in log income) moves both, so the same
  households stay poor or well off for a few years and churn around the line has a size;
- programmes, actors and transfers add to them after this (`simulation/transfers.py`, the
  instruments and actors). Illness costs a share of market income while it lasts.
Households save a share of income above the line and draw on savings to pay for illness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation import threads
from simulation.households import HouseholdTable, Source

if TYPE_CHECKING:
    from simulation.model import PovertyModel
    from simulation.scenario import LabourMarket


def market_income(model: PovertyModel) -> None:
    """Reset this month's income and set farm and wage income (per capita, monthly)."""
    hh, v = model.households, model.villages
    shocks = model.config.economy.shocks
    labour = model.config.economy.labour_market
    u = model.streams.uniform("shock.illness", model.month, hh.n)
    falls_ill = u < 1.0 - (1.0 - shocks.illness_rate) ** (1 / 12)
    hh.ill_left = np.where(falls_ill, shocks.illness_months,
                           np.maximum(hh.ill_left - 1, 0)).astype(np.int16)
    access = v.market_access / model.initial_market_access
    # A product's price fall cuts the share of farm income it sells for (price_exposure).
    price = 1.0 - shocks.price_exposure * (1.0 - model.product_shock[v.product])
    village_factor = (access * model.farm_factor * model.farm_growth_village
                      * price)[hh.village]
    terms = model.income_terms.update(hh, labour, model.start_wage)
    hh.income[:, Source.COOPERATIVE:].fill(0.0)  # farm and wage are overwritten below
    farm = hh.farm_base * hh.productivity * village_factor * terms.persistent
    if labour.farm_loss > 0:
        farm *= terms.farm_kept
    hh.income[:, Source.FARM] = farm
    wage_level = model.wage_index * model.migrant_employment
    hh.income[:, Source.WAGE] = hh.wage_base * hh.wage_multiplier * terms.persistent * wage_level
    if labour.local_share > 0:
        hh.income[:, Source.WAGE] += terms.local * wage_level
    # What the members who left for work send home (the transfers are added to it later).
    hh.income[:, Source.TRANSFER] = terms.migrant * wage_level


class IncomeTerms:
    """Per-household factors of market income that change only with the persistent shock,
    the migrants and the size (each January: `persistent_shock`, `labour.migrate`,
    demography), kept between months: `exp(shock)` and powers cost ~15 ms each at a
    million households, comparing the inputs with the copies they were computed from ~1 ms.
    """

    def __init__(self) -> None:
        self._inputs: tuple = ()
        self.persistent = self.farm_kept = self.migrant = self.local = np.empty(0)

    def update(self, hh: HouseholdTable, labour: LabourMarket, start_wage: float
               ) -> IncomeTerms:
        """The terms for the table's current columns (recomputed if any input changed)."""
        inputs = (labour.farm_loss, labour.contribution, labour.local_share, start_wage,
                  hh.income_shock, hh.migrants, hh.size)
        if len(self._inputs) != len(inputs) or not all(
                np.array_equal(a, b) for a, b in zip(inputs, self._inputs, strict=True)):
            self._inputs = tuple(np.copy(a) for a in inputs)
            self.persistent = np.exp(hh.income_shock)
            self.farm_kept = (1.0 - labour.farm_loss) ** hh.migrants
            earned = labour.contribution * start_wage * hh.migrants / hh.size
            self.local = labour.local_share * earned  # wages of members working near home
            self.migrant = earned - self.local  # sent home by members living away
        return self


def persistent_shock(model: PovertyModel) -> None:
    """Each January the persistent shock moves one year on its AR(1): it keeps `persistence`
    of itself and draws the rest, so its spread stays `economy.shocks.persistent_sd`."""
    from scipy.special import ndtri

    shocks, hh = model.config.economy.shocks, model.households
    if shocks.persistent_sd <= 0 or model.month == 0 or not model.label.endswith("-01"):
        return
    rho = shocks.persistence
    z = ndtri(np.clip(model.streams.uniform("shock.persistent", model.month, hh.n),
                      1e-12, 1 - 1e-12))
    sd = min(shocks.persistent_sd, 0.95 * model.config.population.income_sigma)
    hh.income_shock *= rho
    hh.income_shock += np.sqrt(1.0 - rho ** 2) * sd * z


def finalise(model: PovertyModel) -> None:
    """Apply illness costs (paid from savings first), save, and smooth annual income."""
    hh = model.households
    econ = model.config.economy
    ill = np.flatnonzero(hh.ill_left > 0)
    if len(ill):
        market = hh.income[ill, Source.FARM] + hh.income[ill, Source.WAGE]
        cost = econ.shocks.illness_cost_share * market * hh.size[ill]  # yuan this month
        from_savings = np.minimum(hh.savings[ill], cost)
        hh.savings[ill] -= from_savings
        kept = 1.0 - econ.shocks.illness_cost_share * np.where(cost > 0, 1 - from_savings
                                                               / np.maximum(cost, 1e-9), 0)
        hh.income[ill, Source.FARM] *= kept
        hh.income[ill, Source.WAGE] *= kept
    # Annual income is smoothed source by source; their sum is the smoothed total. Each
    # source is its own column: large runs smooth half of them in a background thread
    # while this one works out savings (the same arithmetic either way).
    rate = 1.0 / econ.smoothing_months
    later = (threads.pool("finalise").submit(_smooth, hh, SMOOTHED_LATER, rate)
             if threads.allowed(hh.n) else None)
    monthly = hh.income.sum(axis=1)
    model.income_now = monthly  # this month's per-capita income, for the recorder
    # The same arithmetic as the one-line formula, into one reused buffer (fewer passes
    # over fresh memory): savings += saving_rate * max(monthly - line/12, 0) * size.
    buf = monthly - model.line / 12.0
    np.maximum(buf, 0.0, out=buf)
    np.multiply(buf, econ.saving_rate, out=buf)
    np.multiply(buf, hh.size, out=buf)
    hh.savings += buf
    if later is None:
        _smooth(hh, tuple(Source), rate)
    else:
        _smooth(hh, tuple(s for s in Source if s not in SMOOTHED_LATER), rate)
        later.result()
    np.sum(hh.annual_by_source, axis=1, out=hh.annual_income)


#: Sources a large run smooths in a background thread (finalise).
SMOOTHED_LATER = (Source.COOPERATIVE, Source.BUSINESS, Source.PROPERTY)


def _smooth(hh: HouseholdTable, sources: tuple[Source, ...], rate: float) -> None:
    """annual += (income x 12 - annual) x rate for each source (one column each), in place."""
    buf = np.empty(hh.n)
    for s in sources:
        col = hh.annual_by_source[:, s]
        np.multiply(hh.income[:, s], 12.0, out=buf)
        buf -= col
        buf *= rate
        col += buf


def poverty_line(model: PovertyModel, year: int) -> float:
    """Official line for a year; after the table, the last value grows with inflation."""
    table = model.config.economy.poverty_line
    years = sorted(table)
    if year <= years[0]:
        return float(table[years[0]])
    if year in table:
        return float(table[year])
    below = max(y for y in years if y < year)
    if below == years[-1]:
        return float(table[below]) * (1 + model.config.economy.inflation) ** (year - below)
    return float(table[below])


def migrant_wage(model: PovertyModel, months: float) -> float:
    """Average migrant wage (yuan/month) `months` after the start: the series interpolated
    by year (mid-year values), then grown with `wage_growth_after` plus inflation."""
    lm, econ = model.config.economy.labour_market, model.config.economy
    start_year = int(model.config.start[:4]) + (int(model.config.start[5:7]) - 1) / 12
    t = start_year + months / 12.0
    years = sorted(lm.migrant_wage)
    last = years[-1]
    if t <= last + 0.5:
        return float(np.interp(t - 0.5, years, [lm.migrant_wage[y] for y in years]))
    growth = (1 + lm.wage_growth_after) * (1 + econ.inflation)
    return float(lm.migrant_wage[last]) * growth ** (t - last - 0.5)
