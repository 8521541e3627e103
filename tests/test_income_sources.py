"""Income by source: each source has its own driver, the sources sum to income, the
persistent shock is stationary, and the baseline transfers pay what their rules say."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.households import Source, persistent_part
from simulation.model import PovertyModel
from simulation.scenario import load_scenario
from tests.conftest import small

SOURCES = [f"income_{s.name.lower()}" for s in Source]


@pytest.fixture(scope="module")
def demo_run():
    return PovertyModel(small(households=800, months=60), seed=3).run()


def test_the_sources_sum_to_income(demo_run) -> None:
    df = demo_run.series()
    total = df[SOURCES].sum(axis=1)
    np.testing.assert_allclose(total, df["income_pc"], rtol=1e-5)
    # every source but co-op income is present by the end (the demo has no co-op members
    # at the start, so it may be small, but pensions, wages and farming are never zero)
    last = df.iloc[-1]
    for col in ("income_farm", "income_wage", "income_transfer", "income_property"):
        assert last[col] > 0, col


def test_the_persistent_shock_splits_the_start_spread() -> None:
    rng = np.random.default_rng(0)
    sigma, sd, n = 0.8, 0.4, 400_000
    deviation = sigma * rng.standard_normal(n)
    shock = persistent_part(deviation, sigma, sd, rng.standard_normal(n))
    permanent = deviation - shock
    assert shock.std() == pytest.approx(sd, rel=0.01)
    assert permanent.std() == pytest.approx(np.sqrt(sigma ** 2 - sd ** 2), rel=0.01)
    assert abs(np.corrcoef(shock, permanent)[0, 1]) < 0.01


def test_the_shock_stays_stationary_and_persists() -> None:
    model = PovertyModel(small(households=3000, months=61), seed=2)
    start = model.households.income_shock.copy()
    sd = model.config.economy.shocks.persistent_sd
    model.run()
    end = model.households.income_shock
    assert end.std() == pytest.approx(sd, rel=0.08)
    rho = model.config.economy.shocks.persistence
    # five yearly steps: correlation rho**5
    assert np.corrcoef(start, end)[0, 1] == pytest.approx(rho ** 5, abs=0.05)


def test_pensions_follow_the_central_minimum() -> None:
    model = PovertyModel(small(households=400, months=60), seed=1)
    topup = 1 + model.config.transfers.pension.provincial_topup
    for month, central in ((0, 55.0), (12, 70.0), (53, 88.0)):
        model.month = month
        assert model.transfers.pension(model) == pytest.approx(central * topup)
    model.month = 0
    model.step()
    hh = model.households
    paid = model.transfers.spent["pension"]
    assert paid == pytest.approx(float(hh.elders.sum()) * 55.0 * topup)


def test_without_the_labour_market_wages_keep_their_real_value() -> None:
    on = PovertyModel(small(households=600, months=49), seed=5).run()
    off = PovertyModel(small({"economy.labour_market.enabled": False}, households=600,
                             months=49), seed=5).run()
    assert off.households.migrants.sum() == 0 and on.households.migrants.sum() > 0
    assert off.wage_index == pytest.approx(off.price_level)
    assert on.wage_index > off.wage_index  # the migrant wage grew faster than prices
    assert on.series()["income_wage"].iloc[-1] > off.series()["income_wage"].iloc[-1]


def test_ranger_posts_go_to_register_households_in_remote_villages(demo_run) -> None:
    hh, model = demo_run.households, demo_run
    rangers = np.flatnonzero(hh.ranger)
    assert len(rangers) > 0
    assert (hh.registered | hh.left_register)[rangers].all()
    assert model.transfers.remote_half[hh.village[rangers]].all()
    eco = model.config.transfers.eco_compensation
    filed = np.count_nonzero(hh.registered | hh.left_register)
    assert len(rangers) <= int(eco.posts_per_registered * filed + 0.5)


def test_the_register_file_income_covers_exited_households(demo_run) -> None:
    df = demo_run.series().set_index("date")
    # by 2018 most registered households have exited, so the file is richer than the rest
    # of the register
    assert df.loc["2018-12", "income_pc_ever_registered"] > df.loc["2018-12",
                                                                   "income_pc_registered"]


def test_national_scenario_loads_with_national_budgets() -> None:
    sc = load_scenario("national")
    assert sc.region.households_represented == 250_000_000
    assert sc.instruments.minimum_living.budget == pytest.approx(1.2e12)


def test_public_posts_go_to_the_neediest_registered_with_labour(demo_run) -> None:
    hh, model = demo_run.households, demo_run
    posts = np.flatnonzero(hh.public_post)
    assert len(posts) > 0
    assert (hh.labour[posts] > 0).all()
    assert (hh.registered | hh.left_register)[posts].all()
    cfg = model.config.transfers.public_posts
    filed = np.count_nonzero(hh.registered | hh.left_register)
    assert len(posts) <= int(cfg.posts_per_registered * filed + 0.5)
    # their pay is wage income
    assert demo_run.series()["paid_public_posts"].iloc[-1] == pytest.approx(
        len(posts) * cfg.pay / 12.0 / model.scale)


def test_in_the_deadline_year_every_registered_household_with_labour_below_the_bar_has_a_post(
        ) -> None:
    """The last push: beyond the quota (here none), a post for each registered household with
    labour that would still fail the income criterion, in the deadline's year only."""
    model = PovertyModel(small({"transfers.public_posts.posts_per_registered": 0.0},
                               households=1500, months=84), seed=3)
    hh = model.households
    while model.label < "2019-12":
        model.step()
    assert not hh.public_post.any()  # no quota: no posts before the deadline's year
    while model.label < "2020-03":
        model.step()
    bar = model.line * model.config.instruments.registration.exit_margin
    model.transfers._posts(model, hh.registered | hh.left_register)  # this month's filling
    assert hh.public_post.any()
    assert not (hh.registered & ~hh.public_post & (hh.labour > 0)
                & (hh.annual_income < bar)).any()
    assert (hh.labour[hh.public_post] > 0).all()


