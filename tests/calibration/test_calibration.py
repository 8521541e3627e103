"""Calibration: parameter recovery, a never-seen region through the CLI with an
out-of-sample check, resuming an interrupted fit, reproducibility and clear spec errors.

Targets for recovery are simulated here from known parameters with the current model, so
these tests do not depend on the model's default numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.calibration.fit import Evaluator, Problem, calibrate
from simulation.calibration.spec import CalibrationError, parse_param, parse_spec
from simulation.runs.runner import run
from simulation.scenario import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[2]
POVSIM = str(Path(sys.executable).with_name("povsim"))

REGION = {"id": "synthetic", "name": "Synthetic County", "level": "county", "fictional": True,
          "population": {"value": 160000, "unit": "people", "assumed": True,
                         "source": "made up"},
          "households": {"value": 40000, "unit": "households", "assumed": True,
                         "source": "made up"},
          "source": "simulated by tests/calibration/test_calibration.py"}
RURAL = {"refers_to": "people", "group": "all_rural", "scale": "county", "size": 160000}


def _t(name: str, output: str, date: str, value: float, **kw) -> dict:
    kind = "flow" if output in ("income_pc", "income_growth", "people_lifted") else "stock"
    unit = {"income_pc": "yuan_per_person_year", "income_growth": "fraction_per_year",
            "people_lifted": "people"}.get(output, "share")
    basis = "survey" if output.startswith("income") else "register"
    t = {"name": name, "model_output": output, "kind": kind, "date": date, "value": value,
         "unit": unit, "population": RURAL, "basis": basis,
         "uncertainty": {"relative_error": 0.03, "assumed": True}, "likelihood": "normal",
         "weight": 1.0, "source": "synthetic"}
    if kind == "flow":
        t["period_start"] = date[:4] + "-01"
    return t | kw


def synthetic_targets(path: Path, truth: dict[str, float], seeds: list[int],
                      households: int) -> Path:
    """Write a target file whose values are the model's at `truth` (replicate means)."""
    skeleton = [
        _t("survey_incidence_2015", "income_poverty_incidence", "2015-12", 0.1,
           basis="survey", likelihood="binomial",
           uncertainty={"sample_size": 4000, "assumed": True}),
        _t("survey_incidence_2017", "income_poverty_incidence", "2017-12", 0.05,
           basis="survey", likelihood="binomial",
           uncertainty={"sample_size": 4000, "assumed": True}),
        _t("income_2015", "income_pc", "2015-12", 7000.0,
           uncertainty={"relative_error": 0.02, "assumed": True}),
        _t("income_2017", "income_pc", "2017-12", 8000.0,
           uncertainty={"relative_error": 0.02, "assumed": True}),
        _t("growth_2017", "income_growth", "2017-12", 0.05,
           uncertainty={"sd": 0.005, "assumed": True}),
    ]
    data = {"schema_version": 1, "region": REGION, "targets": skeleton}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    spec = parse_spec({"name": "truth", "targets": str(path), "scenario": "demo",
                       "households": households, "seed_base": seeds[0],
                       "replicates": len(seeds),
                       "parameters": [{"name": k, "low": v * 0.5, "high": v * 1.5}
                                      for k, v in truth.items()], "executor": "serial"})
    problem = Problem.build(spec)
    scen = with_overrides(problem.base, truth)
    per = [problem.values(run(scen, s).monthly) for s in seeds]
    for t in skeleton:
        t["value"] = float(np.mean([v[t["name"]] for v in per]))
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.xdist_group("calibration")
def test_parameter_recovery(tmp_path: Path) -> None:
    """Known income_median and farm_growth are recovered from a distant start."""
    truth = {"population.income_median": 5200.0, "economy.farm_growth": 0.06}
    seeds = [1000, 1001]
    targets = synthetic_targets(tmp_path / "synthetic.yaml", truth, seeds, households=600)
    spec = parse_spec({
        "name": "recovery", "targets": str(targets), "scenario": "demo", "households": 600,
        "replicates": 2, "seed_base": 1000,
        "parameters": [
            {"name": "income_median", "path": "population.income_median", "low": 3500,
             "high": 7500, "start": 3800},
            {"name": "farm_growth", "path": "economy.farm_growth", "low": 0.0,
             "high": 0.12, "start": 0.015}],
        "optimizer": {"seed": 3, "popsize": 5, "maxiter": 6, "tol": 0.0},
        "executor": "process", "workers": 2})
    result = calibrate(spec, tmp_path / "fit")
    got = result.best_params
    # Stated tolerance: 4% of the true income median, 0.01 in real growth.
    assert abs(got["income_median"] - 5200) <= 0.04 * 5200, got
    assert abs(got["farm_growth"] - 0.06) <= 0.01, got
    # The optimizer really moved: the start point is far worse than the best.
    start = next(e for e in result.evaluations if e.x == [3800.0, 0.015])
    assert start.loss > 100 * max(result.best.loss, 0.01)
    # Near-best ranges contain the truth-side best and are inside the bounds.
    u = result.uncertainty["income_median"]
    assert 3500 <= u["low"] <= got["income_median"] <= u["high"] <= 7500
    overlay = load_scenario(tmp_path / "fit" / "best.yaml", households=600)
    assert overlay.population.income_median == pytest.approx(got["income_median"])
    assert overlay.economy.farm_growth == pytest.approx(got["farm_growth"])
    assert overlay.region.households_represented == 40000  # inherited from demo


