"""Household income by source, each month, and the smoothed annual income judged against
the poverty line.

Farm income follows productivity, market access, village disasters and product prices;
wage income follows the wage multiplier (training) and migrant employment (the 2020
epidemic). Programmes add co-op, business and transfer income after this. Illness costs a
share of market income while it lasts. All incomes grow at the baseline real growth plus
inflation (reference-figures.md; economy section of the scenario).
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
    u = model.streams.uniform("shock.illness", model.month, hh.n)
    falls_ill = u < 1.0 - (1.0 - shocks.illness_rate) ** (1 / 12)
    hh.ill_left = np.where(falls_ill, shocks.illness_months,
                           np.maximum(hh.ill_left - 1, 0)).astype(np.int16)
    access = v.market_access / model.initial_market_access
    village_factor = (access * model.farm_factor
                      * model.price_factor[v.product])[hh.village]
    hh.income.fill(0.0)
    hh.income[:, Source.FARM] = hh.farm_base * hh.productivity * model.growth * village_factor
    hh.income[:, Source.WAGE] = (hh.wage_base * hh.wage_multiplier * model.growth
                                 * model.migrant_employment)


def finalise(model: PovertyModel) -> None:
    """Apply illness costs and update the smoothed annual income."""
    hh = model.households
    cost = model.config.economy.shocks.illness_cost_share
    ill = hh.ill_left > 0
    if ill.any():
        hh.income[ill, Source.FARM] *= 1.0 - cost
        hh.income[ill, Source.WAGE] *= 1.0 - cost
    total = hh.income.sum(axis=1) * 12.0
    hh.annual_income += (total - hh.annual_income) / model.config.economy.smoothing_months


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
