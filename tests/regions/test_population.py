"""A population drawn from household records: it keeps the records' joint distribution and
the raked margins within sampling error, is reproducible, and runs end to end."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.environment import build_villages
from simulation.population.build import build_population
from simulation.population.raking import raked
from simulation.regions.init import init_region
from simulation.runs.runner import run
from simulation.scenario import load_scenario
from simulation.streams import Streams
from tests.regions.microdata_cases import EXAMPLE

N = 20_000
Z = 4.5  # sampling-error band (a deterministic seed; a wrong population misses it widely)


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region")
    return init_region(EXAMPLE, out).scenario


def _table(scenario, seed: int = 1):
    streams = Streams(seed)
    return build_population(scenario, build_villages(scenario, streams), streams)


def _band(values: np.ndarray, w: np.ndarray, n: int) -> tuple[float, float]:
    """Weighted mean of the records and the sd of the mean of n draws from them."""
    mean = float(np.average(values, weights=w))
    sd = math.sqrt(float(np.average((values - mean) ** 2, weights=w)))
    return mean, sd / math.sqrt(n)


def test_the_population_keeps_the_records_joint_distribution(region) -> None:
    scenario = load_scenario(region, households=N)
    table = _table(scenario)
    records, rakes = raked(scenario.population.microdata)
    w = rakes.weights
    assert table.n == N and np.all(np.diff(table.village) >= 0)  # sorted by village
    income = np.maximum(records.market_pc, 100.0)  # start year = survey year: no deflation
    means = {}
    for low in (True, False):  # mean market income by schooling group
        rec, sim = (records.education <= 6) == low, table.low_education == low
        mean, se = _band(income[rec], w[rec], int(sim.sum()))
        means[low] = mean
        assert abs(table.annual_income[sim].mean() - mean) < Z * se
    assert means[False] - means[True] > 10 * Z * _band(income, w, N)[1]  # a real gradient
    for size in (1, 2, 3, 4, 5):  # labour by household size
        rec, sim = records.size == size, table.size == size
        mean, se = _band(records.labour[rec], w[rec], int(sim.sum()))
        assert abs(table.labour[sim].mean() - mean) < Z * se
        assert abs(sim.mean() - w[rec].sum() / w.sum()) < Z * math.sqrt(0.25 / N)
    elderly = float(w[records.head_age >= 60].sum() / w.sum())
    assert elderly == pytest.approx(0.17, abs=1e-4)
    assert abs(table.elderly.mean() - elderly) < Z * math.sqrt(elderly * (1 - elderly) / N)
    survey = float(np.average(records.head_age >= 60, weights=records.weight))
    assert abs(table.elderly.mean() - survey) > 10 * math.sqrt(0.25 / N)  # raked, not raw
    ill = table.chronic
    assert abs(ill.mean() - np.average(records.chronic, weights=w)) < Z * math.sqrt(0.25 / N)
    wage_share = table.wage_base / (table.wage_base + table.farm_base)
    assert wage_share.min() >= 0 and wage_share.max() <= 0.95 + 1e-9
    assert wage_share[~table.elderly].mean() > wage_share[table.elderly].mean() + 0.1


def test_remote_records_live_in_the_remote_villages(region) -> None:
    scenario = load_scenario(region, households=4000)
    streams = Streams(1)
    villages = build_villages(scenario, streams)
    table = build_population(scenario, villages, streams)
    records, _ = raked(scenario.population.microdata)
    # remote records sit in the most remote simulated villages, and they are the poorer
    remote_ids = {v for v, r in zip(records.village, records.remote, strict=True) if r}
    assert remote_ids
    rem = villages.remoteness[table.village]
    low_income = table.annual_income < np.median(table.annual_income)
    assert rem[low_income].mean() > rem[~low_income].mean()


def test_same_seed_same_table_and_same_fields_as_build_households(region) -> None:
    scenario = load_scenario(region, households=2000)
    a, b, c = _table(scenario, 3), _table(scenario, 3), _table(scenario, 4)
    default = _table(load_scenario("liangshan", households=500))
    for f in dataclasses.fields(a):
        x, y, d = getattr(a, f.name), getattr(b, f.name), getattr(default, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
            assert x.dtype == d.dtype and x.shape[1:] == d.shape[1:], f.name
    assert not np.array_equal(a.annual_income, c.annual_income)


def test_a_scenario_with_microdata_runs_end_to_end(region, tmp_path) -> None:
    # a child scenario elsewhere: the records' path stays relative to the file naming it
    child = tmp_path / "elsewhere" / "child.yaml"
    child.parent.mkdir()
    child.write_text(yaml.safe_dump({"name": "child", "extends": str(region), "months": 12}),
                     encoding="utf-8")
    scenario = load_scenario(child, households=800)
    assert Path(scenario.population.microdata.path).is_file()
    assert "microdata" in yaml.safe_load(scenario.to_yaml())["population"]
    result = run(scenario, seed=2)
    monthly = result.monthly
    assert len(monthly) == 12
    start = float(monthly["income_poverty_incidence"].iloc[0])
    assert 0.02 < start < 0.4 and monthly["income_pc"].iloc[0] > 2000
