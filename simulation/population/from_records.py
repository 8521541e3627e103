"""The simulated population drawn from household records instead of from distributions.

With `population.microdata` set, `build_households` hands over to `population_from_records`:
the sample's N households are drawn with replacement, each record with probability
proportional to its raked weight (raking.py), so the sample keeps the records' joint
distribution (income with schooling, labour, illness, remoteness) and the region's margins.
What the records give is copied (size, labour, head age, schooling, chronic illness,
members of pension age, market income and its wage share, village and remoteness); what
they lack is drawn as `build_households` draws it (literacy, phones, attitudes, senders of
remittances, the persistent income shock), from the stream "setup.microdata".
"""

from __future__ import annotations

import numpy as np

from simulation.environment import Villages
from simulation.households import HouseholdTable, Source, persistent_part
from simulation.population.raking import RakeResult, raked
from simulation.population.records import Records
from simulation.scenario import Scenario
from simulation.streams import Streams

#: Lowest per-capita market income a record is given (yuan a year at start prices): the
#: model's incomes are log-normal-like and a zero or a net loss has no logarithm
#: (assumption; such households live on transfers, which the model pays itself).
INCOME_FLOOR = 100.0
#: Highest years of schooling in the model (build_households clips at 16).
EDUCATION_MAX = 16.0


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _villages_of(records: Records, picked: np.ndarray, villages: Villages, share_remote: float,
                 rng: np.random.Generator) -> np.ndarray:
    """A simulated village for each drawn household: remote records in the most remote
    villages (as many villages as the raked remote share); the simulated villages of each
    class shared out among its surveyed villages, so that the households of a surveyed
    village stay in its own group of villages (one village when the region has no more
    villages than the survey); village sizes vary as in build_households."""
    n_v = villages.n
    size_weight = rng.gamma(4.0, 1.0, n_v)
    pools = [np.arange(n_v)]
    remote = None if records.remote is None else records.remote[picked]
    if remote is not None:
        by_remoteness = np.argsort(-villages.remoteness, kind="stable")
        k = int(round(share_remote * n_v))
        k = min(max(k, 1 if remote.any() else 0), n_v - (0 if remote.all() else 1))
        pools = [by_remoteness[k:], by_remoteness[:k]]  # [not remote, remote]
    cls = np.zeros(len(picked), dtype=np.int64) if remote is None else remote.astype(np.int64)
    if records.village is None:
        cluster = np.zeros(len(picked), dtype=np.int64)  # one group per class
    else:
        cluster = np.unique(records.village[picked], return_inverse=True)[1]
    out = np.empty(len(picked), dtype=np.int32)
    for c, pool in enumerate(pools):
        rows = np.flatnonzero(cls == c)
        if not len(rows):
            continue
        surveyed, member = np.unique(cluster[rows], return_inverse=True)
        shuffled = rng.permutation(pool)
        if len(shuffled) >= len(surveyed):
            groups = np.array_split(shuffled, len(surveyed))
        else:
            groups = [shuffled[j % len(shuffled): j % len(shuffled) + 1]
                      for j in range(len(surveyed))]
        for j, group in enumerate(groups):
            mine = rows[member == j]
            p = size_weight[group] / size_weight[group].sum()
            out[mine] = rng.choice(group, size=len(mine), p=p)
    return out


def population_from_records(scenario: Scenario, villages: Villages,
                            streams: Streams) -> HouseholdTable:
    """`scenario.households` households drawn from the raked records of
    `scenario.population.microdata`, sorted by village like build_households' table."""
    pop, n = scenario.population, scenario.households
    records, rakes = raked(pop.microdata)
    return table_from_records(records, rakes, scenario, villages, streams, n)


