"""Same scenario and seed give identical tables; different seeds differ."""

import json

import pandas as pd

from simulation.runs.runner import run
from tests.conftest import small


def test_same_seed_identical_tables(baseline_result):
    again = run(small(), seed=7)
    pd.testing.assert_frame_equal(baseline_result.monthly, again.monthly)
    pd.testing.assert_frame_equal(baseline_result.villages, again.villages)
    assert json.dumps(baseline_result.summary) == json.dumps(again.summary)


def test_different_seed_differs(baseline_result):
    other = run(small(), seed=8)
    assert not other.monthly["income_pc"].equals(baseline_result.monthly["income_pc"])


def test_metadata_records_version_scenario_and_seed(baseline_result):
    meta = baseline_result.meta
    assert meta["seed"] == 7
    assert meta["scenario_name"] == "demo"
    assert meta["run_key"] == f"{small().content_hash()}-7-{meta['code_fingerprint']}"
    assert meta["model_version"]
    assert "instruments:" in meta["scenario_yaml"]
