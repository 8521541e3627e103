"""The register's accounting holds through the calibration layer, in people: official exits
minus entries equal the net fall of registered people, so exits can never again be read as
households (they were once multiplied by the household size)."""

from __future__ import annotations

import copy

import pytest

from simulation.calibration.targets import model_people, model_value, parse_targets
from simulation.runs.runner import run
from tests.calibration.test_targets import EXAMPLE, _target
from tests.conftest import small


@pytest.fixture(scope="module")
def monthly():
    return run(small(households=1500, months=84), seed=3).monthly


def _flow(output: str, first: str, last: str, basis: str = "register"):
    data = copy.deepcopy(EXAMPLE)
    data["targets"] = [_target(model_output=output, kind="flow", period_start=first, date=last,
                               value=1.0, unit="people", basis=basis,
                               population={"refers_to": "people", "group": "all_rural",
                                           "scale": "county", "size": None})]
    data["region"]["population"]["value"] = None
    return parse_targets(data, "t.yaml").targets[0]


def test_exits_minus_entries_equal_the_net_fall_in_people() -> None:
    # An identity in people: households keep their size (demography off), or births and
    # deaths would change the registered people between reviews.
    monthly = run(small({"population.demography.enabled": False}, households=1500,
                        months=84), seed=3).monthly
    households = float(small().region.households_represented)
    people = model_people(monthly)
    registered = monthly.set_index("date")["registered_poor_incidence"] * people
    exits = model_value(_flow("exits", "2015-01", "2019-12"), monthly, households, 0.0)
    entries = float(monthly[(monthly["date"] >= "2015-01")
                            & (monthly["date"] <= "2019-12")]["register_entries"].sum())
    assert exits > 0 and entries > 0
    fall = registered["2014-12"] - registered["2019-12"]
    assert exits - entries == pytest.approx(fall, rel=1e-3)
    # "Reduced N people in poverty" (register_net_fall) is that same net fall, counted from
    # the register as first identified when the period starts with the identification.
    net = model_value(_flow("register_net_fall", "2015-01", "2019-12"), monthly, households,
                      0.0)
    assert net == pytest.approx(fall, rel=1e-3)
    from_identified = model_value(_flow("register_net_fall", "2014-01", "2019-12"), monthly,
                                  households, 0.0)
    assert from_identified == pytest.approx(registered["2014-11"] - registered["2019-12"],
                                            rel=1e-3)
    assert from_identified < model_value(_flow("people_lifted", "2014-01", "2019-12"),
                                         monthly, households, 0.0)  # gross counts re-entries


def test_register_returns_are_reentries_of_people_who_had_left(monthly) -> None:
    households = float(small().region.households_represented)
    returns = model_value(_flow("returns_to_poverty", "2015-01", "2019-12"), monthly,
                          households, 0.0)
    rows = monthly[(monthly["date"] >= "2015-01") & (monthly["date"] <= "2019-12")]
    assert returns == pytest.approx(float(rows["register_returns"].sum()))
    assert returns <= float(rows["register_entries"].sum())  # a return is an entry
    survey = model_value(_flow("returns_to_poverty", "2015-01", "2019-12", "survey"), monthly,
                         households, 0.0)
    assert survey == pytest.approx(float(rows["returns"].sum()))  # income churn, apart
