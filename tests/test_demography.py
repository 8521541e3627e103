"""Households that change (simulation/demography.py): ageing, deaths, births, leaving and
the per-capita re-expression of income, on mock households and in small runs."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import demography
from simulation.model import PovertyModel
from simulation.scenario import Demography, Scenario, with_overrides
from simulation.streams import MECHANISMS, Streams
from simulation.testing import mock_households

QUIET = dict(mortality_60=0.0, mortality_young=0.0, birth_rate=0.0, leave_rate=0.0,
             coming_of_age=0.0, retirement=0.0, elder_retirement=0.0, handover_rate=0.0,
             chronic_onset_young=0.0, chronic_onset_elder=0.0, member_pension_rate=0.0,
             spouse_share=0.0)


def mixed(n: int = 3000, seed: int = 0):
    """Households of varied size, labour, head age and elders (as at set-up)."""
    rng = np.random.default_rng(seed)
    size = 1 + rng.poisson(3.0, n).astype(np.float32)
    age = np.clip(rng.normal(52, 12, n), 20, 95).astype(np.float32)
    elders = np.minimum(np.where(age >= 60, 1 + (rng.random(n) < 0.6), 0), size)
    labour = np.clip(size - elders - rng.poisson(0.8, n), 0, None)
    hh = mock_households(n, size=size, head_age=age, elders=elders, labour=labour,
                         farm_base=rng.uniform(100, 300, n), wage_base=rng.uniform(0, 300, n))
    hh.annual_income[:] = 12 * (hh.farm_base + hh.wage_base)
    return hh


def years(hh, d: Demography, k: int, seed: int = 1):
    streams = Streams(seed)
    return [demography.age_households(hh, d, streams, 12 * y) for y in range(1, k + 1)]


def test_streams_are_declared():
    assert set(demography.STREAMS) <= set(MECHANISMS)


def test_heads_age_exactly_one_year_a_year():
    hh = mixed()
    start = hh.head_age.copy()
    years(hh, Demography(**QUIET), 5)
    assert np.allclose(hh.head_age, np.minimum(start + 5, demography.MAX_HEAD_AGE))
    # Heads crossing 60 join the elders; nothing else moved.
    crossed = (start < 60) & (start + 5 >= 60)
    assert crossed.any() and np.all(hh.elders[crossed] >= 1)


def test_composition_stays_valid_over_decades():
    hh = mixed()
    d = Demography(birth_rate=0.5, leave_rate=0.3, mortality_60=0.05, mortality_young=0.02,
                   coming_of_age=0.3)
    for _ in years(hh, d, 30):
        assert np.all(hh.size >= 1) and np.all(hh.elders <= hh.size)
        assert np.all(hh.labour <= hh.size) and np.all(hh.labour >= 0)
        assert np.all(hh.elders >= 0) and np.all(hh.size == np.floor(hh.size))
        assert np.all(hh.elders[hh.head_age >= 60] >= 1)
        assert np.all(np.isfinite(hh.farm_base)) and np.all(hh.wage_base >= 0)
        assert hh.people_exact


def test_deaths_concentrate_among_elders():
    n = 4000
    old = np.arange(n) < n // 2
    hh = mock_households(n, size=np.full(n, 3.0), head_age=np.where(old, 75.0, 35.0),
                         elders=np.where(old, 2.0, 0.0), labour=np.where(old, 1.0, 2.0))
    d = Demography(**QUIET | dict(mortality_60=0.01, mortality_young=0.002))
    years(hh, d, 5)
    lost = 3.0 - hh.size
    assert lost[old].sum() > 10 * max(lost[~old].sum(), 1)


def test_chronic_illness_rises_with_age():
    n = 4000
    old = np.arange(n) < n // 2
    hh = mock_households(n, head_age=np.where(old, 70.0, 35.0), elders=np.where(old, 2.0, 0))
    years(hh, Demography(**QUIET | dict(chronic_onset_young=0.005, chronic_onset_elder=0.025)),
          5)
    assert hh.chronic[old].mean() > 4 * hh.chronic[~old].mean()


def test_births_and_leavers_keep_household_totals_where_they_should():
    n = 500
    hh = mock_households(n, size=np.full(n, 4.0), labour=np.full(n, 3.0),
                         head_age=np.full(n, 30.0), farm_base=np.full(n, 100.0),
                         wage_base=np.full(n, 60.0))
    hh.annual_by_source[:, 0] = 2400.0  # annual income is the sum of its sources
    hh.annual_income[:] = 2400.0
    years(hh, Demography(**QUIET | dict(birth_rate=1.0)), 1)  # a child: totals unchanged
    assert np.all(hh.size == 5)
    assert np.allclose(hh.farm_base * 5, 400) and np.allclose(hh.wage_base * 5, 240)
    assert np.allclose(hh.annual_income * 5, 2400 * 4)
    years(hh, Demography(**QUIET | dict(leave_rate=1.0)), 1)  # a worker leaves
    assert np.all(hh.size == 4) and np.all(hh.labour == 2)
    assert np.allclose(hh.wage_base * 4, 240 * 2 / 3)  # the leaver's share of wages goes
    assert np.allclose(hh.farm_base * 4, 400 * (1 - 0.3 / 3))  # farm income follows weakly


def test_sole_member_death_leaves_an_heir():
    n = 200
    hh = mock_households(n, size=np.ones(n), labour=np.zeros(n), head_age=np.full(n, 80.0),
                         elders=np.ones(n), chronic=np.ones(n, dtype=bool))
    years(hh, Demography(**QUIET | dict(mortality_60=0.05)), 1)  # q(81) = 0.37
    heir = hh.head_age < 60
    assert 0.25 < heir.mean() < 0.5 and np.all(hh.size == 1)
    assert np.all(hh.head_age[heir] == 81 - 28)
    assert np.all(hh.elders[heir] == 0) and np.all(hh.labour[heir] == 1)
    assert not hh.chronic[heir].any()


COLUMNS = ("size", "labour", "head_age", "elders", "chronic", "farm_base", "wage_base")


def test_disabled_leaves_the_household_table_unchanged():
    s = with_overrides(Scenario(households=300, months=26),
                       {"population.demography.enabled": False})
    m = PovertyModel(s)
    start = {c: getattr(m.households, c).copy() for c in COLUMNS}
    m.run()
    for c in COLUMNS:
        assert np.array_equal(getattr(m.households, c), start[c]), c
    assert m.series()["deaths"].sum() == 0


def test_enabled_changes_households_in_january_only():
    m = PovertyModel(Scenario(households=300, months=14))
    for _ in range(12):
        m.step()
    before = m.households.head_age.copy()
    assert m.label == "2015-01"
    m.step()  # 2015-01
    moved = m.households.head_age - before
    assert np.mean(moved == 1) > 0.8  # most heads one year older; the rest succeeded
    df = m.series()
    assert df["deaths"].iloc[:12].sum() == 0 and df["deaths"].iloc[12] > 0


@pytest.fixture(scope="module")
def twenty_years():
    s = Scenario(households=2000, months=240, start="2014-01")
    df = PovertyModel(s).run().series()
    return df[df["date"].str.endswith("-12")].set_index("year")


def test_twenty_years_the_poor_grow_elderly_and_sick(twenty_years):
    y = twenty_years
    # At the start pensions and dibao keep elders under-represented among the poor. Dynamic
    # monitoring (2021-2025) leaves almost no income-poor, so the remaining poor are read in
    # the years after it ends (2026-2033): elders then about as common among them as in the
    # population (not over-represented), the chronically ill over-represented, and
    # elderly-headed households a much larger share of poor households than at the start.
    def over(column: str, share: str, years: slice) -> float:
        return float((y.loc[years, column] / y.loc[years, share]).mean())

    after = slice(2026, 2033)
    assert y.loc[2022:2024, "income_poverty_incidence"].max() < 0.002  # monitoring's years
    assert y.loc[after, "income_poverty_incidence"].min() > 0.005  # poor to read again
    elders_2014 = over("poor_elders_share_people", "elderly_share_people", slice(2014, 2014))
    assert elders_2014 < 1.0
    assert over("poor_elders_share_people", "elderly_share_people", after) > elders_2014 + 0.4
    early = y.loc[2014:2016, "poor_elderly_headed_share"].mean()
    late = y.loc[2031:2033, "poor_elderly_headed_share"].mean()
    assert late > early + 0.2
    assert over("poor_chronic_share", "chronic_share", after) > 1.2
    # The population ages at a plausible pace (rural 60+ share +~0.9 points a year).
    rise = (y.loc[2020, "elderly_share_people"] - y.loc[2014, "elderly_share_people"]) / 6
    assert 0.004 < rise < 0.015
    assert y.loc[2033, "mean_household_size"] < y.loc[2014, "mean_household_size"]


def test_households_change_alike_under_every_policy():
    """Demography reads no income or policy: with common random numbers a policy change
    leaves every household's composition the same year by year."""
    base = Scenario(households=300, months=26)
    other = with_overrides(base, {"instruments.microcredit.budget": 0.0,
                                  "instruments.minimum_living.budget": 0.0})
    a, b = PovertyModel(base).run(), PovertyModel(other).run()
    assert not np.array_equal(a.households.annual_income, b.households.annual_income)
    for c in COLUMNS:
        assert np.array_equal(getattr(a.households, c), getattr(b.households, c)), c
