"""Baseline transfers, paid each month before the programmes act (scenario `transfers` and
`economy.labour_market.remittances`; docs/model.md §3.3).

- the residents' basic pension: every member of pension age draws the central minimum of
  the month plus the provincial top-up;
- farm subsidies: a yearly amount per person in farming households;
- ecological compensation: ranger posts given to households on the register file in the
  remoter half of villages, filled evenly until `full_by`, and forest compensation per person
  in the remotest third of villages;
- remittances: family members living away send a share of the migrant wage home;
- public welfare posts: registered households with labour still below the line are given a
  paid post (village cleaning, road care), the neediest first, filled evenly from `start` to
  `full_by`; the pay is wage income (an employment path, paid like a transfer).
Dibao and special assistance are instruments (`instruments/minimum_living.py`, the medical
relief in `instruments/guarantees.py`). What each transfer paid is kept in `spent` (yuan in
the sample, this month) for the recorder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.households import Source
from simulation.timeline import month_index, parse_month

if TYPE_CHECKING:
    from simulation.model import PovertyModel

TRANSFERS = ("pension", "farm_subsidy", "eco_compensation", "remittances", "public_posts")


class Transfers:
    """The baseline transfers of one run, and what they paid this month."""

    def __init__(self, model: PovertyModel):
        cfg, v = model.config.transfers, model.villages
        self.spent = dict.fromkeys(TRANSFERS, 0.0)
        start = model.config.start
        self.eco_window = _window(cfg.eco_compensation.start, cfg.eco_compensation.full_by, start)
        self.posts_window = _window(cfg.public_posts.start, cfg.public_posts.full_by, start)
        self.remote_half = v.remoteness >= np.median(v.remoteness)
        self.remote_third = v.remoteness >= np.quantile(v.remoteness, 2 / 3)
        # Households never change village: which live in those villages is fixed.
        village = model.households.village
        self.in_remote_half = self.remote_half[village]
        self.in_remote_third = self.remote_third[village]
        self.pension_months = sorted(cfg.pension.central_minimum)
        self.deadline_year = parse_month(model.config.cadres.deadline)[0]

    def pension(self, model: PovertyModel) -> float:
        """Monthly pension per member of pension age this month (yuan)."""
        p = model.config.transfers.pension
        due = [m for m in self.pension_months if m <= model.label]
        return p.central_minimum[due[-1]] * (1 + p.provincial_topup) if due else 0.0

    def pay(self, model: PovertyModel) -> None:
        hh, cfg = model.households, model.config.transfers
        transfer = hh.income[:, Source.TRANSFER]  # a column: added to in place
        self.spent = dict.fromkeys(TRANSFERS, 0.0)
        if cfg.pension.enabled:
            amount = self.pension(model)
            transfer += hh.elders * amount / hh.size
            self.spent["pension"] = float(hh.elders.sum()) * amount
        if cfg.farm_subsidy.enabled and cfg.farm_subsidy.per_capita > 0:
            farming = hh.farm_base > 0
            # x + 0.0 is x for the non-negative transfers: whole-column arithmetic, no mask.
            transfer += cfg.farm_subsidy.per_capita / 12.0 * farming
            self.spent["farm_subsidy"] = float(hh.people_in(farming)) * (
                cfg.farm_subsidy.per_capita / 12.0)
        filed = hh.registered | hh.left_register  # the register file, for both kinds of post
        if cfg.eco_compensation.enabled:
            self._eco(model, transfer, filed)
        if cfg.public_posts.enabled:
            self._posts(model, filed)
        rem = model.config.economy.labour_market.remittances
        if rem.share > 0:
            per_sender = rem.share * model.start_wage * model.wage_index
            transfer += hh.remitters * per_sender / hh.size
            self.spent["remittances"] = float(hh.remitters.sum()) * per_sender

    def _eco(self, model: PovertyModel, transfer: np.ndarray, filed: np.ndarray) -> None:
        hh, eco = model.households, model.config.transfers.eco_compensation
        if eco.forest_per_capita > 0:
            remote = self.in_remote_third
            transfer += eco.forest_per_capita / 12.0 * remote  # x + 0.0 is x (see pay)
            self.spent["eco_compensation"] = float(hh.people_in(remote)) * (
                eco.forest_per_capita / 12.0)
        due = _posts_due(model.month, self.eco_window, eco.posts_per_registered, filed)
        if due > np.count_nonzero(hh.ranger):  # posts to fill, in a random order
            u = model.streams.uniform("transfers.rangers", model.month, hh.n)
            can = filed & ~hh.ranger & (hh.labour > 0) & self.in_remote_half
            _fill(hh.ranger, due, can, u)
        pay = eco.ranger_pay / 12.0
        rangers = np.flatnonzero(hh.ranger)  # few: their rows only
        transfer[rangers] += pay / hh.size[rangers]
        self.spent["eco_compensation"] += float(len(rangers)) * pay

    def _posts(self, model: PovertyModel, filed: np.ndarray) -> None:
        hh, posts = model.households, model.config.transfers.public_posts
        due = _posts_due(model.month, self.posts_window, posts.posts_per_registered, filed)
        below = model.line
        push = posts.deadline_push and model.year == self.deadline_year
        if push:  # the last push: below the exit bar, not just the line
            below *= model.config.instruments.registration.exit_margin
        if push or due > np.count_nonzero(hh.public_post):
            # The neediest first: registered households with labour still below the line.
            can = (hh.registered & ~hh.public_post & (hh.labour > 0)
                   & (hh.annual_income < below))
            if push:  # a post for every one of them, beyond the quota
                due = max(due, np.count_nonzero(hh.public_post) + np.count_nonzero(can))
            _fill(hh.public_post, due, can, hh.annual_income)
        pay = posts.pay / 12.0
        holders = np.flatnonzero(hh.public_post)  # few: their rows only
        hh.income[holders, Source.WAGE] += pay / hh.size[holders]
        self.spent["public_posts"] = float(len(holders)) * pay


def _window(first: str, full: str, start: str) -> tuple[int, int]:
    """Months (from the run's start) when posts start to be filled and are all filled."""
    a = month_index(first, start)
    return a, max(month_index(full, start), a + 1)


def _posts_due(month: int, window: tuple[int, int], per_filed: float,
               filed: np.ndarray) -> int:
    """Posts that should be filled by this month: a share of the register file, filled
    evenly over the window."""
    first, full = window
    if month < first or per_filed <= 0:
        return 0
    done = min((month - first + 1) / (full - first), 1.0)
    return int(per_filed * np.count_nonzero(filed) * done + 0.5)


def _fill(holders: np.ndarray, due: int, can: np.ndarray, order: np.ndarray) -> None:
    """Give the posts still missing to the candidates first in `order` (in place)."""
    missing = due - int(np.count_nonzero(holders))
    if missing <= 0:
        return
    rows = np.flatnonzero(can)
    if len(rows):
        holders[rows[np.argsort(order[rows], kind="stable")[:missing]]] = True
