"""Micro-credit on ten households, without a model run: loans of the configured size,
interest subsidy paid up front, monthly instalments out of savings."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.households import Source
from simulation.instruments.microcredit import DEPRECIATION, Microcredit
from simulation.scenario import ScenarioError
from simulation.testing import mock_households, mock_model


def _setup(**overrides):
    hh = mock_households(10, head_age=[40] * 8 + [70] * 2, labour=[2] * 9 + [0])
    hh.savings[:] = 2000.0
    cfg = {"instruments.microcredit.default_rate": 0.0, **overrides}
    model = mock_model(hh, cfg)
    return model, Microcredit(model, model.config.instruments.microcredit)


def test_loan_size_is_capped_at_50000():
    with pytest.raises(ScenarioError, match="loan_size"):
        mock_model(overrides={"instruments.microcredit.loan_size": 60000})


def test_who_can_borrow_and_what_a_place_costs():
    model, inst = _setup(**{"instruments.microcredit.delivery": "routine",
                            "instruments.microcredit.rating_months": 1})
    model.month = 12  # 2015-01, the start: rated in one month, everyone is rated
    # working age (under 65) with labour and no loan running
    assert inst.can_use(model).tolist() == [True] * 8 + [False] * 2
    # the interest subsidy of the whole term: 40,000 x 4.35% x 3 years
    assert inst.place_cost(model) == pytest.approx(40000 * 0.0435 * 3)
    # places this month: the routine allowance (budget over the 72 months from 2015-01 to
    # 2020-12), less overhead, divided by that cost
    model.month = 12
    assert inst.slots(model, inst.usable(12)) == int(25e6 / 72 * 0.95 // 5220.0)


def test_ramp_pacing_follows_the_special_funds():
    """Ramp pacing spends each year in proportion to that year's central special funds."""
    from simulation.ledger import SPECIAL_FUNDS

    model, inst = _setup(**{"instruments.microcredit.delivery": "ramp"})
    model.month = 12  # 2015-01, the first month: its share of 2015-2020's weights
    share = SPECIAL_FUNDS[2015] / (12 * sum(SPECIAL_FUNDS[y] for y in range(2015, 2021)))
    assert inst.allowance(12) == pytest.approx(25e6 * share)


def test_loans_are_made_on_demand_to_households_rated_so_far():
    """Demand pacing: any month may use all that is left; the credit rating reaches a
    growing share of households, each at a fixed place in the order, all after 24 months."""
    hh = mock_households(4000, head_age=[40] * 4000, labour=[2] * 4000)
    model = mock_model(hh)
    inst = Microcredit(model, model.config.instruments.microcredit)
    assert model.config.instruments.microcredit.delivery == "demand"
    assert inst.allowance(12) == pytest.approx(25e6)
    shares = []
    for month in (12, 23, 35, 60):
        model.month = month
        shares.append(float(inst.rated(model).mean()))
    assert shares[0] == pytest.approx(1 / 24, abs=0.015)
    assert shares[1] == pytest.approx(12 / 24, abs=0.03)
    assert shares[2] == shares[3] == 1.0
    model.month = 23
    rated = inst.rated(model)
    model.month = 24
    assert (inst.rated(model) >= rated).all()  # once rated, rated for good
    assert not inst.can_use(model)[~inst.rated(model)].any()


def test_loans_and_repayment():
    model, inst = _setup()
    model.month = 12
    hh = model.households
    inst.enrol(model, np.array([0, 3]))
    hh.loan_left[[0, 3]] = 36
    assert hh.loan[[0, 3]].tolist() == [40000.0, 40000.0]
    assert hh.capital[[0, 3]].tolist() == [40000.0, 40000.0]
    hh.savings[3] = 500.0  # cannot meet a full instalment
    inst.deliver(model)
    instalment = 40000.0 / 36
    assert hh.loan[0] == pytest.approx(40000.0 - instalment)
    assert hh.savings[0] == pytest.approx(2000.0 - instalment)
    assert hh.loan[3] == pytest.approx(40000.0 - 500.0)  # pays what it has
    assert hh.savings[3] == 0.0
    assert hh.loan_left[[0, 3]].tolist() == [35, 35]
    # the invested loan earns 14% a year, per capita (four people), at an undisturbed price
    assert hh.income[0, Source.BUSINESS] == pytest.approx(40000.0 * 0.14 / 12 / 4)
    assert hh.capital[0] == pytest.approx(40000.0 * (1 - DEPRECIATION))
    assert hh.income[1, Source.BUSINESS] == 0.0
    assert inst.defaults == 0 and inst.delivered == 0.0  # no default to compensate


def test_a_default_is_compensated_from_the_budget():
    model, inst = _setup(**{"instruments.microcredit.default_rate": 1.0})
    model.month = 12
    hh = model.households
    inst.enrol(model, np.arange(8))
    # yearly rate 1: monthly 1/12, x4 when stressed; the draws decide who defaults
    u = model.streams.uniform("microcredit.default", 12, 10)
    hh.savings[:] = 0.0  # everyone short of an instalment: stressed
    expected = np.flatnonzero(u[:8] < 4.0 / 12.0)
    inst.deliver(model)
    assert inst.defaults == len(expected)
    assert inst.delivered == pytest.approx(40000.0 * len(expected))
    assert (hh.loan[expected] == 0).all() and (hh.loan_left[expected] == 0).all()
