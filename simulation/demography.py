"""Households that change: once a year (each January) heads and members age, workers retire,
members die, are born, come of age or leave, and chronic illness rises with age.

Why: after 2020 the remaining poor are mostly the elderly, the sick and the disabled (the
issue; no seed states it), and young and middle-aged labour leaves the villages (003 l.149);
a population frozen at its 2014 composition cannot show ageing making them the hard core of
the poor.

The table stores the head's age, the number of members of pension age (`elders`, 60+, head
included), of workers (`labour`) and the size, but not each member's age, so every event is
drawn from the household's composition (`population.demography` in the scenario):

- the head ages one year; a head turning 60 joins `elders`, with a spouse of about the same
  age (`spouse_share`); other members under 60 turn 60 at `member_pension_rate` each;
- a working member turning 60 retires with probability `retirement` (the chance that the new
  elder worked is the household's workers per member under 60); elderly-headed households
  lose a worker to old age at `elder_retirement`;
- members not working and under 60 (children, the sick) start work at `coming_of_age`;
- working members other than the head leave (marriage, moving away) at `leave_rate`;
- elders die with a Gompertz probability of age (`mortality_60`, `mortality_growth`; elders
  of a household with a younger head are taken as `grandparent_gap` years older than it),
  younger members at `mortality_young`; the dead one is the head with probability 1/(members
  of their age group). A dead elderly head is succeeded by a younger adult (`successor_gap`
  years younger) if a member under 60 works or no elder is left, otherwise by the remaining
  elder (same age); if the household was chronically ill, the dead one was the ill member
  with probability 1 / members;
- when the only member dies, an heir takes over the house and land: the row becomes a
  one-person household `successor_gap` years younger, working, without illness
  (the sample is fixed, so rows are not dissolved; this keeps sizes >= 1 and avoids
  immortal single elders);
- an elderly head with a working member under 60 hands headship to them at `handover_rate`
  (the old head stays, as an elder member): without it every row would age as a cohort,
  since the fixed sample has no new households forming;
- households whose head is under `birth_head_age` gain a child at `birth_rate`;
- each member of pension age becomes chronically ill at `chronic_onset_elder` (households
  without elders at `chronic_onset_young`), cutting market income by `chronic_income_cut`.

At most one event of each kind happens to a household in a year (probabilities are
1 - (1 - rate)^members at risk): rates are small, so this loses little.

Income stays consistent with the members: `farm_base` and `wage_base` are per-capita monthly
amounts at start prices, so they are turned into household totals, changed, and divided by
the new size. Wages follow workers (each worker earns an equal share; a worker in a household
that had none earns the region's mean wage per worker); farm income follows labour weakly
(`farm_labour_weight`). The smoothed annual income is re-expressed per capita of the new
size; the change in market income then enters it through the usual smoothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from simulation import threads
from simulation.households import HouseholdTable, sums_exactly
from simulation.scenario import Demography
from simulation.streams import Streams

if TYPE_CHECKING:
    from simulation.model import PovertyModel

#: The random streams of this module (declared in simulation.streams.MECHANISMS).
STREAMS: tuple[str, ...] = tuple(f"demography.{s}" for s in (
    "pension", "retire", "work", "leave", "death", "who", "ill", "handover", "birth",
    "chronic"))

PENSION_AGE = 60.0
MAX_HEAD_AGE = 100.0


@dataclass
class YearEvents:
    """People (in the sample) affected by each kind of event in one year."""

    deaths: float = 0.0
    births: float = 0.0
    leavers: float = 0.0
    retired: float = 0.0
    started_work: float = 0.0
    new_elders: float = 0.0
    new_chronic: float = 0.0
    heirs: float = 0.0
    handovers: float = 0.0


def _at_least_one(rate: float, at_risk: np.ndarray) -> np.ndarray:
    """Probability that at least one of `at_risk` members has an event of yearly `rate`."""
    return -np.expm1(np.log1p(-min(rate, 1 - 1e-12)) * np.maximum(at_risk, 0.0))


def mortality(d: Demography, age: np.ndarray) -> np.ndarray:
    """Yearly death probability of a person of pension age (Gompertz, capped at 0.6)."""
    return np.minimum(d.mortality_60 * np.exp(d.mortality_growth * (age - PENSION_AGE)), 0.6)


def age_households(hh: HouseholdTable, d: Demography, streams: Streams,
                   month: int) -> YearEvents:
    """One year of demography for every household, in place (vectorised, no loops).

    Every rule is per household but for the region's mean wage per worker, so large tables
    are done in two blocks of rows side by side (`simulation.threads`; numpy releases the
    GIL): the same values as one block, and the events' counts add up exactly.
    """
    n = hh.n
    if n == 0:
        return YearEvents()
    draws = {name.removeprefix("demography."): streams.uniform(name, month, n)
             for name in STREAMS}
    total_labour = float(hh.labour.astype(np.float64).sum())
    wage_total = float((hh.wage_base * hh.size.astype(np.float64)).sum())
    mean_wage = wage_total / total_labour if total_labour > 0 else 0.0
    edges = [0, n // 2, n] if threads.allowed(n) else [0, n]
    blocks = [(_Rows(hh, lo, hi), {k: u[lo:hi] for k, u in draws.items()})
              for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    if len(blocks) > 1:
        later = threads.pool("demography").submit(_age_rows, *blocks[1], d, mean_wage)
        events = [_age_rows(*blocks[0], d, mean_wage), later.result()]
    else:
        events = [_age_rows(*blocks[0], d, mean_wage)]
    hh.people_exact = sums_exactly(hh.size)
    return YearEvents(**{f.name: sum(getattr(e, f.name) for e in events)
                         for f in fields(YearEvents)})


class _Rows:
    """The household columns demography reads and writes, for rows lo:hi (views: writes
    go to the table)."""

    def __init__(self, hh: HouseholdTable, lo: int, hi: int):
        self.n = hi - lo
        for name in ("size", "labour", "elders", "head_age", "chronic", "farm_base",
                     "wage_base", "migrants", "annual_by_source", "annual_income"):
            setattr(self, name, getattr(hh, name)[lo:hi])


def _age_rows(hh: _Rows, draws: dict[str, np.ndarray], d: Demography,
              mean_wage: float) -> YearEvents:
    """One year of demography for some rows, in place; `draws`: their uniforms."""
    size0 = hh.size.astype(np.float64)
    labour0 = hh.labour.astype(np.float64)
    farm = hh.farm_base * size0  # household totals, monthly at start prices
    wage = hh.wage_base * size0
    chronic = hh.chronic.copy()
    age0 = hh.head_age.astype(np.float64)
    age = np.minimum(age0 + 1.0, MAX_HEAD_AGE)
    size, labour = size0.copy(), labour0.copy()
    elders = np.minimum(hh.elders.astype(np.float64), size)
    ev = YearEvents()

    # Ageing: the head, a spouse of about the same age, other members under 60.
    head_turns = (age0 < PENSION_AGE) & (age >= PENSION_AGE)
    elders += head_turns
    young_others = np.maximum(size - elders - (age < PENSION_AGE), 0.0)
    up = draws["pension"]
    member_turns = np.where(head_turns, up < d.spouse_share,
                            up < _at_least_one(d.member_pension_rate, young_others))
    member_turns &= young_others >= 1
    elders += member_turns
    new_elders = head_turns.astype(np.float64) + member_turns
    ev.new_elders = float(new_elders.sum())

    # Retirement: a new elder who worked, or an old worker in an elderly-headed household.
    worked = np.minimum(labour0 / np.maximum(size0 - hh.elders, 1.0), 1.0)
    stays = (1 - d.retirement * worked) ** new_elders
    stays *= np.where((age0 >= PENSION_AGE), 1 - d.elder_retirement, 1.0)
    retire = (labour > 0) & (draws["retire"] < 1 - stays)
    farm, wage = _workers_change(farm, wage, labour, -1.0 * retire, mean_wage, d.farm_labour_weight)
    labour -= retire
    ev.retired = float(retire.sum())

    # Coming of age: members under 60 who do not work (children, the sick) start work.
    idle = np.maximum(size - elders - labour, 0.0)
    starts = draws["work"] < _at_least_one(d.coming_of_age, idle)
    starts &= idle >= 1
    farm, wage = _workers_change(farm, wage, labour, 1.0 * starts, mean_wage, d.farm_labour_weight)
    labour += starts
    ev.started_work = float(starts.sum())

    # Leaving: a working member other than the head marries out or moves away.
    leaves = (draws["leave"] < _at_least_one(d.leave_rate, labour - 1)) & (size >= 2)
    farm, wage = _workers_change(farm, wage, labour, -1.0 * leaves, mean_wage, d.farm_labour_weight)
    labour -= leaves
    size -= leaves
    elders = np.minimum(elders, size)
    ev.leavers = float(leaves.sum())

    # Deaths: at most one a year; the dead one is an elder or a younger member.
    head_old = age >= PENSION_AGE
    elder_age = np.where(head_old, age, np.maximum(age + d.grandparent_gap, PENSION_AGE))
    young = np.maximum(size - elders, 0.0)
    p_old = np.where(elders > 0, -np.expm1(np.log1p(-mortality(d, elder_age)) * elders), 0.0)
    p_young = _at_least_one(d.mortality_young, young)
    ud, who = draws["death"], draws["who"]
    old_dies = ud < p_old
    young_dies = ~old_dies & (ud < p_old + p_young) & (young >= 1)
    dies = old_dies | young_dies
    ev.deaths = float(dies.sum())
    head_dies = np.where(old_dies, head_old & (who * elders < 1),
                         young_dies & ~head_old & (who * young < 1))
    # A worker died: an elder who must have worked (more workers than members under 60),
    # or a member under 60 with the household's share of workers among them.
    worker_dies = np.where(old_dies, labour > young, young_dies & (who * young < labour))
    worker_dies &= labour > 0
    sole = dies & (size <= 1)
    many = dies & ~sole
    farm, wage = _workers_change(farm, wage, labour, -1.0 * (worker_dies & many), mean_wage,
                                 d.farm_labour_weight)
    labour -= worker_dies & many
    elders -= old_dies & many
    size -= many
    # The ill member may have been the one who died (one member in old size).
    chronic &= ~(many & (draws["ill"] * (size + 1) < 1))
    # Succession: a younger working adult (or a younger member when no elder is left, as
    # grandchildren left with a grandparent), else the remaining elder; a young head's
    # successor is about their age, unless only elders remain.
    heirs_young = (head_dies & many & head_old & (size > elders)
                   & ((labour > 0) | (elders == 0)))
    age = np.where(heirs_young, np.maximum(age - d.successor_gap, 20.0), age)
    only_old = head_dies & many & ~head_old & (size <= elders)
    age = np.where(only_old, np.maximum(age + d.grandparent_gap, PENSION_AGE), age)
    # The only member died: an heir takes over the house and land.
    heir = sole
    age = np.where(heir, np.maximum(age - d.successor_gap, 20.0), age)
    wage = np.where(heir, mean_wage, wage)
    labour = np.where(heir, 1.0, labour)
    elders = np.where(heir, 0.0, elders)
    chronic &= ~heir
    ev.heirs = float(heir.sum())
    # Handover: an elderly head passes headship to a younger working member, who stays.
    hands_over = ((age >= PENSION_AGE) & (labour > 0) & (size > elders)
                  & (draws["handover"] < d.handover_rate))
    age = np.where(hands_over, np.maximum(age - d.successor_gap, 20.0), age)
    ev.handovers = float(hands_over.sum())
    # The head is an elder exactly when aged 60+ (the table's convention).
    elders = np.where(age >= PENSION_AGE, np.maximum(elders, 1.0), elders)
    elders = np.where((age < PENSION_AGE) & (elders >= size), size - 1, elders)

    # Births: a child joins a household with a young head.
    born = (age < d.birth_head_age) & (draws["birth"] < d.birth_rate)
    size += born
    ev.births = float(born.sum())

    # Chronic illness rises with age.
    onset = np.where(elders > 0, _at_least_one(d.chronic_onset_elder, elders),
                     d.chronic_onset_young)
    falls_ill = ~chronic & (draws["chronic"] < onset)
    chronic |= falls_ill
    cut = np.where(falls_ill, 1.0 - d.chronic_income_cut, 1.0)
    farm, wage = farm * cut, wage * cut
    ev.new_chronic = float(falls_ill.sum())

    size = np.maximum(size, 1.0)
    # The same household income shared by the new size (source by source).
    hh.annual_by_source *= (size0 / size)[:, None]
    hh.annual_income[:] = hh.annual_by_source.sum(axis=1)
    hh.size[:] = size
    hh.labour[:] = np.clip(labour, 0.0, size)
    hh.elders[:] = np.clip(elders, 0.0, size)
    hh.migrants[:] = np.minimum(hh.migrants, hh.labour)  # migrants are workers
    hh.head_age[:] = age
    hh.chronic[:] = chronic
    hh.farm_base[:] = farm / size
    hh.wage_base[:] = np.maximum(wage, 0.0) / size
    return ev


def _workers_change(farm: np.ndarray, wage: np.ndarray, labour: np.ndarray,
                    change: np.ndarray, mean_wage: float,
                    farm_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Household farm and wage totals after `change` (+1, 0 or -1) workers.

    Wages follow workers: each of `labour` workers earns an equal share, and a first worker
    earns the region's mean wage per worker. Farm income follows labour weakly: each worker
    gained or lost moves it by `farm_weight` over the workers there were (at least one).
    """
    # The same arithmetic as max(wage + change x per_worker, 0) and farm x max(1 + weight x
    # change / max(labour, 1), 0), in place in two buffers (fresh million-row temporaries
    # cost more than the arithmetic); IEEE + and x commute, so the values are the same.
    change = np.asarray(change, dtype=np.float64)
    workers = np.maximum(labour, 1.0)
    new_wage = np.where(labour > 0, wage / workers, mean_wage)  # per worker
    new_wage *= change
    new_wage += wage
    np.maximum(new_wage, 0.0, out=new_wage)
    new_farm = farm_weight * change
    new_farm /= workers
    new_farm += 1.0
    np.maximum(new_farm, 0.0, out=new_farm)
    new_farm *= farm
    return new_farm, new_wage


