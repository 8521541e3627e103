"""A joint fit across regions: shared parameters, each member's loss as its own fit
computes it, resumable, with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.calibration.fit import Evaluator
from simulation.calibration.joint import JointEvaluator, JointProblem, load_joint
from simulation.calibration.spec import CalibrationError
from simulation.cli import main

CAL = Path(__file__).resolve().parents[2] / "calibration"


def member_file(tmp_path: Path, name: str, median: tuple[float, float]) -> str:
    """The bundled member spec with a narrower income range (so that a tiny sample always
    has poor households to count)."""
    data = yaml.safe_load((CAL / f"{name}.yaml").read_text())
    data["targets"] = str((CAL / data["targets"]).resolve())
    for p in data["parameters"]:
        if p["name"] == "income_median":
            p["low"], p["high"] = median
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path.name


def joint_file(tmp_path: Path, **extra) -> Path:
    data = {"name": "tiny-joint",
            "members": [member_file(tmp_path, "liangshan", (3000, 4500)),
                        member_file(tmp_path, "changting", (4500, 5500))],
            "shared": [{"name": "assessment_error", "path": "cadres.assessment_error",
                        "low": 0.05, "high": 0.6}],
            "households": 300, "replicates": 1, "executor": "serial",
            "optimizer": {"seed": 3, "maxiter": 1, "popsize": 2}} | extra
    path = tmp_path / "joint.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_shared_parameters_replace_the_members_own_and_losses_add_up(tmp_path):
    spec, members = load_joint(joint_file(tmp_path))
    problem = JointProblem(spec, members)
    # assessment_error is shared: each member keeps income_median and housing_budget
    assert problem.names == ["assessment_error", "liangshan.income_median",
                             "liangshan.housing_budget", "changting.income_median",
                             "changting.housing_budget"]
    x = np.array([0.3, 4000.0, 5e9, 5000.0, 0.2e9])
    assert list(problem.member_x(0, x)) == [4000.0, 0.3, 5e9]  # in the member's own order
    assert problem.member_scenario(1, x).cadres.assessment_error == pytest.approx(0.3)
    # the search starts from the members' shipped values, the shared one at their mean
    start = problem.start()
    values = [m.base.cadres.assessment_error for m in members]
    assert start[0] == pytest.approx(np.mean(values))
    assert start[1] == pytest.approx(min(max(members[0].base.population.income_median, 3000),
                                         4500))
    (loss,) = JointEvaluator(problem, None).batch([x])
    # each member's part is what its own fit scores at the same values
    own = [Evaluator(m, None).batch([problem.member_x(k, x)])[0]
           for k, m in enumerate(members)]
    assert loss == pytest.approx(sum(own))
    assert loss > 0


def test_joint_fit_writes_overlays_and_resumes_from_its_checkpoint(tmp_path):
    path = joint_file(tmp_path)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 0
    summary = json.loads((out / "joint.json").read_text())
    assert summary["members"] == ["liangshan", "changting"]
    assert set(summary["member_losses"]) == {"liangshan", "changting"}
    assert summary["best_loss"] == pytest.approx(sum(summary["member_losses"].values()))
    shared = summary["best_parameters"]["assessment_error"]
    for member in ("liangshan", "changting"):
        overlay = yaml.safe_load((out / f"{member}.yaml").read_text())
        assert overlay["extends"] == member
        assert overlay["cadres"]["assessment_error"] == pytest.approx(shared)
    points = len((out / "checkpoint.jsonl").read_text().splitlines()) - 1
    assert points == summary["evaluations"] > 0
    # the same fit again: every point comes from the checkpoint
    assert main(["calibrate", str(path), "--out", str(out)]) == 0
    again = json.loads((out / "joint.json").read_text())
    assert again["simulated_this_session"] == 0
    assert again["best_parameters"] == summary["best_parameters"]


def test_joint_spec_errors_name_the_file_and_field(tmp_path, capsys):
    bad = joint_file(tmp_path, shared=[{"name": "x", "path": "cadres.no_such_field",
                                        "low": 0, "high": 1}])
    with pytest.raises(CalibrationError, match=r"joint.yaml: shared: x: .*cadres.no_such"):
        load_joint(bad)
    missing = joint_file(tmp_path, members=["nope.yaml", "changting.yaml"])
    assert main(["calibrate", str(missing)]) == 2
    assert "members: nope.yaml: no such calibration spec" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "checkpoint.jsonl").write_text('{"fingerprint": "someone-else"}\n')
    assert main(["calibrate", str(joint_file(tmp_path)), "--out", str(other)]) == 2
    err = capsys.readouterr().err
    assert "checkpoint.jsonl" in err and "belongs to another joint fit" in err
    scaled = joint_file(tmp_path, shared=[{"name": "budgets", "scale": ["instruments.*.budget"],
                                           "low": 0.5, "high": 2}])
    with pytest.raises(CalibrationError, match="shared parameter 'budgets': give a path"):
        load_joint(scaled)