NEW_REGION = """\
# A region the project has never seen, written from calibration/targets/README.md alone.
schema_version: 1
region:
  id: qinba_hills
  name: Qinba Hills County
  level: county
  parent: a fictional prefecture
  fictional: true
  population: {value: 210000, unit: people, date: "2015-12", assumed: true,
               source: invented for the test}
  households: {value: null, unit: households, assumed: true, source: none}
  source: invented for the test
targets:
  - name: register_share_2015
    model_output: registered_poor_incidence
    kind: stock
    date: "2015-12"
    value: 0.14
    unit: share
    population: {refers_to: people, group: all_rural, scale: county, size: 210000}
    basis: register
    uncertainty: {relative_error: 0.15, assumed: true}
    likelihood: normal
    weight: 1.0
    source: invented
%(survey)s
  - name: exits_2015_2017
    model_output: exits
    kind: flow
    period_start: "2015-01"
    date: "2017-12"
    value: 6000
    unit: households
    population: {refers_to: households, group: all_rural, scale: county, size: null}
    basis: register
    uncertainty: {relative_error: 0.3, assumed: true}
    likelihood: normal
    weight: 0.5
    source: invented
  - name: income_2019
    model_output: income_pc
    kind: flow
    period_start: "2019-01"
    date: "2019-12"
    value: 10500
    unit: yuan_per_person_year
    population: {refers_to: people, group: poor_areas, scale: county, size: null}
    basis: survey
    uncertainty: {relative_error: 0.04, assumed: true}
    likelihood: normal
    weight: 1.0
    source: invented
"""
SURVEY = """\
  - name: survey_incidence_%(y)d
    model_output: income_poverty_incidence
    kind: stock
    date: "%(y)d-12"
    value: %(v).3f
    unit: share
    population: {refers_to: people, group: all_rural, scale: county, size: 210000}
    basis: survey
    uncertainty: {sample_size: 1500, overdispersion: 0.02, assumed: true}
    likelihood: beta_binomial
    weight: 1.0
    source: invented"""


