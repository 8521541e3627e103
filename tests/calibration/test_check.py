"""`povsim check`: every target of a bundled region gets a row (compared or said why not),
errors are in units of the target's uncertainty, and the page and its figure are written."""

from __future__ import annotations

import math

import pytest

from simulation.calibration import check
from simulation.calibration.spec import load_spec
from simulation.calibration.targets import load_targets


@pytest.fixture(scope="module")
def changting():
    spec = load_spec(check.calibration_dir() / "changting.yaml")
    return check.check_region(spec, households=400, replicates=2, executor="serial")


def test_every_target_has_a_row(changting) -> None:
    targets = load_targets(check.calibration_dir() / "targets" / "changting.yaml").targets
    assert sorted(changting.table["target"]) == sorted(t.name for t in targets)
    used = changting.table[changting.table["used"]]
    assert len(used) >= 1
    for r in used.itertuples():
        if r.z != 0.0:  # bounds met count as 0
            assert r.z == pytest.approx((r.model - r.reported) / r.sigma)
        assert r.within == (math.isfinite(r.z) and abs(r.z) <= check.Z_WITHIN)
    assert (changting.table.loc[~changting.table["used"], "note"] != "").all()


def test_register_record_and_page(changting, tmp_path) -> None:
    record = check.register_record(changting)
    assert record.loc["2020", "registered_poor_incidence"] <= 0.005
    assert {"returns_per_exit", "paper_share", "wrongful_share"} <= set(record.columns)
    page = check.write_page([changting], tmp_path / "validation.md", "povsim check test")
    text = page.read_text()
    assert "## changting" in text and "povsim check test" in text
    assert (tmp_path / "img" / "validation-changting.png").stat().st_size > 10_000


def test_unknown_region_is_a_clear_error(capsys) -> None:
    from simulation.cli import main

    assert main(["check", "atlantis"]) == 2
    assert "unknown region" in capsys.readouterr().err


def test_posterior_band_on_the_page(tmp_path) -> None:
    import json

    import pandas as pd

    from simulation.calibration.posterior import code_fingerprint

    folder = tmp_path / "results" / "somewhere" / "posterior"
    assert "No posterior yet for somewhere" in "\n".join(
        check.posterior_markdown("somewhere", tmp_path))
    folder.mkdir(parents=True)
    pd.DataFrame([{"target": "inc", "unit": "share", "observed": 0.21, "predictive_q05": 0.18,
                   "predictive_median": 0.2, "predictive_q95": 0.25, "covered": True},
                  {"target": "lifted", "unit": "people", "observed": 460000.0,
                   "predictive_q05": 1e5, "predictive_median": 2e5, "predictive_q95": 3e5,
                   "covered": False}]).to_csv(folder / "predictive.csv", index=False)
    meta = {"particles": 120, "households": 2000, "spec": {"replicates": 1},
            "model_version": "0.1.0", "git_commit": "abc", "converged": True,
            "code_fingerprint": code_fingerprint()}
    (folder / "posterior.json").write_text(json.dumps(meta))
    text = "\n".join(check.posterior_markdown("somewhere", tmp_path))
    assert "| inc | 21.00% | 18.00% | 20.00% | 25.00% | yes |" in text
    assert "| lifted | 460,000 | 100,000 | 200,000 | 300,000 | **no** |" in text
    assert "other model" not in text and "did not converge" not in text
    meta |= {"code_fingerprint": "0" * 12, "converged": False}
    (folder / "posterior.json").write_text(json.dumps(meta))
    text = "\n".join(check.posterior_markdown("somewhere", tmp_path))
    assert "made by other model or calibration code" in text and "did not converge" in text
