"""Social organizations and individuals (seed 002 §2.3, §3, §4.3, §4.4; 004 §4.4).

Would-be organizations register at a rate that falls with the registration threshold and
rises with publicity of exemplary models (002 §4.3, §4.4); administrative mobilization
registers them faster (002 §3.1). Registered organizations act as "resource collectors": the
share of the donors' giving potential they raise saturates with their number per household
and rises with tax deductions and publicity. Administrative drive follows assessment
pressure and fades after the 2020 deadline; voluntary drive is steady.

Each organization serves a few villages and spends part of its balance each month, with an
overhead and targeting that depend on whether its staff are professional or part-time
(002 §3.1). Help is material ("transfusion": a one-off transfer) or capacity-building
("hematopoietic": a lasting rise in wage income and farm productivity, and in motivation;
002 §3.2, §3.4). Uncoordinated organizations pick recipients independently, so their help
lands on households others already helped (duplication, 002 §3.3); coordinated help goes
to households not yet helped.

The organizations' state lives in arrays of this sector; `SocialOrganization` is a Mesa
agent viewing one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.agents.funds import ActorFund
from simulation.households import Source
from simulation.scenario import Mobilization
from simulation.timeline import calendar_month_of, month_index

if TYPE_CHECKING:
    from simulation.model import PovertyModel


def _monthly(yearly: float) -> float:
    return 1.0 - (1.0 - min(max(yearly, 0.0), 1.0)) ** (1.0 / 12.0)


class SocialSector:
    """All social organizations of the region, their fund and their help."""

    key = "social_organizations"

    def __init__(self, model: PovertyModel):
        cfg = model.config.actors.social_organizations
        self.cfg = cfg
        self.fund = ActorFund(model, cfg, self.key, raised=True)
        rep = model.config.region.households_represented
        self.per_10k = 1e4 / rep
        # Without donors (zero giving potential) no organization forms: nothing changes.
        self.potential = (int(round(cfg.potential_per_10k * rep / 1e4))
                          if cfg.enabled and self.fund.potential > 0 else 0)
        self.pace = self.fund.potential / max(self.fund.last - self.fund.first + 1, 1)
        self.deadline = month_index(model.config.cadres.deadline, model.config.start)
        self.professional = np.zeros(0, dtype=bool)
        self.villages = np.zeros((0, cfg.villages_per_org), dtype=np.int64)
        self.balance = np.zeros(0)
        self.raised_by = np.zeros(0)
        self.registered_month = np.zeros(0, dtype=np.int64)
        n = model.households.n
        self.helped_year = np.zeros(n, dtype=bool)  # material help this calendar year
        self.capacity_built = np.zeros(n, dtype=bool)
        self.raised = self.duplicated = self.material = self.capacity = 0.0  # this month

    @property
    def count(self) -> int:
        return len(self.balance)

    # ------------------------------------------------------------------ formation
    def _mobilization(self, model: PovertyModel, month: int) -> tuple[float, float]:
        """(formation multiplier, giving multiplier) for the mobilization style."""
        if self.cfg.mobilization == Mobilization.ADMINISTRATIVE:
            if month <= self.deadline:
                return 1.5, 0.5 + 0.5 * model.cadres.pressure
            return 0.5, 0.3
        return 1.0, 0.75

    def _register(self, model: PovertyModel, month: int, formation: float) -> None:
        cfg = self.cfg
        free = self.potential - self.count
        if free <= 0:
            return
        rng = model.streams.rng("social.formation", month)
        yearly = cfg.formation_rate * (1.0 - cfg.registration_threshold) * (
            1.0 + 0.5 * cfg.publicity) * formation
        new = int(rng.binomial(free, _monthly(yearly)))
        if new == 0:
            return
        prof = rng.random(new) < cfg.professional_share
        villages = rng.integers(0, model.villages.n, (new, cfg.villages_per_org))
        self.professional = np.concatenate([self.professional, prof])
        self.villages = np.concatenate([self.villages, villages])
        self.balance = np.concatenate([self.balance, np.zeros(new)])
        self.raised_by = np.concatenate([self.raised_by, np.zeros(new)])
        self.registered_month = np.concatenate([self.registered_month,
                                                np.full(new, month, dtype=np.int64)])
        for i in range(self.count - new, self.count):
            SocialOrganization(model, i)

    # ------------------------------------------------------------------ monthly
    def step(self, model: PovertyModel) -> None:
        self.raised = self.duplicated = self.material = self.capacity = 0.0
        month, cfg = model.month, self.cfg
        if calendar_month_of(model.config.start, month) == 1:
            self.helped_year[:] = False
        if not self.fund.is_open(month) or self.potential == 0:
            return
        formation, giving_drive = self._mobilization(model, month)
        self._register(model, month, formation)
        if self.count == 0:
            return
        weight = model.transition.weight(self.key, month)
        density = self.count * self.per_10k
        incentives = 0.4 + 0.3 * cfg.tax_deduction + 0.3 * cfg.publicity
        raised = (self.pace * weight * incentives * giving_drive
                  * (1.0 - np.exp(-density / cfg.saturation_per_10k)))
        if raised > 0:
            self.fund.receive(raised)
            self.balance += raised / self.count
            self.raised_by += raised / self.count
            self.raised = raised
        self._deliver(model, month)

    def _deliver(self, model: PovertyModel, month: int) -> None:
        cfg, hh = self.cfg, model.households
        spend = self.balance * cfg.spend_rate
        overhead = np.where(self.professional, cfg.overhead, cfg.part_time_overhead)
        help_money = spend * (1.0 - overhead)
        targeting = np.where(self.professional, cfg.professional_targeting,
                             cfg.part_time_targeting)
        k = cfg.villages_per_org
        per_village = np.repeat(help_money / k, k)
        village = self.villages.ravel()
        tgt = np.repeat(targeting, k)
        eligible = self.fund.eligible(model)
        planned = float(help_money.sum())
        if planned <= 0:
            return
        delivered = 0.0
        for kind, share, unit, done in (
                ("material", 1.0 - cfg.hematopoietic_share, cfg.material_package,
                 self.helped_year),
                ("capacity", cfg.hematopoietic_share, cfg.capacity_cost, self.capacity_built)):
            money = per_village * share
            nv = model.villages.n
            coord = np.bincount(village, money * tgt * cfg.coordination, nv) / unit
            indep = np.bincount(village, money * tgt * (1 - cfg.coordination), nv) / unit
            stray = np.bincount(village, money * (1 - tgt), nv) / unit
            rng = model.streams.rng(f"social.{kind}", month)
            counts = [self._round(x, rng) for x in (coord, indep, stray)]
            rows, dup = self._recipients(model, rng, eligible, done, *counts)
            if len(rows) == 0:
                continue
            cost = len(rows) * unit
            delivered += cost
            self.duplicated += float(dup.sum()) * unit
            if kind == "material":
                np.add.at(hh.income[:, Source.TRANSFER], rows, unit / hh.size[rows])
                self.material += cost
            else:
                new = np.unique(rows[~done[rows]])
                gain = cfg.capacity_gain
                hh.wage_multiplier[new] *= 1.0 + gain
                hh.productivity[new] *= 1.0 + gain
                hh.motivation[new] += gain * (1.0 - hh.motivation[new])
                self.capacity += cost
            done[rows] = True
        if delivered <= 0:
            return
        # Each organization pays its share of what was delivered, plus its own overhead.
        # Rounding whole packages may deliver a little more than planned this month; the
        # balances pay for it (a month spends at most its whole balance).
        used = np.minimum(spend * (delivered / planned), self.balance)
        for prof, share in ((True, cfg.overhead), (False, cfg.part_time_overhead)):
            mask = self.professional == prof
            self.fund.charge_with_overhead(float((used[mask] * (1 - share)).sum()), share)
        self.balance -= used

    @staticmethod
    def _round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        base = np.floor(x)
        return (base + (rng.random(len(x)) < x - base)).astype(np.int64)

    def _recipients(self, model: PovertyModel, rng: np.random.Generator,
                    eligible: np.ndarray, done: np.ndarray, coord: np.ndarray,
                    indep: np.ndarray, stray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows receiving one unit of help each (a row may repeat) and a duplication mask."""
        hh = model.households
        nv = model.villages.n
        out, dup = [], []
        # Independent picks: uniform among eligible households of the village, with
        # replacement, blind to who was already helped.
        for counts, pool in ((indep, eligible), (stray, np.ones(hh.n, dtype=bool))):
            rows = np.flatnonzero(pool)
            size = np.bincount(hh.village[rows], minlength=nv)
            start = np.concatenate([[0], np.cumsum(size)[:-1]])
            counts = np.where(size > 0, counts, 0)
            v = np.repeat(np.arange(nv), counts)
            if len(v):
                picked = rows[start[v] + (rng.random(len(v)) * size[v]).astype(np.int64)]
                first = np.zeros(len(picked), dtype=bool)
                _, idx = np.unique(picked, return_index=True)
                first[idx] = True
                out.append(picked)
                dup.append(done[picked] | ~first)
        # Coordinated picks: distinct eligible households not yet helped, in random order.
        rows = np.flatnonzero(eligible & ~done)
        if len(rows) and coord.any():
            u = rng.random(len(rows))
            order = np.lexsort((u, hh.village[rows]))
            rows = rows[order]
            size = np.bincount(hh.village[rows], minlength=nv)
            start = np.concatenate([[0], np.cumsum(size)[:-1]])
            rank = np.arange(len(rows)) - start[hh.village[rows]]
            picked = rows[rank < coord[hh.village[rows]]]
            already = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
            out.append(picked)
            dup.append(np.isin(picked, already))
        if not out:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return np.concatenate(out), np.concatenate(dup)


class SocialOrganization(mesa.Agent):
    """A registered social organization, viewing its row of the sector arrays."""

    def __init__(self, model: PovertyModel, row: int):
        super().__init__(model)
        self.row = row

    @property
    def _s(self) -> SocialSector:
        return self.model.actors.social

    @property
    def professional(self) -> bool:
        return bool(self._s.professional[self.row])

    @property
    def villages(self) -> list[int]:
        return [int(v) for v in self._s.villages[self.row]]

    @property
    def balance(self) -> float:
        """Money raised and not yet spent (sample yuan)."""
        return float(self._s.balance[self.row])

    @property
    def raised(self) -> float:
        return float(self._s.raised_by[self.row])
