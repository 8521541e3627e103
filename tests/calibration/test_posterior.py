"""The posterior (tempered SMC over the targets' likelihood): the sampler against an exact
posterior, draws and tables written, reproducible across executors, resumable, concentrated
where the targets inform a parameter and flagged where they do not, SBC bookkeeping, and
clear errors. Model fits here are tiny (100 households, one year, 20-40 particles)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.calibration.posterior import Prior, fit_posterior, read_metadata
from simulation.calibration.sbc import coverage_table, synthetic_targets, write_tiny_case
from simulation.calibration.smc import next_beta, tempered_smc
from simulation.calibration.spec import CalibrationError, load_spec, parse_spec
from simulation.calibration.targets import load_targets

POVSIM = str(Path(sys.executable).with_name("povsim"))
UNUSED = {"name": "epidemic_drop", "path": "economy.shocks.epidemic.migrant_employment_drop",
          "low": 0.1, "high": 0.9}  # acts from 2020: no 2014 target depends on it


def _spec(tmp_path: Path, particles: int = 20, **posterior) -> dict:
    """The tiny case (2014 incidence, register share, income) at 100 households."""
    data = yaml.safe_load(write_tiny_case(tmp_path / "case", households=100).read_text())
    data["targets"] = str(tmp_path / "case" / "tiny_targets.yaml")
    data["posterior"] |= {"particles": particles} | posterior
    return data


# ---------------------------------------------------------------------- the sampler alone
class Box:
    def __init__(self, low: list[float], high: list[float]):
        self.low, self.high = np.array(low), np.array(high)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.low + rng.uniform(size=(n, len(self.low))) * (self.high - self.low)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        ok = ((x >= self.low) & (x <= self.high)).all(axis=1)
        return np.where(ok, 0.0, -np.inf)


@dataclass
class Scored:
    loglik: float


def test_sampler_recovers_an_exact_gaussian_posterior() -> None:
    """Linear-Gaussian model with a flat prior: mean, sd and correlation are known exactly."""
    a = np.array([[1.0, 1.0], [1.0, -0.5], [0.3, 0.0]])
    sig = np.array([0.05, 0.1, 0.2])
    y = a @ np.array([0.3, 0.6]) + np.array([0.02, -0.05, 0.1])
    calls: list[int] = []

    def evaluate(xs: np.ndarray, ids: np.ndarray) -> list[Scored]:
        calls.append(len(xs))
        r = (xs @ a.T - y) / sig
        return [Scored(-0.5 * float(v)) for v in (r ** 2).sum(axis=1)]

    res = tempered_smc(Box([-2, -2], [2, 2]), evaluate, 1000, seed=3)
    prec = a.T @ np.diag(sig ** -2) @ a
    cov = np.linalg.inv(prec)
    mu = cov @ a.T @ np.diag(sig ** -2) @ y
    sd = np.sqrt(np.diag(cov))
    assert res.converged and res.evaluations == sum(calls)
    assert np.all(np.abs(res.x.mean(axis=0) - mu) < 0.1 * sd)
    assert np.all(np.abs(res.x.std(axis=0) / sd - 1) < 0.1)
    assert np.corrcoef(res.x.T)[0, 1] == pytest.approx(cov[0, 1] / sd[0] / sd[1], abs=0.05)
    # The prior is 4x4 and the posterior ~0.07 wide: tempering took several steps.
    assert len(res.steps) >= 3 and all(s.ess >= 0.5 * 1000 - 1e-6 for s in res.steps[:-1])


def test_next_temperature_keeps_the_chosen_ess() -> None:
    ll = -np.linspace(0, 50, 200)
    b = next_beta(ll, 0.0, 0.5)
    w = np.exp(b * ll)
    assert 0 < b < 1 and w.sum() ** 2 / (w * w).sum() == pytest.approx(100, rel=1e-6)
    assert next_beta(np.zeros(10), 0.3, 0.5) == 1.0  # flat likelihood: straight to β = 1


# ---------------------------------------------------------------------- on the model
@pytest.mark.xdist_group("posterior")
def test_posterior_concentrates_where_identified_and_flags_what_is_not(tmp_path: Path) -> None:
    """Data made by the model at a known truth (no noise drawn, so the truth is the best
    fit): income level and spread are pinned near it; a parameter no 2014 target depends on
    keeps its prior spread and is flagged."""
    data = _spec(tmp_path, particles=30, min_moves=1, max_moves=2)
    data["parameters"].append(UNUSED)
    spec = parse_spec(data)
    truth = np.array([5400.0, 0.62, 0.5])
    synthetic = synthetic_targets(spec, truth, 0, tmp_path / "truth.yaml",
                                  np.random.default_rng(4), noise=False)
    spec = parse_spec(data | {"targets": str(synthetic),
                              "assumptions": ["the start income is log-normal (a note)"]})
    out = tmp_path / "post"
    res = fit_posterior(spec, out)
    assert res.converged
    draws = pd.read_parquet(out / "posterior.parquet")
    assert list(draws.columns) == ["income_median", "income_sigma", "epidemic_drop", "weight"]
    assert len(draws) == 30 and draws["weight"].sum() == pytest.approx(1.0)
    meta = read_metadata(out / "posterior.parquet")
    assert meta["converged"] and meta["parameters"] == list(draws.columns[:-1])
    assert meta["model_version"] and meta["posterior_fingerprint"] == res.fingerprint
    ident = pd.read_csv(out / "identifiability.csv").set_index("parameter")
    prior_sd = Prior(spec).sd
    assert ident["prior_sd"].tolist() == pytest.approx(prior_sd.tolist())
    for name, j in (("income_median", 0), ("income_sigma", 1)):
        row = ident.loc[name]
        assert row["sd_ratio"] < 0.4 and row["verdict"] == "identified", row
        assert row["q05"] <= truth[j] <= row["q95"], (name, row)
    assert abs(ident.loc["income_median", "posterior_mean"] - 5400) < 0.05 * 5400
    assert ident.loc["epidemic_drop", "sd_ratio"] > 0.8
    assert ident.loc["epidemic_drop", "verdict"] == "not identified"
    pred = pd.read_csv(out / "predictive.csv")
    targets = [t.name for t in load_targets(synthetic).targets]
    assert pred["target"].tolist() == targets
    assert (pred["predictive_q05"] <= pred["predictive_median"]).all()
    assert (pred["predictive_median"] <= pred["predictive_q95"]).all()
    assert pred["covered"].all()  # data made by the model itself
    report = (out / "report.md").read_text()
    assert "not identified" in report
    assert "## What was assumed\n\n- the start income is log-normal (a note)" in report


@pytest.mark.xdist_group("posterior")
def test_same_seed_same_draws_serial_or_pool_and_resume(tmp_path: Path) -> None:
    """Serial and a 2-process pool give identical draws; an interrupted run resumes from its
    checkpoint to exactly the uninterrupted result; another seed gives other draws."""
    data = _spec(tmp_path, max_generations=2, max_moves=1)
    serial = fit_posterior(parse_spec(data), tmp_path / "serial")
    pool = fit_posterior(parse_spec(data | {"executor": "process", "workers": 2}),
                         tmp_path / "pool")
    pd.testing.assert_frame_equal(serial.draws, pool.draws)
    assert serial.simulated == pool.simulated == serial.smc.evaluations

    class Stop(Exception):
        pass

    def stop(batch: int, new: list) -> None:
        if batch == 2:  # after the prior draw and the first move (3 batches in all)
            raise Stop

    with pytest.raises(Stop):
        fit_posterior(parse_spec(data), tmp_path / "cut", on_batch=stop)
    saved = len((tmp_path / "cut" / "checkpoint.jsonl").read_text().splitlines()) - 1
    assert 0 < saved < serial.smc.evaluations
    resumed = fit_posterior(parse_spec(data), tmp_path / "cut")
    pd.testing.assert_frame_equal(resumed.draws, serial.draws)
    assert resumed.reused >= saved and resumed.simulated == serial.simulated - saved
    other = fit_posterior(parse_spec(data | {"posterior": data["posterior"] | {"seed": 2}}))
    assert not np.allclose(other.draws.to_numpy(), serial.draws.to_numpy())
    # A checkpoint of other posterior settings is refused, not mixed in.
    with pytest.raises(CalibrationError, match="checkpoint belongs to another posterior"):
        fit_posterior(parse_spec(data | {"posterior": data["posterior"] | {"seed": 2}}),
                      tmp_path / "cut")


def test_fresh_seeds_differ_per_evaluation_and_synthetic_data_follow_the_noise(
        tmp_path: Path) -> None:
    from simulation.calibration.fit import Problem
    from simulation.calibration.posterior import PosteriorEvaluator

    data = _spec(tmp_path, seeds="fresh")
    ev = PosteriorEvaluator(Problem.build(parse_spec(data)), None)
    assert ev.seeds_for(0) != ev.seeds_for(1) and ev.seeds_for(5) == ev.seeds_for(5)
    common = PosteriorEvaluator(Problem.build(parse_spec(_spec(tmp_path))), None)
    assert common.seeds_for(0) == common.seeds_for(9) == [1000]
    spec = parse_spec(_spec(tmp_path))
    path = synthetic_targets(spec, np.array([5000.0, 0.6]), 3, tmp_path / "syn.yaml",
                             np.random.default_rng(0))
    syn = load_targets(path).by_name()
    orig = load_targets(spec.targets).by_name()
    # Normal targets keep the original σ as an absolute sd; counts are k / n.
    assert syn["income_2014"].uncertainty.sd == pytest.approx(orig["income_2014"].sigma)
    assert syn["survey_incidence_2014"].value * 500 == pytest.approx(
        round(syn["survey_incidence_2014"].value * 500))
    assert syn["income_2014"].value != orig["income_2014"].value


def test_sbc_coverage_is_nominal_for_exact_posteriors_and_low_when_overconfident() -> None:
    """Normal-normal model: exact posterior draws cover at the nominal rates; draws with a
    third of the posterior sd do not."""
    rng = np.random.default_rng(11)

    def results(shrink: float) -> list[dict]:
        out = []
        for k in range(400):
            theta = rng.normal()
            y = theta + rng.normal()
            draws = rng.normal(y / 2, np.sqrt(0.5) * shrink, size=(200, 1))
            out.append({"k": k, "truth": [theta], "draws": draws, "weights": np.ones(200)})
        return out

    exact = coverage_table(results(1.0), ["theta"]).iloc[0]
    assert exact["coverage_50"] == pytest.approx(0.5, abs=0.07)
    assert exact["coverage_90"] == pytest.approx(0.9, abs=0.05)
    assert exact["rank_sd"] == pytest.approx(0.289, abs=0.03)
    narrow = coverage_table(results(1 / 3), ["theta"]).iloc[0]
    assert narrow["coverage_90"] < 0.6 and narrow["rank_sd"] > 0.35


# ---------------------------------------------------------------------- bad input
def test_bad_posterior_specs_name_the_field(tmp_path: Path) -> None:
    base = _spec(tmp_path)
    cases = [
        ({"particles": 5}, r"field 'posterior.particles': Input should be greater than or "
                           r"equal to 20"),
        ({"min_moves": 4, "max_moves": 2}, r"field 'posterior': max_moves \(2\) must be at "
                                           r"least min_moves \(4\)"),
        ({"priors": {"income_medain": {"kind": "uniform"}}},
         r"posterior.priors names unknown parameter\(s\) \['income_medain'\]"),
        ({"priors": {"income_median": {"kind": "normal", "mean": 5000}}},
         "a normal prior needs mean and sd"),
        ({"seeds": "random"}, r"field 'posterior.seeds': Input should be 'common' or 'fresh'"),
        ({"particle": 100}, r"field 'posterior.particle': unknown field"),
    ]
    for change, message in cases:
        data = base | {"posterior": base["posterior"] | change}
        with pytest.raises(CalibrationError, match=f"(?s)spec.yaml.*{message}"):
            parse_spec(data, "spec.yaml")
    data = base | {"posterior": {"priors": {"income_sigma": {"kind": "loguniform"}}}}
    data["parameters"][1] = data["parameters"][1] | {"low": 0.0}
    with pytest.raises(CalibrationError, match="loguniform prior needs low > 0"):
        parse_spec(data, "spec.yaml")
    # A documented prior is used: loguniform on income_median puts more mass low.
    data = base | {"posterior": {"priors": {"income_median": {"kind": "loguniform"}}}}
    prior = Prior(parse_spec(data))
    assert prior.kinds == ["loguniform", "uniform"]
    assert prior.quantile(0.5)[0] < (3500 + 7500) / 2
    assert np.isneginf(prior.logpdf(np.array([[8000.0, 0.5]])))[0]


def test_posterior_cli_errors(tmp_path: Path) -> None:
    spec = write_tiny_case(tmp_path / "case", households=100)
    load_spec(spec)  # the written case is valid
    for extra, message in ((["--sbc", "3"], "give --method posterior"),
                           (["--method", "posterior", "--dask", "localhost:1"],
                            "expected a scheduler address"),
                           (["--method", "posterior", "--particles", "3"],
                            "posterior.particles")):
        proc = subprocess.run([POVSIM, "calibrate", str(spec), *extra,
                               "--out", str(tmp_path / "o")], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert message in proc.stderr and not proc.stdout
