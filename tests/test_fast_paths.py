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
    s.uniform("shock.illness", 0, 10)
    copy = pickle.loads(pickle.dumps(s))
    assert copy.seed == 3 and np.array_equal(copy.uniform("shock.illness", 0, 10),
                                             s.uniform("shock.illness", 0, 10))


def test_stable_order_is_the_stable_argsort():
    from simulation.choice import stable_order

    rng = np.random.default_rng(4)
    values = (rng.integers(0, 50, 20_000) / 7 - 3).astype(np.float32)  # many ties, both signs
    values[:5] = [0.0, -0.0, np.float32(-3.0), np.inf, -np.inf]
    assert np.array_equal(stable_order(values), np.argsort(values, kind="stable"))
    u = rng.random(10_000, dtype=np.float32) - (rng.random(10_000) < 0.3)
    assert np.array_equal(stable_order(u), np.argsort(u, kind="stable"))


def test_people_in_equals_masked_sum():
    model = PovertyModel(load_scenario("demo", households=3000), seed=2)
    hh = model.households
    assert hh.people_exact  # so people_in takes the dot-product path
    rng = np.random.default_rng(1)
    for share in (0.0, 0.01, 0.37, 1.0):
        mask = rng.random(hh.n) < share
        assert hh.people_in(mask) == hh.size[mask].sum()


def test_sizes_that_would_not_sum_exactly_are_recognised():
    from simulation.households import sums_exactly

    assert sums_exactly(np.array([1, 4, 7], dtype=np.float32))
    assert not sums_exactly(np.array([1, 2.5], dtype=np.float32))  # not whole numbers
    assert not sums_exactly(np.full(3_000_000, 6, dtype=np.float32))  # 18M people > 2**24


def test_people_sums_of_the_metrics_equal_the_plain_masked_sums():
    scenario = load_scenario("changting", {"months": 36}, households=1500)
    fast = PovertyModel(scenario, seed=4, agent_views=False).run().series()
    plain_model = PovertyModel(scenario, seed=4, agent_views=False)
    plain_model.households.people_exact = False  # every people count as size[mask].sum()
    plain = plain_model.run().series()
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