def table_from_records(records: Records, rakes: RakeResult, scenario: Scenario,
                       villages: Villages, streams: Streams, n: int) -> HouseholdTable:
    """The household table of `n` draws from `records` with weights `rakes.weights`."""
    pop = scenario.population
    rng = streams.rng("setup.microdata")
    w = rakes.weights
    picked = rng.choice(records.n, size=n, p=w / w.sum())
    remote_share = (0.0 if records.remote is None else
                    float(w[records.remote].sum() / w.sum()))
    village = _villages_of(records, picked, villages, remote_share, rng)
    order = np.argsort(village, kind="stable")
    picked, village = picked[order], village[order].astype(np.int32)
    size = records.size[picked].astype(np.float32)
    labour = records.labour[picked].astype(np.float32)
    head_age = records.head_age[picked].astype(np.float32)
    elderly = head_age >= 60
    education = np.clip(records.education[picked], 0, EDUCATION_MAX).astype(np.float32)
    chronic = records.chronic[picked].astype(bool)
    # Incomes at the scenario's start prices.
    start_year = int(scenario.start[:4])
    deflate = (1.0 + scenario.economy.inflation) ** (start_year - records.year)
    market_all = np.maximum(records.market_pc * deflate, INCOME_FLOOR)
    annual = market_all[picked]
    if records.wage_pc is not None:
        raw = records.wage_pc[picked] / np.maximum(records.market_pc[picked], 1e-9)
        wage_share = np.where(records.market_pc[picked] > 0, np.clip(raw, 0.0, 0.95), 0.0)
    else:  # one market income column: the split drawn as build_households draws it
        wage_share = np.clip(rng.beta(2, 2, n) * 2 * pop.wage_share
                             * np.where(labour > 0, 1, 0.2) * np.where(elderly, 0.5, 1.0),
                             0, 0.95)
    draw = lambda d: rng.beta(d.a, d.b, n).astype(np.float32)  # noqa: E731
    literacy = (rng.beta(pop.internet_literacy.a, pop.internet_literacy.b, n)
                * np.where(elderly, 0.4, 1.0) * (0.5 + education / 16)).astype(np.float32)
    phone = rng.random(n) < pop.phone_ownership * np.where(elderly, 0.6, 1.1)
    risk_aversion = np.clip(draw(pop.risk_aversion) + 0.1 * elderly, 0, 1)
    motivation, trust, conceal = draw(pop.motivation), draw(pop.trust), draw(pop.conceal)
    if records.elders is not None:
        elders = records.elders[picked].astype(np.float32)
    else:
        spouse = (size >= 2) & (rng.random(n) < 0.6)
        grandparents = (size >= 3) & (rng.random(n) < pop.three_generation_share)
        elders = np.where(elderly, 1 + spouse, grandparents * (1 + (rng.random(n) < 0.5)))
        elders = np.minimum(elders, size).astype(np.float32)
    remittances = scenario.economy.labour_market.remittances
    remitters = rng.poisson(np.where(elderly, remittances.senders_elderly,
                                     remittances.senders_young)).astype(np.float32)
    # The persistent shock is part of each household's deviation from the records' mean
    # log income, as build_households splits its drawn deviation.
    log_all = np.log(market_all)
    mean_log = float(np.average(log_all, weights=w))
    sigma = float(np.sqrt(np.average((log_all - mean_log) ** 2, weights=w)))
    deviation = np.log(annual) - mean_log
    shock = persistent_part(deviation, max(sigma, 1e-6), scenario.economy.shocks.persistent_sd,
                            rng.standard_normal(n))
    monthly = annual / 12.0
    monthly_base = monthly * np.exp(-shock)
    median = weighted_median(market_all, w)
    capacity = np.clip(monthly_base * 12.0 / median, 0.2, 5.0)
    table = HouseholdTable(
        village=village, size=size, labour=labour, head_age=head_age, elders=elders,
        education=education, chronic=chronic, phone=phone, literacy=literacy,
        risk_aversion=risk_aversion.astype(np.float32), motivation=motivation, trust=trust,
        conceal=conceal, farm_base=monthly_base * (1 - wage_share),
        wage_base=monthly_base * wage_share, remitters=(remitters * capacity).astype(
            np.float32), income_shock=shock)
    table.annual_by_source[:, Source.FARM] = 12.0 * monthly * (1 - wage_share)
    table.annual_by_source[:, Source.WAGE] = 12.0 * monthly * wage_share
    table.annual_income[:] = 12.0 * monthly
    return table
