"""Resume reuses only what the same model code made: the run key ends in a fingerprint of
the model's source, so after an income rule is edited a resumed sweep reruns every run (and
says so) instead of reporting them as reused."""

from __future__ import annotations

import shutil

import numpy as np

from simulation import fingerprint, income
from simulation.fingerprint import ROOT, fingerprint_of, model_files
from simulation.sweeps import store
from simulation.sweeps.spec import make_plan, parse_spec, run_sweep

SPEC = {"scenario": "demo", "households": 300, "set": {"months": 18}, "name": "fp",
        "design": "grid", "vary": {"instruments.microcredit.budget": [0, 2e8]}}


def test_fingerprint_follows_model_code_not_workflow_code(tmp_path):
    copy = tmp_path / "simulation"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint_of(model_files(copy), copy)
    assert before == fingerprint_of(model_files(ROOT), ROOT)
    (copy / "ui" / "app.py").write_text((copy / "ui" / "app.py").read_text() + "\n# note\n")
    (copy / "sweeps" / "report.py").write_text("# rewritten report\n")
    assert fingerprint_of(model_files(copy), copy) == before  # workflow code: no change
    rule = copy / "income.py"
    rule.write_text(rule.read_text().replace("hh.wage_base * hh.wage_multiplier",
                                             "1.1 * hh.wage_base * hh.wage_multiplier"))
    assert fingerprint_of(model_files(copy), copy) != before  # an income rule: new key


def test_resumed_sweep_reruns_what_changed_code_computes_differently(tmp_path, monkeypatch):
    db = tmp_path / "r.duckdb"
    with store.Store(db) as st:
        first = run_sweep(make_plan(parse_spec(SPEC)), st, "serial")
    assert first.ran == 2 and first.already == 0
    with store.Store(db) as st:
        again = run_sweep(make_plan(parse_spec(SPEC)), st, "serial")
    assert again.ran == 0 and again.already == 2 and again.stale == 0  # same code: reused

    # "Edit an income rule": wages 10% higher, and (as an edited file would) a new fingerprint.
    original = income.market_income

    def edited(model):
        original(model)
        model.households.income[:, income.Source.WAGE] *= 1.1

    monkeypatch.setattr(income, "market_income", edited)
    monkeypatch.setattr(fingerprint, "code_fingerprint", lambda: "edited000000")
    plan = make_plan(parse_spec(SPEC))
    assert all(k.endswith("-edited000000") for k in plan.run_keys)
    with store.Store(db) as st:
        changed = run_sweep(plan, st, "serial")
    assert changed.already == 0 and changed.ran == 2 and changed.stale == 2
    with store.connect(db) as con:
        rows = con.execute("SELECT run_key, value FROM outcomes WHERE outcome = "
                           "'income_pc_end' ORDER BY run_key").fetchall()
    by_code: dict[str, list[float]] = {}
    for key, value in rows:
        by_code.setdefault(key.rsplit("-", 1)[1], []).append(value)
    assert len(by_code) == 2 and len(by_code["edited000000"]) == 2  # both kept, not mixed
    (old,) = (v for k, v in by_code.items() if k != "edited000000")
    assert not np.allclose(old, by_code["edited000000"])  # the rerun computed new numbers


def test_sweep_cli_says_what_it_reused_and_warns_about_other_code(tmp_path, monkeypatch,
                                                                  capsys):
    from simulation.cli import main

    argv = ["sweep", "run", "--scenario", "demo", "--households", "300", "--set",
            "months=12", "--replicates", "2", "--executor", "serial", "--quiet",
            "--db", str(tmp_path / "r.duckdb")]
    assert main(argv) == 0
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 of 2 distinct runs already stored" in out and "by this model code" in out
    monkeypatch.setattr(fingerprint, "code_fingerprint", lambda: "edited000000")
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "0 of 2 distinct runs already stored" in cap.out
    assert "2 stored run(s) of the same scenario and seed were made by other model code" \
        in cap.out + cap.err
