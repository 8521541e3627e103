"""Sweeps: spec validation with clear errors, the designs, executor equivalence to the bit,
the report, and sensitivity analysis recovering a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.runs.executors import Task, run_tasks
from simulation.sweeps import store
from simulation.sweeps.sensitivity import analyse
from simulation.sweeps.spec import (
    SweepError,
    load_spec,
    make_plan,
    parse_spec,
    run_sweep,
    spec_from_args,
)

SMALL = {"scenario": "demo", "households": 400, "set": {"months": 24}}
MC = "instruments.microcredit.budget"
GAIN = "instruments.tourism.annual_gain"


# ------------------------------------------------------------------------ the spec
def test_bad_spec_file_names_file_field_and_expectation(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\nscenario: demo\nvary:\n  instruments.microcredit.budget: 5e8:0\n"
                 "replicates: 0\nsampels: 3\n")
    with pytest.raises(SweepError) as err:
        load_spec(f)
    msg = str(err.value)
    assert str(f) in msg
    assert "field 'vary.instruments.microcredit.budget': expected high > low" in msg
    assert "field 'replicates'" in msg and "greater than or equal to 1" in msg
    assert "field 'sampels': unknown field (expected one of: name" in msg


@pytest.mark.parametrize(("data", "expect"), [
    ({"vary": {MC: [0, 1e8]}, "design": "sobol"}, "design 'sobol' samples ranges"),
    ({"vary": {MC: "0:1e8"}, "design": "replicates"}, "design 'replicates' runs the base"),
    ({"vary": {MC: "lots:more"}}, f"'{MC}': range bounds must be numbers"),
    ({"vary": {MC: "0:1e8:lin"}}, "expected LOW:HIGH or LOW:HIGH:log"),
    ({"vary": {MC: {"low": 0, "high": 1, "log": True}}}, "log range needs low > 0"),
    ({"vary": {MC: "0:1e8"}, "set": {MC: 5}}, "both fixed in 'set' and varied"),
    ({"vary": {MC: "0:1"}, "design": "morris", "levels": 3}, "even number of levels"),
])
def test_spec_rules(data, expect):
    with pytest.raises(SweepError, match="invalid sweep spec") as err:
        parse_spec({**SMALL, **data}, "spec.yaml")
    assert expect in str(err.value)


def test_plan_rejects_unknown_paths_and_out_of_range_values():
    with pytest.raises(SweepError, match="'vary.instruments.microcredit.budgt': not a scenario"):
        make_plan(parse_spec({**SMALL, "vary": {"instruments.microcredit.budgt": "0:1"}}))
    with pytest.raises(SweepError, match=r"overhead': value 2\.0 is not allowed.*less than or "
                                         "equal to 1"):
        make_plan(parse_spec({**SMALL, "vary": {"instruments.microcredit.overhead": "0:2"}}))
    with pytest.raises(SweepError, match="scenario file not found: nowhere"):
        make_plan(parse_spec({**SMALL, "scenario": "nowhere"}))


def test_command_line_flags_make_the_same_spec_as_a_file(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(f"name: mc\nscenario: demo\nhouseholds: 400\nset: {{months: 24}}\n"
                 f"vary:\n  {MC}: 0:5e8\n  region.network.neighbours: [4, 8]\n"
                 "replicates: 3\n")
    from_file = load_spec(f)
    from_flags = spec_from_args("demo", [f"{MC}=0:5e8", "region.network.neighbours=4,8"],
                                ["months=24"], households=400, replicates=3, name="mc")
    assert from_file == from_flags
    assert from_file.design == "grid"  # a list of values makes a grid by default
    assert make_plan(from_file).sweep_id == make_plan(from_flags).sweep_id


# ----------------------------------------------------------------------- designs
def test_grid_is_the_full_product_with_integer_fields_rounded():
    plan = make_plan(parse_spec({**SMALL, "design": "grid", "levels": 3, "replicates": 2,
                                 "vary": {MC: "0:4e8", "region.network.neighbours": "2:7",
                                          "instruments.microcredit.delivery":
                                              ["routine", "campaign"]}}))
    assert len(plan.points) == 3 * 3 * 2 and len(plan.tasks) == 36
    assert sorted(plan.points[MC].unique()) == [0.0, 2e8, 4e8]
    assert sorted(plan.points["region.network.neighbours"].unique()) == [2, 4, 7]
    assert {t.seed for t in plan.tasks} == {1, 2}
    assert len(set(plan.run_keys)) == 36  # every point is a distinct scenario


def test_latin_hypercube_stratifies_every_parameter_and_is_reproducible():
    spec = parse_spec({**SMALL, "design": "lhs", "samples": 20, "seed": 5,
                       "vary": {MC: "0:5e8", "behaviour.gain": {"low": 0.5, "high": 8,
                                                               "log": True}}})
    plan = make_plan(spec)
    x = plan.points[MC].to_numpy(dtype=float) / 5e8
    assert sorted(np.floor(x * 20).astype(int)) == list(range(20))  # one point per stratum
    g = np.log10(plan.points["behaviour.gain"].to_numpy(dtype=float) / 0.5) / np.log10(16)
    assert sorted(np.floor(g * 20).astype(int)) == list(range(20))  # log-uniform strata
    assert make_plan(spec).points.equals(plan.points)
    other = make_plan(parse_spec({**spec.model_dump(), "seed": 6}))
    assert not other.points[MC].equals(plan.points[MC]) and other.sweep_id != plan.sweep_id


def test_sobol_morris_and_replicate_design_sizes():
    two = {MC: "0:5e8", GAIN: "1000:9000"}
    sob = make_plan(parse_spec({**SMALL, "design": "sobol", "samples": 8, "vary": two}))
    assert len(sob.points) == 8 * (2 + 2)
    sob2 = make_plan(parse_spec({**SMALL, "design": "sobol", "samples": 8, "vary": two,
                                 "second_order": True}))
    assert len(sob2.points) == 8 * (2 * 2 + 2)
    mor = make_plan(parse_spec({**SMALL, "design": "morris", "samples": 5, "vary": two}))
    assert len(mor.points) == 5 * (2 + 1)
    levels = np.linspace(0, 5e8, 4)
    got = mor.points[MC].to_numpy(dtype=float)
    assert np.isclose(got[:, None], levels[None, :], rtol=1e-12).any(axis=1).all()
    qmc = make_plan(parse_spec({**SMALL, "design": "qmc", "samples": 16, "vary": two}))
    assert qmc.points[MC].between(0, 5e8).all() and len(qmc.points) == 16
    rep = make_plan(parse_spec({**SMALL, "replicates": 5, "seed": 10}))
    assert rep.spec.design == "replicates" and len(rep.points) == 1
    assert [t.seed for t in rep.tasks] == [10, 11, 12, 13, 14]


def test_several_base_scenarios_cross_the_design(tmp_path):
    plan = make_plan(parse_spec({**SMALL, "scenario": ["demo", "liangshan"],
                                 "vary": {MC: [0, 1e8]}}))
    assert list(plan.points["scenario"]) == ["demo", "demo", "liangshan", "liangshan"]
    assert len(set(plan.run_keys)) == 4


# -------------------------------------------------------------------- executors
@pytest.mark.xdist_group("dask")  # uses both cores
def test_serial_and_process_pool_give_identical_numbers():
    # Loans are made on demand: the demo's two years of loans cost ~16 M yuan, so budgets
    # up to 2e7 bind and the points differ.
    plan = make_plan(parse_spec({**SMALL, "design": "lhs", "samples": 4, "replicates": 2,
                                 "vary": {MC: "0:2e7", "behaviour.peer": "0:4"}}))
    serial = {t.tag: r for t, r in run_tasks(plan.tasks, "serial")}
    pooled = {t.tag: r for t, r in run_tasks(plan.tasks, "process", workers=2)}
    assert serial.keys() == pooled.keys() and len(serial) == 8
    for tag, r in serial.items():
        pd.testing.assert_frame_equal(r.monthly, pooled[tag].monthly, check_exact=True)
        assert r.summary == pooled[tag].summary or all(
            a == b or (np.isnan(a) and np.isnan(b))
            for a, b in zip(r.summary.values(), pooled[tag].summary.values(), strict=True))
        assert r.meta["run_key"] == pooled[tag].meta["run_key"]
    # Different points really differ: the comparison is not vacuous.
    assert len({r.summary["people_lifted_end"] for r in serial.values()}) > 2


def test_process_pool_generator_can_be_abandoned_early():
    base = parse_spec({**SMALL, "replicates": 6})
    tasks = make_plan(base).tasks
    gen = run_tasks(tasks, "process", workers=2, max_in_flight=2)
    first = next(gen)
    gen.close()  # must not run the remaining tasks to completion or hang
    assert isinstance(first[0], Task)


# ---------------------------------------------------------------- sensitivity
def _known_answer_runs(tmp_path, design: str, samples: int):
    """Microcredit budget matters; tourism's annual gain cannot (tourism has no budget)."""
    spec = parse_spec({**SMALL, "households": 250, "name": f"known-{design}", "design": design,
                       "samples": samples, "set": {"months": 24,
                                                   "instruments.tourism.budget": 0},
                       "vary": {MC: "0:5e8", GAIN: "1000:9000"}})
    plan = make_plan(spec)
    with store.Store(tmp_path / "r.duckdb") as st:
        status = run_sweep(plan, st, "serial")
    # Identical runs (Morris trajectories revisit points) are run once.
    assert status.complete and status.ran == status.unique == len(set(plan.run_keys))
    return spec, store.load_runs(tmp_path / "r.duckdb", plan.sweep_id)


