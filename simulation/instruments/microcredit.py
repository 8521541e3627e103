"""Poverty micro-credit: up to 50,000 yuan for 3 years, interest subsidised.

Banks lend; the budget pays the interest subsidy for each loan's term up front and
compensates banks for defaults while money lasts (risk compensation fund). A borrower
invests the loan in productive capital that earns a return exposed to the village
product's price, and repays the principal in equal monthly instalments out of savings;
borrowers who cannot meet an instalment, or who are poor when a shock hits, default more
often
(seed 002 §2; reference-figures.md: take-up 2% to 27%, overdue 0.26% to 37%).

Loans are made on demand (the budget is not paced in yearly allotments) to households that
banks and cadres have credit-rated; rating reaches every village over `rating_months` from
the start, so take-up rises over about two years, as it did in 2014-2016.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.instruments.takeup import TakeUp

if TYPE_CHECKING:
    from simulation.model import PovertyModel

DEPRECIATION = 0.005  # capital lost per month (assumption: ~6% a year)


class Microcredit(TakeUp):
    key = "microcredit"

    def __init__(self, model: PovertyModel, cfg):
        super().__init__(model, cfg)
        self.defaults = 0
        self.bank_losses = 0.0
        # Each household's place in the rating order (0 first, 1 last), fixed at set-up.
        self.rating_place = model.streams.rng("microcredit.rating").random(model.households.n)

    def can_use(self, model: PovertyModel) -> np.ndarray:
        hh = model.households
        return (hh.labour > 0) & (hh.head_age < 65) & (hh.loan_left == 0) & self.rated(model)

    def rated(self, model: PovertyModel) -> np.ndarray:
        """Households credit-rated by this month: each has a fixed place in the rating order."""
        return self.rating_place < (model.month - self.first + 1) / self.cfg.rating_months

    def ability(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        hh = self.households(model, rows)
        return (0.4 * np.minimum(hh.education / 9.0, 1.0) + 0.3 * (hh.labour > 1)
                + 0.3 * ~hh.elderly)

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        c = self.cfg
        n = model.households.n if rows is None else len(rows)
        return self.relative(model, np.full(n, c.loan_size * c.investment_return), rows)

    def place_cost(self, model: PovertyModel) -> float:
        c = self.cfg
        return c.loan_size * c.interest_rate * c.term_months / 12.0

    def enrol(self, model: PovertyModel, rows: np.ndarray) -> None:
        hh = model.households
        hh.loan[rows] = self.cfg.loan_size
        hh.loan_left[rows] = self.cfg.term_months
        hh.capital[rows] += self.cfg.loan_size

    def deliver(self, model: PovertyModel) -> None:
        hh, c, month = model.households, self.cfg, model.month
        self.defaults = 0
        u = model.streams.uniform("microcredit.default", month, hh.n)
        has = np.flatnonzero(hh.capital > 0)  # rows (sorted): the same order as a mask
        if len(has):
            price = model.product_shock[model.villages.product[hh.village[has]]]
            hh.income[has, Source.BUSINESS] += (hh.capital[has] * c.investment_return / 12.0
                                                * price / hh.size[has])
            hh.capital[has] *= 1.0 - DEPRECIATION
        borrowers = hh.loan_left > 0
        if not borrowers.any():
            return
        instalment = c.loan_size / c.term_months
        # Stress and default are judged for borrowers only (rows), the same rule per household.
        rows = np.flatnonzero(borrowers)
        short = hh.savings[rows] < instalment
        stressed = short | ((hh.annual_income[rows] < model.line) & ((hh.ill_left[rows] > 0) | (
            model.farm_factor[hh.village[rows]] < 1.0)))
        p_default = c.default_rate / 12.0 * np.where(stressed, 4.0, 1.0)
        default = np.zeros(hh.n, dtype=bool)
        default[rows[u[rows] < p_default]] = True
        if default.any():
            owed = float(hh.loan[default].sum())
            covered = min(owed, self.remaining * (1.0 - c.overhead)) if self.is_open(month) else 0
            self.charge(covered)
            self.bank_losses += owed - covered
            self.defaults = int(default.sum())
            hh.capital[default] *= 0.5
            hh.loan[default] = 0.0
            hh.loan_left[default] = 0
        paying = np.flatnonzero(hh.loan_left > 0)
        paid = np.minimum(np.minimum(hh.savings[paying], instalment), hh.loan[paying])
        hh.savings[paying] -= paid  # a shortfall is carried as arrears in the balance
        hh.loan[paying] = np.maximum(hh.loan[paying] - paid, 0.0)
        hh.loan_left[paying] -= 1
        hh.participating[:, self.k] = hh.loan_left > 0