@pytest.mark.xdist_group("calibration")
def test_new_region_fits_through_the_cli_with_out_of_sample_report(tmp_path: Path) -> None:
    """A never-seen region's file fits unchanged; later years are held out and reported."""
    series = {2014: 0.17, 2015: 0.12, 2016: 0.08, 2017: 0.05, 2018: 0.03, 2019: 0.015}
    survey = "\n".join(SURVEY % {"y": y, "v": v} for y, v in series.items())
    path = tmp_path / "qinba_hills.yaml"
    path.write_text(NEW_REGION % {"survey": survey})
    out = tmp_path / "out"
    proc = subprocess.run(
        [POVSIM, "calibrate", str(path), "--scenario", "demo", "--households", "400",
         "--params", "population.income_median=3500:7000", "--params", "budget_scale=0.5:2",
         "--fit-until", "2017-12", "--replicates", "1", "--maxiter", "2", "--popsize", "3",
         "--executor", "serial", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fit = json.loads((out / "fit.json").read_text())
    assert fit["held_out_targets"] == ["survey_incidence_2018", "survey_incidence_2019",
                                       "income_2019"]
    assert "survey_incidence_2017" in fit["fitted_targets"]
    assert set(fit["components"]) == set(fit["fitted_targets"])
    # Held-out targets do not enter the loss.
    assert fit["best_loss"] == pytest.approx(sum(fit["components"].values()))
    assert fit["held_out_summary"]["targets"] == 3
    table = pd.read_csv(out / "report" / "targets.csv")
    held = table[table["role"] == "held out"]
    assert fit["held_out_summary"]["mean_abs_relative_error"] == pytest.approx(
        held["relative_error"].abs().mean())
    assert list(held["target"]) == fit["held_out_targets"]
    assert held["model"].notna().all()
    page = (out / "report" / "index.html").read_text()
    assert "Out-of-sample check" in page and "survey_incidence_2019" in page
    for png in ("targets", "loss_components", "trace", "profile"):
        assert (out / "report" / f"{png}.png").stat().st_size > 5000
    overlay = load_scenario(out / "best.yaml")
    assert overlay.name == "demo-calibrated"
    scale = fit["best_parameters"]["budget_scale"]
    demo = load_scenario("demo")
    assert overlay.instruments.microcredit.budget == pytest.approx(
        demo.instruments.microcredit.budget * scale)


class Stop(Exception):
    pass


def _small_spec(tmp_path: Path, **kw) -> dict:
    targets = ROOT / "calibration" / "targets" / "synthetic_example.yaml"
    return {"name": "resume", "targets": str(targets), "scenario": "demo", "households": 300,
            "replicates": 1, "executor": "serial",
            "parameters": [{"name": "population.income_median", "low": 3000, "high": 8000}],
            "optimizer": {"seed": 5, "popsize": 4, "maxiter": 3, "tol": 0.0}} | kw


def test_interrupted_fit_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    spec = parse_spec(_small_spec(tmp_path))
    whole = calibrate(spec, tmp_path / "whole")

    done: list[int] = []

    def stop_after_two(batch: int, new: list) -> None:
        done.append(len(new))
        if batch == 2:
            raise Stop

    with pytest.raises(Stop):
        calibrate(spec, tmp_path / "cut", on_batch=stop_after_two)
    saved = (tmp_path / "cut" / "checkpoint.jsonl").read_text().splitlines()
    n_saved = sum(done)
    assert len(done) == 2 and n_saved >= 10  # two batches of >= 5 (scipy's minimum)
    assert len(saved) == 1 + n_saved  # header + every point of the finished batches
    resumed = calibrate(spec, tmp_path / "cut")
    assert resumed.reused >= n_saved
    assert resumed.simulated == len(whole.evaluations) - n_saved
    assert resumed.best.x == whole.best.x and resumed.best.loss == whole.best.loss
    assert [e.x for e in resumed.evaluations] == [e.x for e in whole.evaluations]
    # A finished fit re-run simulates nothing.
    again = calibrate(spec, tmp_path / "cut")
    assert again.simulated == 0 and again.best.x == whole.best.x
    # A checkpoint of another spec is refused, not silently mixed in.
    other = parse_spec(_small_spec(tmp_path, replicates=2))
    with pytest.raises(CalibrationError, match="checkpoint belongs to another calibration"):
        calibrate(other, tmp_path / "cut")
    fresh = Evaluator(Problem.build(other), tmp_path / "cut" / "checkpoint.jsonl", restart=True)
    assert fresh.cache == {}
    assert len((tmp_path / "cut" / "checkpoint.jsonl").read_text().splitlines()) == 1


def test_local_optimizer_is_bounded_and_checkpointed(tmp_path: Path) -> None:
    spec = parse_spec(_small_spec(tmp_path, parameters=[
        {"name": "population.income_median", "low": 3000, "high": 8000, "start": 3500}],
        optimizer={"method": "nelder-mead", "max_evaluations": 6}))
    first = calibrate(spec, tmp_path / "nm")
    assert 2 <= len(first.evaluations) <= 8
    assert first.evaluations[0].x == [3500.0]
    assert all(3000 <= e.x[0] <= 8000 for e in first.evaluations)
    assert first.best.loss <= first.evaluations[0].loss
    again = calibrate(spec, tmp_path / "nm")
    assert again.simulated == 0 and again.best.x == first.best.x


@pytest.mark.xdist_group("calibration")
def test_losses_do_not_depend_on_the_executor(tmp_path: Path) -> None:
    points = [np.array([4200.0]), np.array([6100.0])]
    serial = Evaluator(Problem.build(parse_spec(_small_spec(tmp_path, replicates=2))), None)
    pool = Evaluator(Problem.build(parse_spec(_small_spec(tmp_path, replicates=2,
                                                          executor="process", workers=2))),
                     None)
    assert serial.batch(points) == pool.batch(points)
    # Both executors ran the spec's replicate seeds (seed_base 1000, 2 replicates).
    assert serial.problem.spec.seeds == pool.problem.spec.seeds == [1000, 1001]


def test_truncated_runs_match_full_runs() -> None:
    """The calibrator simulates only up to the last target month; that prefix must be the
    same as in a full run."""
    full = load_scenario("demo", households=300)
    short = with_overrides(full, {"months": 30})
    a, b = run(full, 3).monthly, run(short, 3).monthly
    cols = ["income_poverty_incidence", "registered_poor_incidence", "income_pc",
            "official_exits", "ever_joined_microcredit"]
    pd.testing.assert_frame_equal(a[cols].iloc[:30], b[cols])


def test_spec_and_parameter_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match=r"field 'parameters.0': low \(5.0\) must be"):
        parse_spec(_small_spec(tmp_path, parameters=[{"name": "x.y", "low": 5, "high": 1}]),
                   "cal.yaml")
    with pytest.raises(CalibrationError, match=r"(?s)cal.yaml.*field 'replicats': unknown field"):
        parse_spec(_small_spec(tmp_path, replicats=2), "cal.yaml")
    with pytest.raises(CalibrationError, match="expected NAME=LOW:HIGH"):
        parse_param("population.income_median=3000")
    assert parse_param("budget_scale=0.5:2").scale == ["instruments.*.budget"]
    spec = parse_spec(_small_spec(tmp_path, parameters=[
        {"name": "population.income_medain", "low": 1, "high": 2}]))
    with pytest.raises(CalibrationError, match="no field 'population.income_medain'"):
        Problem.build(spec)
    spec = parse_spec(_small_spec(tmp_path, parameters=[
        {"name": "population.phone_ownership", "low": 0.5, "high": 1.5}]))
    with pytest.raises(CalibrationError, match="invalid scenario"):
        Problem.build(spec).scenario(np.array([1.5]))
    spec = parse_spec(_small_spec(tmp_path, exclude=["no_such_target"]))
    with pytest.raises(CalibrationError, match="unknown target"):
        Problem.build(spec)
    proc = subprocess.run([POVSIM, "calibrate", str(ROOT / "calibration" / "targets" /
                                                     "liangshan.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "give --scenario" in proc.stderr and not proc.stdout


def test_max_evaluations_is_a_hard_cap(tmp_path: Path) -> None:
    """Differential evolution's batches are popsize x D points; the cap cuts mid-batch."""
    spec = parse_spec(_small_spec(tmp_path, optimizer={"seed": 5, "popsize": 5, "maxiter": 9,
                                                       "tol": 0.0, "max_evaluations": 7}))
    fit = calibrate(spec, tmp_path / "capped")
    assert fit.simulated == 7 and len(fit.evaluations) == 7
    assert "max_evaluations = 7" in fit.optimizer_message
    again = calibrate(spec, tmp_path / "capped")  # the checkpoint counts towards the cap
    assert again.simulated == 0 and again.best.x == fit.best.x