def test_dibao_recipients_at_the_start_qualify_and_are_paid_from_month_zero() -> None:
    model = PovertyModel(small(households=2000, months=1), seed=4)
    hh, inst = model.households, model.instruments["minimum_living"]
    enrolled = hh.participating[:, inst.k]
    assert enrolled.any()
    assert ((hh.labour[enrolled] == 0) | hh.elderly[enrolled] | hh.chronic[enrolled]
            | (hh.labour[enrolled] / hh.size[enrolled] < 0.34)).all()
    none = PovertyModel(small({"instruments.minimum_living.initial_coverage": 0.0},
                              households=2000, months=1), seed=4)
    assert not none.households.participating[:, inst.k].any()
    # the start's income includes their top-up and the baseline transfers
    assert (hh.annual_by_source[enrolled, Source.TRANSFER]
            > none.households.annual_by_source[enrolled, Source.TRANSFER]).all()


def test_a_price_fall_cuts_only_the_exposed_share_of_farm_income() -> None:
    """A 30% fall in the price of a village's product cuts its farm income by 30% of the
    exposed share, not all of it (economy.shocks.price_exposure)."""
    from simulation import income

    model = PovertyModel(small(households=400, months=12), seed=1)
    model.step()
    income.market_income(model)
    before = model.households.income[:, Source.FARM].copy()
    fallen = model.villages.product == 0
    model.product_shock = np.where(np.arange(len(model.product_shock)) == 0, 0.7, 1.0)
    income.market_income(model)
    after = model.households.income[:, Source.FARM]
    hit = fallen[model.households.village] & (before > 0)
    exposure = model.config.economy.shocks.price_exposure
    assert hit.any()
    assert np.allclose(after[hit] / before[hit], 1.0 - exposure * 0.3)
    assert np.allclose(after[~hit], before[~hit])


def test_members_working_near_home_earn_wages_and_those_away_send_transfers() -> None:
    """What new migrant workers bring is split by `local_share`: the share working near home
    is wage income, the rest (living away) transfer income; the total does not depend on it."""
    from simulation import income

    def month_income(local_share: float) -> np.ndarray:
        model = PovertyModel(small({"economy.labour_market.local_share": local_share},
                                   households=400, months=12), seed=2)
        model.step()
        model.households.migrants[:50] = 1  # give some households a worker away
        income.market_income(model)
        return model.households.income.copy()

    away, split, home = month_income(0.0), month_income(0.4), month_income(1.0)
    movers = np.arange(400) < 50
    assert np.allclose(split.sum(axis=1), away.sum(axis=1))
    assert np.allclose(home.sum(axis=1), away.sum(axis=1))
    gain = home[:, Source.WAGE] - away[:, Source.WAGE]
    assert (gain[movers] > 0).all() and np.allclose(gain[~movers], 0.0)
    assert np.allclose(away[:, Source.TRANSFER] - home[:, Source.TRANSFER], gain)
    assert np.allclose(split[:, Source.WAGE] - away[:, Source.WAGE], 0.4 * gain)


def test_survey_incidence_is_the_calendar_years_income_against_its_line() -> None:
    """The survey column compares each household's income summed over the calendar year
    with that year's line (the NBS survey basis), not the smoothed income households act on."""
    model = PovertyModel(small(households=600, months=24), seed=5)
    months = []
    while model.running:
        model.step()
        months.append(model.income_now.copy())
    df = model.series()
    assert str(df["date"].iloc[-1]).endswith("-12")
    year = np.sum(months[-12:], axis=0)  # the second calendar year, month by month
    people = model.households.size.astype(float)
    expected = people[year < model.line].sum() / people.sum()
    assert df["survey_poverty_incidence"].iloc[-1] == pytest.approx(expected, abs=1e-9)
    # a different measure from the smoothed one (otherwise this test proves nothing)
    smoothed = people[model.households.annual_income < model.line].sum() / people.sum()
    assert expected != pytest.approx(smoothed, abs=1e-6)
