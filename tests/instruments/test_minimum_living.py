"""Minimum living security on ten households, without a model run: enrolled households
get the gap between their income (other transfers included) and the standard, never more
than the money."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.households import Source
from simulation.instruments.minimum_living import MinimumLiving
from simulation.scenario import PROGRAMMES
from simulation.testing import mock_households, mock_model

K = PROGRAMMES.index("minimum_living")
#: 2014 is read at mid-year, half-way through from the year-end 2013 value: 2013.5 in the
#: table's year-end keys, between 1,716 (2011) and 2,777 (2014) yuan a year.
STANDARD_2014 = 1716.0 + (2777.0 - 1716.0) * 2.5 / 3.0


def _setup(budget: float):
    hh = mock_households(10, labour=[0] * 5 + [2] * 5, head_age=[70] * 5 + [40] * 5)
    # monthly per-capita farm income: 100, 150, ..., 550 yuan (1,200 ... 6,600 a year)
    hh.income[:, Source.FARM] = 100.0 + 50.0 * np.arange(10)
    hh.annual_income[:] = hh.income.sum(axis=1) * 12.0
    hh.participating[[0, 1, 2], K] = True  # enrolled
    model = mock_model(hh, {"instruments.minimum_living.budget": budget,
                            })
    return model, MinimumLiving(model, model.config.instruments.minimum_living)


def test_standard_is_interpolated_by_year():
    model, inst = _setup(350e6)
    assert inst.standard(model) == pytest.approx(STANDARD_2014)


def test_enrolled_households_get_the_gap_to_the_standard():
    model, inst = _setup(350e6)
    inst.step(model)  # nobody is aware, so only the enrolled are paid
    hh = model.households
    market = (100.0 + 50.0 * np.arange(10)) * 12.0
    expected = np.zeros(10)
    expected[:3] = (STANDARD_2014 - market[:3]) / 12.0  # per capita and month
    assert np.allclose(hh.income[:, Source.TRANSFER], expected)
    cost = float((expected * 4.0).sum())  # four people per household
    assert inst.delivered == pytest.approx(cost)
    assert inst.overhead == pytest.approx(cost / 0.95 - cost)  # 5% administration
    assert inst.budget == pytest.approx(inst.delivered + inst.overhead + inst.remaining)


def test_never_more_than_the_budget():
    # An entitlement: a month may use all that is left (500), less 5% overhead; the three
    # recipients' top-ups exceed it, so they are pro-rated, and the next month pays nothing.
    model, inst = _setup(500.0)
    usable = 500.0 * 0.95
    assert inst.usable(0) == pytest.approx(usable)
    inst.step(model)
    hh = model.households
    full = (STANDARD_2014 - (100.0 + 50.0 * np.arange(3)) * 12.0) / 12.0
    paid = hh.income[:3, Source.TRANSFER]
    assert float((paid * 4.0).sum()) == pytest.approx(usable)
    assert np.allclose(paid, full * usable / float((full * 4.0).sum()))  # pro-rated
    assert inst.delivered == pytest.approx(usable)
    assert inst.delivered + inst.overhead == pytest.approx(500.0)
    hh.income[:] = 0.0
    model.month = 1
    inst.begin_month()
    inst.step(model)
    assert inst.month_spent == 0.0 and float(hh.income[:, Source.TRANSFER].sum()) == 0.0


def test_who_can_use_it():
    model, inst = _setup(350e6)
    # below the standard of ~2,600 (rows 0-2: 1,200, 1,800, 2,400 a year; row 3 has 3,000)
    # and without able labour (rows 0-4)
    assert inst.can_use(model).tolist() == [True] * 3 + [False] * 7


def test_the_means_test_counts_other_transfers():
    """A pension or remittance paid earlier in the month counts in the means test: the
    top-up is the gap left after it (the dibao rules count a family's whole income)."""
    model, inst = _setup(350e6)
    hh = model.households
    hh.income[:, Source.TRANSFER] = 20.0  # e.g. a pension, per capita and month
    inst.step(model)
    market = (100.0 + 50.0 * np.arange(10)) * 12.0
    expected = 20.0 + np.maximum(STANDARD_2014 - market[:3] - 240.0, 0.0) / 12.0
    assert np.allclose(hh.income[:3, Source.TRANSFER], expected)


def test_the_month_the_money_ran_out_is_noted():
    model, inst = _setup(500.0)
    inst.step(model)
    inst.end_month(0)
    assert inst.ran_out == 0  # spent to the last yuan in its first month
    model, inst = _setup(1e9)
    inst.step(model)
    inst.end_month(0)
    assert inst.ran_out is None


def test_the_means_test_reads_income_as_the_cadres_assess_it():
    """With a register, the means test counts income times the cadres' persistent reading
    of it: an overstated household is paid less and stays below the standard, a concealing
    one is paid more (inclusion and exclusion errors); without the option, income as it is."""
    from types import SimpleNamespace

    model, inst = _setup(350e6)
    reading = np.ones(10)
    reading[0], reading[1] = 1.3, 0.7
    model.instruments = {"registration": SimpleNamespace(persistent_factor=lambda m: reading)}
    market = (100.0 + 50.0 * np.arange(10)) * 12.0
    gap = inst.gap(model)
    assert gap[0] == pytest.approx(max(STANDARD_2014 - 1.3 * market[0], 0.0))
    assert gap[1] == pytest.approx(STANDARD_2014 - 0.7 * market[1])
    assert gap[2] == pytest.approx(STANDARD_2014 - market[2])
    assert market[0] + gap[0] < STANDARD_2014 < market[1] + gap[1]
    off = _setup(350e6)[0]
    off.config = off.config.model_copy(deep=True)
    off.config.instruments.minimum_living.means_test_error = False
    off.instruments = model.instruments
    exact = MinimumLiving(off, off.config.instruments.minimum_living)
    assert exact.gap(off)[0] == pytest.approx(STANDARD_2014 - market[0])


def test_local_standards_are_lower_in_remote_villages_and_never_below_the_line_once_linked():
    """`remote_gradient` spreads the table's standard over villages by remoteness (its mean
    over households stays the table's); from `line_floor_from` none is below the line."""
    from simulation.model import PovertyModel
    from tests.conftest import small

    model = PovertyModel(small({"instruments.minimum_living.remote_gradient": -1.0,
                                "instruments.minimum_living.line_floor_from": "2015-06"},
                               households=600, months=24), seed=4)
    dibao = model.instruments["minimum_living"]
    local = dibao.standard(model)
    rem = model.villages.remoteness[model.households.village]
    assert np.mean(local) == pytest.approx(dibao.mean_standard(model))
    assert np.corrcoef(rem, local)[0, 1] < -0.99  # falls with remoteness
    assert local.min() < model.line  # 2014: some remote standards are below the line
    model.month = 18  # 2015-07, after the standards were linked to the line
    assert (dibao.standard(model) >= model.line).all()
    flat = PovertyModel(small(households=600, months=24), seed=4)
    assert np.ndim(flat.instruments["minimum_living"].standard(flat)) == 0
