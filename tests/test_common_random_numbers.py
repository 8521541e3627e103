"""Common random numbers: an instrument with zero budget changes nothing at all, and a
policy change leaves the draws of unrelated mechanisms untouched."""

import numpy as np
import pandas as pd
import pytest

from simulation.runs.runner import run
from simulation.scenario import Instruments
from tests.conftest import small

INSTRUMENTS = list(Instruments.model_fields)


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_zero_budget_instrument_is_identical_to_baseline(name):
    off = run(small({f"instruments.{name}.enabled": False}, households=800, months=48), seed=3)
    zero = run(small({f"instruments.{name}.enabled": True,
                      f"instruments.{name}.budget": 0}, households=800, months=48), seed=3)
    pd.testing.assert_frame_equal(off.monthly, zero.monthly)


def test_policy_change_keeps_shocks_identical():
    a = run(small({"instruments.microcredit.budget": 0}), seed=5, keep_model=True)
    b = run(small({"instruments.microcredit.budget": 1e8}), seed=5, keep_model=True)
    # Shocks and set-up draws do not depend on policy.
    np.testing.assert_array_equal(a.model.households.head_age, b.model.households.head_age)
    np.testing.assert_array_equal(a.model.villages.disaster_left, b.model.villages.disaster_left)
    np.testing.assert_array_equal(a.model.households.ill_left, b.model.households.ill_left)
    assert not a.monthly["participation_microcredit"].equals(
        b.monthly["participation_microcredit"])