def yearly(model: PovertyModel) -> None:
    """Each January after the first month: one year of demography, and the model's caches of
    household composition (people per village, the recorder's elderly mask) refreshed."""
    d = model.config.population.demography
    if not d.enabled:
        return
    hh = model.households
    model.demography_events = (model.month, age_households(hh, d, model.streams, model.month))
    model.village_people = np.bincount(hh.village, weights=hh.size,
                                       minlength=model.villages.n)
    if hasattr(model, "recorder"):
        model.recorder.refresh_people()


def columns(model: PovertyModel, poor: np.ndarray, people_in=None) -> dict[str, float]:
    """Monthly outcome columns of demography (for the recorder): composition, the year's
    events (in January, for the region) and who the income-poor are. `people_in(**masks)`
    (the recorder's people sums, with `poor`, `elderly` and `chronic`) is used when its sums
    are exact, as these float32 dot products then are too."""
    hh = model.households
    people = float(hh.size.sum(dtype=np.float64))
    up = 1.0 / model.scale
    month, ev = getattr(model, "demography_events", (-1, YearEvents()))
    if month != model.month:  # the year's events are counted in the month they happen
        ev = YearEvents()
    elderly = hh.elderly
    if people_in is not None and people_in.exact:
        poor_people = float(people_in(poor=True))
        elderly_poor = float(people_in(poor=True, elderly=True))
        chronic_poor = float(people_in(poor=True, chronic=True))
    else:
        poor_people = float(np.dot(hh.size, poor.astype(np.float32)))
        elderly_poor = float(np.dot(hh.size, (poor & elderly).astype(np.float32)))
        chronic_poor = float(np.dot(hh.size, (poor & hh.chronic).astype(np.float32)))
    elders_poor = float(np.dot(hh.elders, poor.astype(np.float32)))
    return {
        "mean_household_size": people / max(hh.n, 1),
        "elderly_share_people": float(hh.elders.sum(dtype=np.float64)) / people,
        "elderly_head_share": float(np.count_nonzero(elderly)) / max(hh.n, 1),
        "chronic_share": float(np.count_nonzero(hh.chronic)) / max(hh.n, 1),
        "labour_per_person": float(hh.labour.sum(dtype=np.float64)) / people,
        "deaths": ev.deaths * up, "births": ev.births * up,
        "poor_elderly_headed_share": elderly_poor / poor_people if poor_people else 0.0,
        "poor_chronic_share": chronic_poor / poor_people if poor_people else 0.0,
        "poor_elders_share_people": elders_poor / poor_people if poor_people else 0.0,
    }
