"""Every input is checked before any work starts: files that are empty or not UTF-8, sizes
against the region, dates against the run window, infinite budgets, output paths that
cannot be written, and existing results are kept unless --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.cli import main
from simulation.errors import safe_name
from simulation.scenario import load_scenario
from simulation.scenario.checks import problems

TINY = ["--households", "200", "--set", "months=3", "--quiet"]


def _run(argv, capsys):
    code = main(argv)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return code, cap


@pytest.mark.parametrize(("content", "expect"), [
    (b"", "the file is empty"),
    (b"# only a comment\n", "the file is empty"),
    (b"name: \xff\xfe\x00bad\n", "not UTF-8 text"),
    (bytes(range(256)), "not UTF-8 text"),
    (b"instruments:\n  microcredit: {budget: .inf}\n", "finite number"),
])
def test_bad_scenario_files_are_clear_errors(tmp_path, capsys, content, expect):
    f = tmp_path / "s.yaml"
    f.write_bytes(content)
    code, cap = _run(["run", str(f), *TINY], capsys)
    assert code == 2 and expect in cap.err and str(f) in cap.err and cap.out == ""


def test_bad_target_file_is_a_clear_error(tmp_path, capsys):
    f = tmp_path / "t.yaml"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    code, cap = _run(["calibrate", str(f), "--scenario", "demo", "--params",
                      "budget_scale=0.5:2"], capsys)
    assert code == 2 and "not UTF-8" in cap.err


def test_warnings_for_likely_mistakes():
    s = load_scenario("demo", ["households=10", "region.households_represented=5"])
    said = " ".join(problems(s))
    assert "10 households for 40 villages" in said and "represents only 5" in said
    late = load_scenario("demo", ["start=2022-01", "months=12"])
    assert "dated wholly outside the run" in " ".join(problems(late))
    after = load_scenario("demo", ["start=2030-01", "months=12"])
    assert "every instrument" in " ".join(problems(after))
    assert problems(load_scenario("demo")) == []


def test_overlay_without_base_warns(tmp_path, capsys):
    overlay = sorted(Path("scenarios/countermeasures").glob("*.yaml"))[0]
    code, cap = _run(["run", str(overlay), *TINY, "--out", str(tmp_path / "o")], capsys)
    assert code == 0 and "countermeasure overlay" in cap.err and "--base" in cap.err


def test_compare_transition_before_the_run_is_an_error(tmp_path, capsys):
    code, cap = _run(["compare", "--base", "demo", "scenarios/countermeasures/"
                      + sorted(p.name for p in Path("scenarios/countermeasures").iterdir())[0],
                      "--transition", "2001-01", "--replicates", "2", "--quiet",
                      "--out", str(tmp_path / "c")], capsys)
    assert code == 2 and "--transition 2001-01 is outside the run" in cap.err


def test_unwritable_out_and_db_under_a_file_fail_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, cap = _run(["run", "demo", *TINY, "--out", str(blocker / "sub")], capsys)
    assert code == 2 and "is a file, not a folder" in cap.err and "povsim" not in cap.out
    code, cap = _run(["sweep", "run", "--scenario", "demo", "--households", "200",
                      "--replicates", "1", "--db", str(blocker / "r.duckdb"), "--quiet"],
                     capsys)
    assert code == 2 and "is a file, not a folder" in cap.err


def test_existing_results_are_kept_unless_force(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run(["run", "demo", *TINY], capsys)[0] == 0
    first = tmp_path / "results" / "demo-seed1"
    stamp = (first / "meta.json").read_text()
    code, cap = _run(["run", "demo", *TINY], capsys)
    assert code == 0 and "already exists: writing" in cap.err
    assert (first / "meta.json").read_text() == stamp  # kept
    assert len(list((tmp_path / "results").glob("demo-seed1-*"))) == 1  # a new dated one
    code, cap = _run(["run", "demo", *TINY, "--out", str(first)], capsys)
    assert code == 2 and "--force" in cap.err
    assert _run(["run", "demo", *TINY, "--out", str(first), "--force"], capsys)[0] == 0


def test_names_cannot_escape_results(tmp_path, capsys, monkeypatch):
    assert safe_name("../../etc/x") == "etc-x" and safe_name("..") == "scenario"
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "evil.yaml"
    f.write_text("name: ../../escaped\nhouseholds: 200\nmonths: 3\n")
    assert _run(["run", str(f), "--quiet"], capsys)[0] == 0
    assert not (tmp_path.parent / "escaped-seed1").exists()
    assert (tmp_path / "results" / "escaped-seed1").is_dir()


def test_sobol_with_too_few_samples_warns(capsys):
    import pandas as pd

    from simulation.sweeps.report import _sobol_note
    from simulation.sweeps.spec import parse_spec

    code, cap = _run(["sweep", "run", "--scenario", "demo", "--design", "sobol", "--samples",
                      "8", "--vary", "instruments.microcredit.budget=0:5e8", "--dry-run"],
                     capsys)
    assert code == 0 and "warning: Sobol indices from a base sample of 8" in cap.err
    spec = parse_spec({"scenario": "demo", "design": "sobol", "samples": 128,
                       "vary": {"instruments.microcredit.budget": "0:5e8"}})
    sens = pd.DataFrame({"method": ["sobol", "sobol"], "index": ["S1", "ST"],
                         "value": [1.4, 0.9]})
    assert "1 index(es) outside [0, 1]" in _sobol_note(sens, spec)
    assert _sobol_note(sens.assign(value=[0.5, 0.6]), spec) == ""
