"""Skills training on ten households, without a model run: who can train, what a place
costs, what training does and when a course ends."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.instruments.skills_training import SkillsTraining
from simulation.scenario import PROGRAMMES
from simulation.testing import mock_households, mock_model

K = PROGRAMMES.index("skills_training")


def _setup(**overrides):
    hh = mock_households(10, head_age=[30, 40, 50, 59, 60, 70, 35, 35, 35, 35],
                         labour=[2] * 6 + [0, 1, 1, 1], education=[0, 3, 6, 9, 12] * 2)
    model = mock_model(hh, overrides)
    return model, SkillsTraining(model, model.config.instruments.skills_training)


def test_who_can_train():
    model, inst = _setup()
    model.households.joined[7, K] = 3  # trained once already
    assert inst.can_use(model).tolist() == [True] * 4 + [False] * 4 + [True] * 2
    assert np.allclose(inst.ability(model), [0, 1 / 3, 2 / 3, 1, 1] * 2)


def test_places_cost_the_unit_cost():
    model, inst = _setup(**{"instruments.skills_training.unit_cost": 1000.0,
                            "instruments.skills_training.budget": 1e6})
    assert inst.slots(model, 4500.0) == 4


def test_training_raises_wages_and_literacy():
    model, inst = _setup()
    hh = model.households
    boost = model.config.instruments.skills_training.wage_boost
    hh.literacy[:] = [0.2] * 5 + [0.95] * 5
    inst.enrol(model, np.array([0, 5]))
    assert hh.wage_multiplier[[0, 5, 1]] == pytest.approx([1 + boost, 1 + boost, 1.0])
    assert hh.literacy[[0, 5, 1]] == pytest.approx([0.3, 1.0, 0.2])  # capped at 1


def test_a_course_ends_after_months_active():
    model, inst = _setup(**{"instruments.skills_training.months_active": 3})
    hh = model.households
    hh.participating[[0, 1], K] = True
    hh.joined[[0, 1], K] = [0, 2]
    model.month = 3
    inst.end_spells(model)
    assert hh.participating[:, K].tolist() == [False, True] + [False] * 8
