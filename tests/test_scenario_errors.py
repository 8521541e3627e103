"""Malformed scenarios get clear errors naming the file, the field and the expectation."""

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.scenario import ScenarioError, list_bundled, load_scenario


def write(tmp_path: Path, data, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def error_of(path: Path | str, overrides=None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return str(info.value)


def test_unknown_key_named_with_file(tmp_path):
    path = write(tmp_path, {"instruments": {"microcredit": {"budgett": 5}}})
    msg = error_of(path)
    assert str(path) in msg and "instruments.microcredit.budgett" in msg
    assert "unknown field" in msg


def test_wrong_type(tmp_path):
    msg = error_of(write(tmp_path, {"households": "many"}))
    assert "households" in msg and "integer" in msg


def test_negative_budget(tmp_path):
    msg = error_of(write(tmp_path, {"instruments": {"tourism": {"budget": -1}}}))
    assert "instruments.tourism.budget" in msg and "greater than or equal to 0" in msg


def test_end_before_start(tmp_path):
    msg = error_of(write(tmp_path, {"instruments": {"ecommerce": {
        "start": "2018-01", "end": "2016-01"}}}))
    assert "instruments.ecommerce" in msg and "before start" in msg


def test_bad_month(tmp_path):
    msg = error_of(write(tmp_path, {"start": "2014/01"}))
    assert "start" in msg and "YYYY-MM" in msg


def test_missing_file():
    assert "not found" in error_of("no/such/file.yaml")


def test_missing_parent(tmp_path):
    msg = error_of(write(tmp_path, {"extends": "nowhere.yaml"}))
    assert "nowhere.yaml" in msg and "not found" in msg


def test_circular_extends(tmp_path):
    write(tmp_path, {"extends": "b.yaml"}, "a.yaml")
    write(tmp_path, {"extends": "a.yaml"}, "b.yaml")
    assert "circular" in error_of(tmp_path / "a.yaml")


def test_not_yaml(tmp_path):
    msg = error_of(write(tmp_path, "households: [1, 2\n"))
    assert "not valid YAML" in msg


def test_unknown_channel(tmp_path):
    msg = error_of(write(tmp_path, {"channels": {"pigeon": {"reach": 0.1}}}))
    assert "pigeon" in msg


def test_bad_override():
    assert "dotted.path=value" in error_of("demo", ["households"])
    assert "households" in error_of("demo", ["households=-4"])


def test_extends_and_override_merge(tmp_path):
    parent = write(tmp_path, {"name": "p", "households": 500,
                              "instruments": {"microcredit": {"budget": 1e6}}}, "p.yaml")
    child = write(tmp_path, {"extends": parent.name, "name": "c",
                             "instruments": {"microcredit": {"loan_size": 30000}}}, "c.yaml")
    s = load_scenario(child, ["instruments.tourism.budget=2e6"])
    assert s.name == "c" and s.households == 500
    assert s.instruments.microcredit.budget == 1e6
    assert s.instruments.microcredit.loan_size == 30000
    assert s.instruments.tourism.budget == 2e6
    # Partial instrument blocks keep the instrument's own defaults.
    assert s.instruments.microcredit.start == "2015-01"


def test_all_bundled_scenarios_validate():
    paths = list_bundled()
    assert len(paths) >= 4
    for path in paths:
        load_scenario(path)


# A value that is valid YAML but may be the wrong type anywhere.
junk = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                 st.floats(allow_nan=True), st.text(max_size=8),
                 st.lists(st.integers(), max_size=3))
paths = st.sampled_from([
    "households", "months", "start", "seed", "region.villages", "region.remoteness.a",
    "population.income_median", "economy.poverty_line", "economy.shocks.epidemic.start",
    "cadres.capacity", "channels.work_group.reach", "channels.radio_tv",
    "instruments.microcredit.budget", "instruments.microcredit.end",
    "instruments.publicity.channels", "instruments.registration.review_month",
    "instruments.nonexistent.budget", "behaviour.gain", "extends", "region", "instruments",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(paths, junk), min_size=1, max_size=4))
def test_malformed_scenarios_never_raise_a_traceback(edits):
    """Whatever junk lands in a scenario, loading either succeeds or raises ScenarioError."""
    overrides = {path: value for path, value in edits}
    try:
        load_scenario("demo", overrides)
    except ScenarioError as exc:
        assert "invalid scenario" in str(exc) or "not found" in str(exc) or "extends" in str(exc)


def test_a_channel_given_in_part_keeps_its_own_defaults():
    """`work_group: {intensity: 0.8}` changes the intensity only: the channel still needs a
    phone and internet, with its own reach and fidelity (not the generic defaults)."""
    from simulation.scenario import Scenario

    sc = Scenario.model_validate({"channels": {"work_group": {"intensity": 0.8}}})
    wg, default = sc.channels["work_group"], Scenario().channels["work_group"]
    assert wg.intensity == 0.8
    assert wg.model_dump() | {"intensity": default.intensity} == default.model_dump()
