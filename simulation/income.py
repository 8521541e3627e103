"""Household income by source, each month, and the smoothed annual income judged against
the poverty line.

Each source has its own driver (docs/model.md §3.3):
- farm income follows productivity, market access, village disasters, the price of the
  village's product (on the share of farm income it sells for, `price_exposure`) and
  the one common trend left (`economy.farm_growth`), and falls a little for each member who
  leaves farm work;
- wages follow the migrant wage series (`economy.labour_market`), the wage multiplier
  (training) and migrant employment (the 2020 epidemic); members who leave for migrant work
  add their contribution (`simulation/labour.py`);
- a persistent household shock (a yearly AR(1) in log income) moves both, so the same
  households stay poor or well off for a few years and churn around the line has a size;
- programmes, actors and transfers add to them after this (`simulation/transfers.py`, the
  instruments and actors). Illness costs a share of market income while it lasts.
Households save a share of income above the line and draw on savings to pay for illness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source

if TYPE_CHECKING:
    from simulation.model import PovertyModel


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
    persistent = np.exp(hh.income_shock)
    hh.income.fill(0.0)
    farm = hh.farm_base * hh.productivity * village_factor * persistent
    if labour.farm_loss > 0:
        farm *= (1.0 - labour.farm_loss) ** hh.migrants
    hh.income[:, Source.FARM] = farm
    migrant = labour.contribution * model.start_wage * hh.migrants / hh.size
    hh.income[:, Source.WAGE] = ((hh.wage_base * hh.wage_multiplier * persistent + migrant)
                                 * model.wage_index * model.migrant_employment)


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
    monthly = hh.income.sum(axis=1)
    model.income_now = monthly  # this month's per-capita income, for the recorder
    hh.savings += econ.saving_rate * np.maximum(monthly - model.line / 12.0, 0.0) * hh.size
    # Annual income is smoothed source by source; their sum is the smoothed total.
    rate = 1.0 / econ.smoothing_months
    for s in Source:
        col = hh.annual_by_source[:, s]
        col += (hh.income[:, s] * 12.0 - col) * rate
    hh.annual_income[:] = hh.annual_by_source.sum(axis=1)


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
