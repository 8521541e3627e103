"""One ledger for every budget: policy instruments and the funds of actors beyond government.

Budgets are spent, not created: budget = delivered + overhead + unspent (`remaining`), and
each yuan delivered is booked in the month it is spent. The rollout rule (open between the
first and last month, active only with money left, routine pacing spreads what is left
evenly, campaigns front-load) is the same for instruments and actor funds; an actor fund
may set part of its money aside, so the rule works on `spendable`, not `remaining`.
"""

from __future__ import annotations

from simulation.scenario import Delivery, Instrument
from simulation.timeline import month_index


class BudgetWarning(UserWarning):
    """An entitlement's budget ran out before its end: people who qualified went unpaid."""


#: Share of the remaining budget a campaign may spend in one month (front-loading).
CAMPAIGN_RATE = 0.25
#: Central special poverty funds by year, bn yuan (recollection U; they sum to the 660.1 bn of
#: 2013-2020 in reference-figures.md, O): the weights of `ramp` pacing. Years outside the
#: table weigh as its nearest year.
SPECIAL_FUNDS = {2013: 39.4, 2014: 43.3, 2015: 46.1, 2016: 66.1, 2017: 86.1, 2018: 106.1,
                 2019: 126.1, 2020: 146.1}


def ramp_weights(start: str, months: int) -> list[float]:
    """Each month's weight under `ramp` pacing: its year's special funds."""
    first, lo, hi = int(start[:4]) * 12 + int(start[5:7]) - 1, min(SPECIAL_FUNDS), \
        max(SPECIAL_FUNDS)
    return [SPECIAL_FUNDS[min(max((first + m) // 12, lo), hi)] for m in range(months)]


class Ledger:
    """Rollout dates, budget pace and the books of one instrument or fund.

    `start` is the first simulated month (YYYY-MM) and `scale` the ratio of simulated to
    represented households (budgets are in real yuan for the represented region)."""

    #: An entitlement pays everyone who qualifies from whatever is left of its budget, not
    #: paced over the months (pacing would cut payments in the months of most need); its
    #: budget running out before its end is an artefact a run warns about.
    entitlement: bool = False

    def __init__(self, cfg: Instrument, start: str, scale: float):
        self.cfg = cfg
        self.first = month_index(cfg.start, start)
        self.last = month_index(cfg.end, start)
        self.budget = cfg.budget * scale if cfg.enabled else 0.0
        if cfg.delivery == Delivery.RAMP:  # weights to go from each month to the last
            w = ramp_weights(start, self.last + 1)
            self._ahead = [sum(w[m:]) for m in range(len(w))] + [0.0]
            self._weight = w
        self.remaining = self.budget
        self.delivered = 0.0
        self.overhead = 0.0
        self.month_spent = 0.0
        self.ran_out: int | None = None  # first open month that ended with no money left

    def is_open(self, month: int) -> bool:
        return self.cfg.enabled and self.first <= month <= self.last

    @property
    def spendable(self) -> float:
        """Money that may still be spent (all of `remaining`, unless a ledger sets some aside)."""
        return self.remaining

    def active(self, month: int) -> bool:
        """Open and with money left: only then does it act or get publicised."""
        return self.is_open(month) and self.spendable > 1e-9

    def allowance(self, month: int) -> float:
        """Money this month may use: routine spreads the rest evenly, campaigns front-load,
        demand-led instruments and entitlements may use all that is left."""
        if not self.active(month):
            return 0.0
        if self.entitlement or self.cfg.delivery == Delivery.DEMAND:
            return self.spendable
        even = self.spendable / (self.last - month + 1)
        if self.cfg.delivery == Delivery.CAMPAIGN:
            return min(self.spendable, max(even, CAMPAIGN_RATE * self.spendable))
        if self.cfg.delivery == Delivery.RAMP and month >= 0:
            return self.spendable * self._weight[month] / self._ahead[month]
        return even

    def usable(self, month: int) -> float:
        """What this month's allowance can deliver after administrative overhead."""
        return self.allowance(month) * (1.0 - self.cfg.overhead)

    def _book(self, total: float, delivered: float) -> None:
        self.remaining -= total
        self.delivered += delivered
        self.overhead += total - delivered
        self.month_spent += total

    def charge(self, delivered: float) -> None:
        """Book delivered spending and its configured overhead against the budget."""
        if delivered <= 0:
            return
        total = delivered / (1.0 - self.cfg.overhead)
        if total > self.remaining:  # rounding only: callers never plan beyond the allowance
            total = self.remaining
            delivered = total * (1.0 - self.cfg.overhead)
        self._book(total, delivered)

    def charge_with_overhead(self, delivered: float, overhead_share: float) -> None:
        """Book delivered money with an overhead share other than the configured one, never
        beyond what is spendable."""
        if delivered <= 0:
            return
        total = min(delivered / (1.0 - overhead_share), self.spendable)
        self._book(total, total * (1.0 - overhead_share))

    def begin_month(self) -> None:
        self.month_spent = 0.0

    def end_month(self, month: int) -> None:
        """Note the month the money ran out, if it did before the last month."""
        if (self.ran_out is None and self.budget > 0 and month < self.last
                and self.is_open(month) and self.spendable <= 1e-9 * self.budget):
            self.ran_out = month
