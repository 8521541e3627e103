"""The register as it was run: verified exits, the deadline that empties it, paper exits that
come back as returns, and returns on the register basis apart from income churn."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.households import Deficit
from simulation.model import PovertyModel
from simulation.runs.runner import run
from tests.conftest import small

YEARS = [str(y) for y in range(2014, 2021)]
UNCAPPED = {"instruments.registration.plan_caps_exits": False}


def _yearly(monthly, column):
    return monthly.groupby(monthly["date"].str[:4])[column].sum()


@pytest.fixture(scope="module")
def shipped():
    return run(small(months=96), seed=4).monthly


def test_the_deadline_empties_the_register(shipped) -> None:
    at = shipped.set_index("date")["registered_poor_incidence"]
    assert at["2019-12"] > 0
    assert at["2020-12"] == 0.0 and at["2021-12"] == 0.0


def test_without_the_deadline_quota_the_register_stays(shipped) -> None:
    off = run(small({"instruments.registration.deadline_quota": False}, months=84), seed=4)
    # Reviews of the whole register shrink it by verified exits alone, but do not empty it.
    assert off.monthly.set_index("date")["registered_poor_incidence"]["2020-12"] > 0.0


def test_exits_minus_entries_are_the_net_fall() -> None:
    # An identity in people, so households keep their size (demography off): births and
    # deaths would change the registered people between reviews.
    fixed = run(small({"population.demography.enabled": False}, months=96), seed=4).monthly
    people = float((fixed["poor_people"] / fixed["income_poverty_incidence"]).median())
    reg = fixed["registered_poor_incidence"].to_numpy() * people
    net = fixed["official_exits"].to_numpy() - fixed["register_entries"].to_numpy()
    assert np.allclose(np.diff(reg), -net[1:], rtol=1e-4, atol=1e-6 * people)


def test_paper_and_wrongful_exits_are_parts_of_exits(shipped) -> None:
    exits = _yearly(shipped, "official_exits")
    assert (_yearly(shipped, "paper_exits") <= exits + 1e-6).all()
    assert (_yearly(shipped, "wrongful_exits") <= exits + 1e-6).all()
    assert _yearly(shipped, "register_returns")[YEARS].le(
        _yearly(shipped, "register_entries")[YEARS] + 1e-6).all()


def test_unmet_guarantees_block_exits_until_the_deadline() -> None:
    """With every household lacking safe housing, no works to fix it and no formalism to
    fake it, nobody leaves the register between the 2016 exit rules and the deadline."""
    blocked = small({"population.deficits.housing": 1.0,
                     "population.deficits.nonpoor_factor": 1.0,
                     "population.deficits.remote_gradient": 0.0,
                     "instruments.housing.enabled": False,
                     "instruments.relocation.enabled": False,
                     "instruments.registration.paper_exit_scale": 0.0})
    df = run(blocked, seed=4).monthly
    between = df[(df["date"] >= "2016-04") & (df["date"] <= "2019-12")]
    before = df[df["date"] < "2016-04"]
    assert before["official_exits"].sum() > 0
    assert between["official_exits"].sum() == 0.0
    assert between["exit_criterion_housing"].dropna().eq(0.0).all()
    last = df.set_index("date").loc["2020-12"]
    assert last["official_exits"] > 0 and last["paper_exits"] == pytest.approx(
        last["official_exits"])  # at the deadline every one is a paper exit


def test_persistent_bias_is_carried_and_corrected_at_reviews() -> None:
    model = PovertyModel(small(households=600), seed=2)
    reg = model.instruments["registration"]
    first = reg.bias.copy()
    for _ in range(11):
        model.step()
    assert np.array_equal(reg.bias, first)  # not redrawn while no review has happened
    model.step()  # 2014-12: the first yearly review
    keep = 1.0 - model.config.instruments.registration.review_correction
    assert np.allclose(reg.bias, first * keep)


def test_guarantee_works_close_deficits() -> None:
    model = PovertyModel(small(households=800), seed=3)
    start = model.households.deficit[:, Deficit.HOUSING].sum()
    assert start > 0
    for _ in range(60):
        model.step()
    assert model.households.deficit[:, Deficit.HOUSING].sum() < start


def test_a_run_starting_before_the_register_says_so() -> None:
    from simulation.instruments.registration import RegisterWarning

    with pytest.warns(RegisterWarning, match="nobody is registered before 2014-01"):
        df = run(small({"start": "2012-01"}, households=400, months=36), seed=1).monthly
    at = df.set_index("date")["registered_poor_incidence"]
    assert at["2013-12"] == 0.0 and at["2014-12"] > 0


def test_the_yearly_review_covers_the_whole_register_before_nominees() -> None:
    """Money for fewer assessments than the register holds still reviews registered
    households only: nominees wait, the register is never left half-reviewed for them."""
    model = PovertyModel(small(households=800), seed=5)
    reg, hh = model.instruments["registration"], model.households
    for _ in range(12):
        model.step()  # the identification and the first review
    registered = np.flatnonzero(hh.registered)
    assert 0 < len(registered) < hh.n
    money = reg.cfg.cost_per_assessment * len(registered) * 1.05
    reg.usable = lambda month: money  # this month pays for the register and a few more
    screen = np.union1d(registered, np.flatnonzero(~hh.registered)[:200])
    rows = reg.affordable(model, screen, first=hh.registered)
    assert len(rows) < len(screen)
    assert np.isin(registered, rows).all()


def test_followed_up_households_are_helped_not_registered_again() -> None:
    """After the 2016 exit rules, exited households found at risk are watched and topped
    up (the follow-up), and a watched household does not re-enter the register."""
    # Without the plan's cap more households leave close to the line, so some are at risk.
    model = PovertyModel(small(UNCAPPED, households=1500, months=84), seed=6)
    fu, hh = model.instruments["followup"], model.households
    rejoined_watched = 0
    while model.month < 84:
        watched = fu.watched.copy()
        left = hh.left_register.copy()
        model.step()
        rejoined_watched += int((watched & left & hh.registered).sum())
    assert fu.delivered > 0 and fu.watched.any()
    assert rejoined_watched == 0


def test_watched_households_stay_supported_while_at_risk() -> None:
    """Support is renewed without a new search while the risk lasts: once the search finds
    nobody new (detection 0), nobody new is watched, yet the households already watched are
    still paid for a year after their first six months of support would have ended."""
    model = PovertyModel(small(households=3000, months=84), seed=6)
    fu = model.instruments["followup"]
    while model.label < "2018-01":
        model.step()
    object.__setattr__(fu.cfg, "detection", 0.0)
    for month in range(24):
        before = fu.watched.copy()
        model.step()
        assert not (fu.watched & ~before).any()
        if month == 11:
            paid = fu.delivered
    assert fu.watched.any() and fu.delivered > paid


def test_the_monitoring_takes_over_the_follow_up_watch_list() -> None:
    """In 2021-01 the transition's monitoring carries on the follow-up's watch list: the
    follow-up, over at its end, leaves the list as it was, and nobody watched in 2020-12
    and still at risk is dropped for want of a new search."""
    model = PovertyModel(small(UNCAPPED, households=1500, months=86), seed=6)
    fu, mon = model.instruments["followup"], model.instruments["monitoring"]
    while model.label < "2021-01":
        model.step()
    handed = fu.watched.copy()
    assert handed.any()
    object.__setattr__(mon.cfg, "detection", 0.0)  # only the list handed over is watched
    model.step()
    assert (fu.watched == handed).all()
    assert mon.watched.any() and not (mon.watched & ~handed).any()


def test_exits_follow_the_county_plan() -> None:
    """Verified exits beyond the plan wait: at the first review (before the 2016 quota) no
    more than `early_plan_share` of the registered people leave; without the cap, more do."""
    fixed = {"population.demography.enabled": False}
    capped = run(small(fixed, months=12), seed=4).monthly.set_index("date")
    free = run(small(fixed | {"instruments.registration.plan_caps_exits": False}, months=12),
               seed=4).monthly.set_index("date")
    people = float((capped["poor_people"] / capped["income_poverty_incidence"]).median())
    registered = capped["registered_poor_incidence"]["2014-11"] * people
    assert 0 < capped["official_exits"]["2014-12"] <= 0.18 * registered + 1e-6
    assert free["official_exits"]["2014-12"] > capped["official_exits"]["2014-12"]
