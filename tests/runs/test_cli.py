"""The command line: run writes every output with its metadata; validate and scenarios."""

import json

import pandas as pd

from simulation.cli import main


def test_run_writes_tables_figure_and_metadata(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "demo", "--seed", "4", "--households", "300", "--set", "months=24",
                 "--out", str(out), "--quiet", "--profile"])
    assert code == 0
    for name in ("monthly.parquet", "monthly.csv", "villages.parquet", "summary.json",
                 "meta.json", "scenario.yaml", "main_curves.png"):
        assert (out / name).stat().st_size > 0, name
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 4 and meta["scenario_name"] == "demo" and meta["model_version"]
    df = pd.read_parquet(out / "monthly.parquet")
    assert len(df) == 24 and (df["run_key"] == meta["run_key"]).all()
    printed = capsys.readouterr().out
    assert "Income-poverty incidence" in printed and "Where the time went" in printed


def test_validate_reports_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("instruments:\n  microcredit:\n    budget: -5\n")
    assert main(["validate", str(bad)]) == 2
    assert "instruments.microcredit.budget" in capsys.readouterr().err
    assert main(["validate", "scenarios/demo.yaml"]) == 0


def test_run_with_bad_override_is_a_clear_error(capsys):
    assert main(["run", "demo", "--set", "households=lots", "--quiet"]) == 2
    assert "households" in capsys.readouterr().err


def test_scenarios_lists_bundled(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in ("demo", "liangshan", "changting", "yunnan"):
        assert name in out
