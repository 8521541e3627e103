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
    assert off.monthly.set_index("date")["registered_poor_incidence"]["2020-12"] > 0.002


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
