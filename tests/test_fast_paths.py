"""The paths that make large runs fast give the numbers of the plain paths, bit for bit."""

import os

import numpy as np
import pandas as pd
import pytest

from simulation import streams as streams_mod
from simulation import threads
from simulation.model import PovertyModel
from simulation.scenario import load_scenario


def _run(scenario, seed):
    model = PovertyModel(scenario, seed=seed, agent_views=False).run()
    return model.series(), model.households


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="drawing ahead needs two cores")
def test_draws_made_ahead_on_a_second_core_are_the_same_draws(monkeypatch):
    scenario = load_scenario("liangshan", {"months": 48}, households=4000)
    monkeypatch.setenv("POVSIM_THREADS", "1")
    plain, hh_plain = _run(scenario, 7)
    monkeypatch.setenv("POVSIM_THREADS", "2")
    monkeypatch.setattr(threads, "MIN_HOUSEHOLDS", 0)  # background threads at this size
    used = []
    original = streams_mod.Streams.uniform

    def spy(self, mechanism, month, n):
        used.append(bool(self._ahead.get((mechanism, month, n))))
        return original(self, mechanism, month, n)

    monkeypatch.setattr(streams_mod.Streams, "uniform", spy)
    ahead, hh_ahead = _run(scenario, 7)
    assert sum(used) > 100  # most of the month's draws were started ahead
    pd.testing.assert_frame_equal(plain, ahead, check_exact=True)
    for column in ("annual_income", "understanding", "participating", "trust", "savings"):
        assert np.array_equal(getattr(hh_plain, column), getattr(hh_ahead, column)), column


def test_streams_copy_without_their_draws_ahead():
    import pickle

    s = streams_mod.Streams(3)
    s.uniform("x", 0, 10)
    copy = pickle.loads(pickle.dumps(s))
    assert copy.seed == 3 and np.array_equal(copy.uniform("x", 0, 10), s.uniform("x", 0, 10))