def test_sobol_total_order_index_of_the_only_active_parameter_dominates(tmp_path):
    spec, runs = _known_answer_runs(tmp_path, "sobol", 16)
    outcome = "participation_microcredit_mean"
    assert runs[outcome].std() > 0
    res = analyse(runs, spec, [outcome])
    st = res[(res["method"] == "sobol") & (res["index"] == "ST")].set_index("param")
    s1 = res[(res["method"] == "sobol") & (res["index"] == "S1")].set_index("param")
    assert st.loc[MC, "value"] > 0.5
    assert st.loc[MC, "value"] - st.loc[MC, "conf"] > st.loc[GAIN, "value"] + st.loc[GAIN,
                                                                                     "conf"]
    assert abs(st.loc[GAIN, "value"]) < 0.05 and abs(s1.loc[GAIN, "value"]) < 0.05
    assert np.isfinite(st["conf"]).all() and (st["conf"] >= 0).all()


def test_morris_ranks_the_only_active_parameter_first(tmp_path):
    spec, runs = _known_answer_runs(tmp_path, "morris", 6)
    res = analyse(runs, spec, ["participation_microcredit_mean", "incidence_end"])
    for outcome in ("participation_microcredit_mean", "incidence_end"):
        mu = res[(res["outcome"] == outcome) & (res["index"] == "mu_star")].set_index("param")
        assert mu.loc[MC, "value"] > 0
        assert mu.loc[GAIN, "value"] == 0  # its elementary effects are exactly zero


