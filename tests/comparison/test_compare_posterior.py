"""`povsim compare --posterior`: effects over posterior draws, and the split of their
variance into parameters and chance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.calibration.spec import Parameter
from simulation.cli import main
from simulation.comparison.arms import load_arms
from simulation.comparison.posterior import (
    PosteriorFileError,
    check_arms,
    load_posterior,
    pick_draws,
    split_variance,
    with_draw,
)
from simulation.scenario import ScenarioError

CM = "scenarios/countermeasures/003-transition-keep.yaml"


def write_posterior(path: Path, parameters: list[dict], draws: dict[str, list[float]],
                    scenario: str = "liangshan") -> Path:
    """A posterior.parquet as `povsim calibrate --method posterior` writes it (the columns
    and the metadata compare reads)."""
    n = len(next(iter(draws.values())))
    table = pa.Table.from_pandas(pd.DataFrame(draws | {"weight": [1.0 / n] * n}))
    meta = {"spec": {"parameters": parameters, "scenario": scenario}, "converged": True,
            "posterior_fingerprint": "test"}
    pq.write_table(table.replace_schema_metadata({b"povsim": json.dumps(meta).encode()}),
                   path)
    return path


def test_variance_split_recovers_parameters_and_chance():
    rng = np.random.default_rng(3)
    k, r = 400, 4
    truth = rng.normal(0.0, 1.0, size=(k, 1))  # the effect at each draw: variance 1
    delta = truth + rng.normal(0.0, 2.0, size=(k, r))  # seed noise: variance 4, /r = 1
    param, chance = split_variance(delta)
    assert param == pytest.approx(1.0, rel=0.25)
    assert chance == pytest.approx(1.0, rel=0.15)
    # The same effect at every draw: all of the spread is chance (the parameter part is 0
    # or near it, never negative).
    same = rng.normal(0.0, 2.0, size=(k, r))
    param, chance = split_variance(same)
    assert 0.0 <= param < 0.2 * chance


def test_draws_set_values_and_scale_each_arms_own():
    base, (arm,) = load_arms([CM], base="liangshan", households=200,
                             overrides={"instruments.housing.budget": 2e9})
    params = [Parameter(name="farm_growth", path="economy.farm_growth", low=0, high=0.1),
              Parameter(name="budgets", scale=["instruments.housing.budget"], low=0.5,
                        high=2)]
    a = with_draw(base.scenario, params, np.array([0.031, 1.5]))
    assert a.economy.farm_growth == pytest.approx(0.031)
    assert a.instruments.housing.budget == pytest.approx(3e9)
    b = with_draw(arm.scenario, params, np.array([0.031, 1.5]))
    assert b.transition.default_mode == arm.scenario.transition.default_mode  # still the CM


def test_countermeasure_that_changes_a_fitted_value_is_refused():
    base, (arm,) = load_arms([CM], base="liangshan", households=200)
    changed = arm.scenario.model_copy(update={"economy": arm.scenario.economy.model_copy(
        update={"farm_growth": 0.09})})
    arm = type(arm)(arm.name, changed, arm.source)
    params = [Parameter(name="farm_growth", path="economy.farm_growth", low=0, high=0.1)]
    with pytest.raises(ScenarioError, match=r"003-transition-keep.*economy.farm_growth"):
        check_arms(params, base, [arm])


def test_bad_posterior_files_are_named(tmp_path):
    with pytest.raises(PosteriorFileError, match="no such posterior file"):
        load_posterior(tmp_path / "missing.parquet")
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"x": [1.0]}).to_parquet(plain)
    with pytest.raises(PosteriorFileError, match=r"plain.parquet: not a povsim posterior"):
        load_posterior(plain)
    short = write_posterior(tmp_path / "short.parquet",
                            [{"name": "farm_growth", "path": "economy.farm_growth",
                              "low": 0, "high": 0.1}], {"other": [0.02]})
    with pytest.raises(PosteriorFileError, match=r"short.parquet: columns \['farm_growth'\]"):
        load_posterior(short)


def test_pick_draws_is_reproducible_and_distinct(tmp_path):
    path = write_posterior(tmp_path / "p.parquet",
                           [{"name": "farm_growth", "path": "economy.farm_growth",
                             "low": 0, "high": 0.1}],
                           {"farm_growth": list(np.linspace(0.01, 0.05, 30))})
    post = load_posterior(path)
    a, b = pick_draws(post, 8, seed=1), pick_draws(post, 8, seed=1)
    assert np.array_equal(a, b) and len(set(a.tolist())) == 8
    assert np.array_equal(pick_draws(post, 50), np.arange(30))  # all when asked for more


@pytest.mark.xdist_group("compare_posterior")
def test_compare_over_posterior_end_to_end(tmp_path, capsys):
    path = write_posterior(
        tmp_path / "posterior.parquet",
        [{"name": "farm_growth", "path": "economy.farm_growth", "low": 0, "high": 0.1},
         {"name": "assessment_error", "path": "cadres.assessment_error", "low": 0.05,
          "high": 0.6}],
        {"farm_growth": [0.0, 0.06, 0.03], "assessment_error": [0.1, 0.4, 0.2]})
    out = tmp_path / "out"
    rc = main(["compare", "--base", "liangshan", CM, "--posterior", str(path), "--draws", "2",
               "--replicates", "2", "--households", "300", "--executor", "serial",
               "--quiet", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    eff = pd.read_csv(out / "effects.csv")
    runs = pd.read_parquet(out / "runs.parquet")
    meta = json.loads((out / "meta.json").read_text())
    assert meta["draws"] == 2 and meta["replicates"] == 2 and meta["runs"] == 8
    assert len(runs) == 8 and set(runs["arm"]) == {"liangshan", "cm-003-keep"}
    # Every run of a draw carries that draw's values; the two draws differ.
    rows = meta["posterior_rows"]
    for d, row in enumerate(rows):
        sub = runs[runs["draw"] == d]
        assert set(sub["farm_growth"]) == {[0.0, 0.06, 0.03][row]}
    # The draws' parameters move the baseline: farm growth changes income.
    base = runs[runs["arm"] == "liangshan"].groupby("draw")["income_pc_end"].mean()
    assert base.iloc[0] != base.iloc[1]
    # The effect is the mean of the paired differences, and its split adds up.
    row = eff[eff["outcome"] == "income_pc_end"].iloc[0]
    pivot = runs.pivot_table(index=["draw", "seed"], columns="arm", values="income_pc_end")
    assert row["diff"] == pytest.approx((pivot["cm-003-keep"] - pivot["liangshan"]).mean())
    shares = eff[["parameter_share", "chance_share"]].dropna()
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert ((shares >= 0) & (shares <= 1)).all().all()
    report = (out / "report.md").read_text()
    assert "parameters' share" in report and (out / "effects.png").stat().st_size > 1000


def test_compare_posterior_refuses_a_bad_file_before_running(tmp_path, capsys):
    rc = main(["compare", "--base", "liangshan", CM, "--posterior",
               str(tmp_path / "nope.parquet"), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "nope.parquet: no such posterior file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
