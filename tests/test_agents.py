"""The Mesa side: Household, Cadre and Cooperative agents are views onto the arrays."""

import numpy as np

from simulation.agents.cadres import Cadre
from simulation.agents.cooperatives import Cooperative
from simulation.households import Household, PovertyState
from simulation.model import PovertyModel
from tests.conftest import small


def test_agents_view_the_arrays():
    model = PovertyModel(small(households=600, months=24), seed=1)
    for _ in range(12):
        model.step()
    assert len(model.agents_by_type[Household]) == 600  # small runs get views at set-up
    assert len(model.agents_by_type[Cadre]) == model.villages.n
    assert len(model.agents_by_type[Cooperative]) >= 1
    v = int(model.households.village[0])
    people = model.households_in_village(v)
    assert {h.row for h in people} == set(np.flatnonzero(model.households.village == v))
    h = people[0]
    assert h.annual_income == model.households.annual_income[h.row]
    assert isinstance(h.state, PovertyState)
    assert set(h.participation) == set(h.awareness)


def test_large_runs_create_views_lazily():
    model = PovertyModel(small(households=6000, months=12), seed=1)
    assert Household not in model.agents_by_type or not model.agents_by_type[Household]
    people = model.households_in_village(0)
    assert len(people) == int((model.households.village == 0).sum())


def test_model_runs_to_the_end_and_stops():
    model = PovertyModel(small(households=300, months=6), seed=1).run()
    assert model.finished and not model.running
    assert len(model.series()) == 6
