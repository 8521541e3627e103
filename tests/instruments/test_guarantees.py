"""The works behind the exit criteria, on ten households without a model run: each closes
its deficit for as many households as the month's money pays, registered households first,
and books what it spends."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.households import Deficit, Source
from simulation.instruments.guarantees import DrinkingWater, HousingRenovation, MedicalAssistance
from simulation.testing import mock_households, mock_model


def _model(**overrides):
    hh = mock_households(10, village=[0] * 5 + [1] * 5)
    hh.deficit[:, Deficit.HOUSING] = True
    hh.registered[:] = [True, True, False, False, False, True, False, False, False, False]
    return mock_model(hh, overrides)


def test_housing_closes_as_many_as_the_money_pays_registered_first():
    # The budget spread over the 84 months to 2020-12 leaves 3,000 yuan a month after the
    # 5% overhead: three 1,000-yuan houses.
    model = _model(**{"instruments.housing.budget": 84 * 3000 / 0.95,
                      "instruments.housing.cost_per_household": 1000.0,
                      "instruments.housing.eligibility": "all"})
    inst = HousingRenovation(model, model.config.instruments.housing)
    inst.step(model)
    hh = model.households
    fixed = np.flatnonzero(~hh.deficit[:, Deficit.HOUSING])
    assert len(fixed) == 3 and inst.closed == 3
    assert set(fixed) == {0, 1, 5}  # the registered households come first
    assert inst.delivered == pytest.approx(3000.0)
    assert inst.remaining == pytest.approx(inst.budget - 3000.0 / 0.95)


def test_registered_eligibility_leaves_others_waiting():
    model = _model(**{"instruments.housing.budget": 1e9,
                      "instruments.housing.cost_per_household": 1000.0})
    inst = HousingRenovation(model, model.config.instruments.housing)
    inst.step(model)
    still = model.households.deficit[:, Deficit.HOUSING]
    assert still.tolist() == [False, False, True, True, True, False, True, True, True, True]


def test_water_is_built_village_by_village():
    model = _model(**{"instruments.water.budget": 84 * 1000 / 0.95,
                      "instruments.water.cost_per_village": 1000.0})
    hh = model.households
    hh.deficit[:, Deficit.WATER] = True
    inst = DrinkingWater(model, model.config.instruments.water)
    inst.step(model)
    # One village's works paid; village 0 has more registered households lacking water.
    assert hh.deficit[:, Deficit.WATER].tolist() == [False] * 5 + [True] * 5
    assert inst.closed == 1 and inst.delivered == pytest.approx(1000.0)


def test_medical_assistance_pays_part_of_illness_costs():
    model = _model(**{"instruments.medical.budget": 1e9})
    hh = model.households
    hh.income[:, Source.FARM] = 300.0
    hh.ill_left[:] = [3, 0, 3, 0, 0, 0, 0, 0, 0, 0]
    inst = MedicalAssistance(model, model.config.instruments.medical)
    inst.step(model)
    cfg = model.config
    share = cfg.economy.shocks.illness_cost_share * cfg.instruments.medical.illness_relief
    relief = hh.income[:, Source.TRANSFER]
    assert relief[0] == pytest.approx(share * 300.0)  # ill, registered, covered
    assert relief[2] == 0.0  # ill but not registered
    assert relief[1:].sum() == 0.0
    assert inst.delivered == pytest.approx(share * 300.0 * 4)
