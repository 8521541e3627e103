"""Household income by source, each month, and the smoothed annual income judged against
the poverty line.

Farm income follows productivity, market access, village disasters and product prices;
wage income follows the wage multiplier (training) and migrant employment (the 2020
epidemic). Programmes and actors add to them after this (co-op, business and transfer
income; wages from firms' jobs and placements; farm sales to partner cities). Illness costs a
share of market income while it lasts. All incomes grow at the baseline real growth plus
inflation (reference-figures.md; economy section of the scenario). Households save a share
of income above the line and draw on savings to pay for illness, so a shock hurts those
without savings most.
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
                      * model.product_shock[v.product])[hh.village]
    hh.income.fill(0.0)
    hh.income[:, Source.FARM] = hh.farm_base * hh.productivity * model.growth * village_factor
    hh.income[:, Source.WAGE] = (hh.wage_base * hh.wage_multiplier * model.growth
                                 * model.migrant_employment)


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
    hh.savings += econ.saving_rate * np.maximum(monthly - model.line / 12.0, 0.0) * hh.size
    hh.annual_income += (monthly * 12.0 - hh.annual_income) / econ.smoothing_months


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