# ------------------------------------------------------------------ CLI + report
def test_cli_sweep_run_report_list_and_sql(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "r.duckdb"
    args = ["sweep", "run", "--scenario", "demo", "--households", "300", "--set", "months=24",
            "--vary", f"{MC}=0:1e7", "--vary", "behaviour.peer=0:4", "--samples", "6",
            "--replicates", "2", "--design", "lhs", "--name", "cli", "--executor", "serial",
            "--db", str(db), "--parquet", str(tmp_path / "pq"), "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 of 12 distinct runs already stored" in out and "done: 12 run(s)" in out
    assert main(args) == 0  # resumes: nothing left to run
    assert "12 of 12 distinct runs already stored" in capsys.readouterr().out

    runs = store.load_runs(db, "cli")
    assert len(runs) == 12 and runs["run_key"].is_unique
    assert {MC, "behaviour.peer", "incidence_end", "seed", "replicate"} <= set(runs.columns)
    pd.testing.assert_frame_equal(runs, store.load_runs(tmp_path / "pq", "cli"),
                                  check_dtype=False)

    rep = tmp_path / "rep"
    assert main(["sweep", "report", str(db), "--out", str(rep)]) == 0
    printed = capsys.readouterr().out
    assert "Sensitivity" in printed and "12 of 12 runs stored" in printed
    for name in ("distributions.csv", "sensitivity.csv", "report.md", "sensitivity.png",
                 f"outcome_vs_{MC}.png", "outcome_vs_behaviour.peer.png"):
        assert (rep / name).stat().st_size > 500, name
    dist = pd.read_csv(rep / "distributions.csv")
    assert set(dist["n"]) == {2} and len(dist["point_id"].unique()) == 6
    sens = pd.read_csv(rep / "sensitivity.csv")
    assert {"rbd_fast", "spearman"} <= set(sens["method"])
    # Budget drives microcredit take-up where it binds (loans on demand cost ~16 M yuan in
    # these two years): positive rank correlation across runs.
    rho = sens[(sens["method"] == "spearman") & (sens["param"] == MC)
               & (sens["outcome"] == "participation_microcredit_mean")]["value"].iloc[0]
    assert rho > 0.5

    assert main(["sweep", "list", str(db)]) == 0
    assert "cli-" in capsys.readouterr().out
    assert main(["sweep", "sql", str(tmp_path / "pq"),
                 "SELECT count(DISTINCT run_key) AS n FROM monthly"]) == 0
    assert capsys.readouterr().out.split()[-1] == "12"


def test_cli_bad_vary_is_a_clear_error(tmp_path, capsys):
    code = main(["sweep", "run", "--scenario", "demo", "--vary", f"{MC}=5e8:0",
                 "--db", str(tmp_path / "r.duckdb")])
    assert code == 2
    assert "command line: invalid sweep spec" in capsys.readouterr().err


def test_spec_file_resolves_scenarios_next_to_it_and_flags_add_to_it(tmp_path, capsys,
                                                                     monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.yaml").write_text("extends: demo\nname: mine\n")
    (tmp_path / "sub" / "s.yaml").write_text(
        f"name: ff\nscenario: mine.yaml\nhouseholds: 300\nset: {{months: 24}}\n"
        f"vary:\n  {MC}: 0:5e8\nsamples: 3\n")
    monkeypatch.chdir(tmp_path)
    spec = load_spec("sub/s.yaml")
    assert spec.scenario == str((tmp_path / "sub" / "mine.yaml").resolve())
    assert main(["sweep", "run", "sub/s.yaml", "--vary", "behaviour.trust=1,2",
                 "--replicates", "2", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "design grid, 10 point(s) x 2 replicate(s) = 20 runs" in out


def test_grid_with_text_levels_is_stored_and_reported(tmp_path):
    spec = parse_spec({**SMALL, "name": "levels", "households": 250,
                       "vary": {"instruments.microcredit.delivery": ["routine", "campaign"],
                                MC: [0, 3e8]}})
    plan = make_plan(spec)
    with store.Store(tmp_path / "r.duckdb") as st:
        run_sweep(plan, st, "serial")
    runs = store.load_runs(tmp_path / "r.duckdb")
    assert list(runs["instruments.microcredit.delivery"]) == ["routine", "routine",
                                                               "campaign", "campaign"]
    assert list(runs[MC]) == [0.0, 3e8, 0.0, 3e8]
    from simulation.sweeps import report as sweep_report
    rep = sweep_report.build(tmp_path / "r.duckdb")
    files = sweep_report.write(rep, tmp_path / "rep")
    assert (tmp_path / "rep" / "outcome_vs_instruments.microcredit.delivery.png") in files
    on = rep.distributions[(rep.distributions["outcome"] == "participation_microcredit_mean")
                           & (rep.distributions[MC] == 3e8)]
    assert len(on) == 2 and (on["mean"] > 0).all()


def test_sobol_plumbing_recovers_the_ishigami_indices():
    """Design order, point ids and SALib calls checked against analytic Sobol indices of the
    Ishigami function (a = 7, b = 0.1), evaluated at the planned points instead of the model."""
    names = ["behaviour.intercept", "behaviour.gain", "behaviour.trust"]
    spec = parse_spec({**SMALL, "design": "sobol", "samples": 512, "seed": 3,
                       "vary": {n: {"low": -np.pi, "high": np.pi} for n in names}})
    plan = make_plan(spec)
    x = plan.points[names].to_numpy(dtype=float)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    runs = plan.points.assign(replicate=0, ishigami=y)
    res = analyse(runs, spec, ["ishigami"]).query("method == 'sobol'")
    got = res.pivot(index="param", columns="index", values="value").loc[names]
    # Exactly SALib's estimates on the same sample in the same order ...
    from SALib.analyze import sobol
    from SALib.sample import sobol as sobol_sample
    problem = {"num_vars": 3, "names": names, "bounds": [[-np.pi, np.pi]] * 3}
    x_ref = sobol_sample.sample(problem, 512, calc_second_order=False, seed=3)
    assert np.array_equal(x_ref, x)
    ref = sobol.analyze(problem, y, calc_second_order=False, seed=0)
    assert np.allclose(got["S1"], ref["S1"]) and np.allclose(got["ST"], ref["ST"])
    # ... which are close to the analytic indices (the estimator is noisy at N = 512).
    truth = pd.DataFrame({"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]},
                         index=names)
    assert np.allclose(got[["S1", "ST"]], truth, atol=0.12), got
    assert got["ST"].idxmin() == "behaviour.trust" and got["S1"].idxmax() == "behaviour.gain"
