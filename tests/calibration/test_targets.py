"""Target files: the bundled ones validate, bad ones fail with file/target/field named, and
model values are read at the right months in the right units."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.calibration.likelihood import negative_log_likelihood
from simulation.calibration.targets import (
    TargetError,
    Window,
    load_targets,
    model_value,
    parse_targets,
    split_usable,
)

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "calibration" / "targets"
EXAMPLE = yaml.safe_load((TARGETS / "synthetic_example.yaml").read_text())


@pytest.mark.parametrize("path", sorted(TARGETS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_target_files_validate(path: Path) -> None:
    tf = load_targets(path)
    assert tf.targets
    for t in tf.targets:
        assert t.sigma > 0
        assert t.source


def _broken(edit) -> str:
    data = copy.deepcopy(EXAMPLE)
    edit(data)
    with pytest.raises(TargetError) as info:
        parse_targets(data, "my_region.yaml")
    return str(info.value)


def test_errors_name_file_target_and_field() -> None:
    msg = _broken(lambda d: d["targets"][2]["uncertainty"].pop("sd"))
    assert "my_region.yaml" in msg
    assert "targets[2] (people_lifted_2016_2019)" in msg
    assert "needs uncertainty.sd or uncertainty.relative_error" in msg

    msg = _broken(lambda d: d["targets"][1].__setitem__("unit", "people"))
    assert "survey_incidence_2019" in msg and "expected one of ['share']" in msg

    msg = _broken(lambda d: d["targets"][0].__setitem__("date", "2015-13"))
    assert "targets[0] (registered_incidence_2015).date" in msg and "01..12" in msg

    msg = _broken(lambda d: d["targets"][1].__setitem__("likelhood", "binomial"))
    assert "likelhood" in msg and "unknown field" in msg

    msg = _broken(lambda d: d["targets"][1]["uncertainty"].pop("sample_size"))
    assert "needs uncertainty.sample_size" in msg

    msg = _broken(lambda d: d["targets"][2].pop("period_start"))
    assert "a flow needs period_start" in msg

    msg = _broken(lambda d: d["targets"][0].__setitem__("basis", "survey"))
    assert "expected basis 'register'" in msg

    msg = _broken(lambda d: d["targets"].append(copy.deepcopy(d["targets"][0])))
    assert "used twice" in msg

    msg = _broken(lambda d: d.__setitem__("schema_version", 2))
    assert "schema_version" in msg

    with pytest.raises(TargetError, match="expected a mapping"):
        parse_targets(["not", "a", "mapping"], "list.yaml")


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [\n")
    with pytest.raises(TargetError, match="bad.yaml: not valid YAML"):
        load_targets(bad)


def _frame(months: int = 36, start: str = "2014-01") -> pd.DataFrame:
    """A hand-made monthly table with known values."""
    from simulation.timeline import month_label

    m = np.arange(months)
    return pd.DataFrame({
        "month": m, "date": [month_label(start, i) for i in m],
        "income_poverty_incidence": 0.2 - 0.004 * m,
        "registered_poor_incidence": np.where(m < 12, 0.01 * m, 0.3 - 0.002 * m),
        "incidence_registered": 0.5, "poor_people": (0.2 - 0.004 * m) * 400_000,
        "income_farm": 6000.0 * 1.1 ** (m / 12), "income_wage": 0.0,
        "income_cooperative": 0.0, "income_business": 0.0, "income_transfer": 0.0,
        "official_exits": np.where(m % 12 == 11, 1000.0, 0.0),
        "exits": 500.0, "returns": 10.0,
        "ever_joined_microcredit": 0.001 * m,
    })


def _target(**kw) -> dict:
    base = {"name": "t", "population": {"refers_to": "people", "group": "all_rural",
                                        "scale": "county", "size": 800_000},
            "basis": "register", "uncertainty": {"relative_error": 0.1, "assumed": True},
            "likelihood": "normal", "weight": 1.0, "source": "test"}
    return base | kw


def _one(**kw):
    data = copy.deepcopy(EXAMPLE)
    data["targets"] = [_target(**kw)]
    return parse_targets(data, "t.yaml").targets[0]


def test_stock_and_flow_alignment() -> None:
    df = _frame()
    stock = _one(model_output="registered_poor_incidence", kind="stock", date="2015-06",
                 value=0.2, unit="share")
    assert model_value(stock, df, 100_000, 0.0) == pytest.approx(0.3 - 0.002 * 17)
    inc = _one(model_output="income_pc", kind="flow", period_start="2015-01", date="2015-12",
               value=6000, unit="yuan_per_person_year", basis="survey")
    expect = np.mean(6000.0 * 1.1 ** (np.arange(12, 24) / 12))
    assert model_value(inc, df, 100_000, 0.0) == pytest.approx(expect)
    growth = _one(model_output="income_growth", kind="flow", period_start="2016-01",
                  date="2016-12", value=0.1, unit="fraction_per_year", basis="survey",
                  uncertainty={"sd": 0.01, "assumed": True})
    # 10% nominal growth deflated by 2% inflation.
    assert model_value(growth, df, 100_000, 0.02) == pytest.approx(1.1 / 1.02 - 1, rel=1e-9)
    # Register exits are people already (the recorder sums household sizes), scaled from
    # the model's 400,000 people to the target's 800,000.
    lifted = _one(model_output="people_lifted", kind="flow", period_start="2014-01",
                  date="2015-12", value=1.0, unit="people")
    assert model_value(lifted, df, 100_000, 0.0) == pytest.approx(2 * 1000 * 2)
    survey_exits = _one(model_output="exits", kind="flow", period_start="2014-01",
                        date="2014-12", value=1.0, unit="households", basis="survey",
                        population={"refers_to": "households", "group": "all_rural",
                                    "scale": "county", "size": 200_000})
    assert model_value(survey_exits, df, 100_000, 0.0) == pytest.approx(12 * 500 / 4 * 2)
    reach = _one(model_output="microcredit_participation", kind="stock", date="2015-12",
                 value=0.1, unit="share",
                 population={"refers_to": "households", "group": "registered_poor",
                             "scale": "county", "size": None})
    # Peak register share so far is 0.3 - 0.002*12 = 0.276 (month 12).
    assert model_value(reach, df, 100_000, 0.0) == pytest.approx(0.023 / 0.276)


def test_targets_outside_the_window_are_skipped_with_a_warning() -> None:
    before = _one(name="before", model_output="registered_poor_incidence", kind="stock",
                  date="2013-12", value=0.2, unit="share")
    growth = _one(name="growth", model_output="income_growth", kind="flow",
                  period_start="2014-01",
                  date="2014-12", value=0.1, unit="fraction_per_year", basis="survey",
                  uncertainty={"sd": 0.01, "assumed": True})
    after = _one(name="after", model_output="registered_poor_incidence", kind="stock",
                 date="2030-01", value=0.2, unit="share")
    inside = _one(model_output="registered_poor_incidence", kind="stock", date="2014-06",
                  value=0.2, unit="share")
    # The register's income level is comparable (income_pc_registered); its growth is not,
    # since its members change every year.
    reg_income = _one(name="reg_income", model_output="income_pc", kind="flow",
                      period_start="2015-01", date="2015-12", value=3000,
                      unit="yuan_per_person_year",
                      population={"refers_to": "people", "group": "registered_poor",
                                  "scale": "county", "size": None})
    reg_growth = _one(name="reg_growth", model_output="income_growth", kind="flow",
                      period_start="2015-01", date="2015-12", value=0.3,
                      unit="fraction_per_year", basis="survey",
                      uncertainty={"sd": 0.05, "assumed": True},
                      population={"refers_to": "people", "group": "registered_poor",
                                  "scale": "county", "size": None})
    with pytest.warns(UserWarning) as record:
        keep, skipped = split_usable([before, growth, after, inside, reg_income, reg_growth],
                                     Window("2014-01", 36))
    assert keep == [inside, reg_income]
    assert len(skipped) == 4 and len(record) == 4
    assert "members change" in skipped["reg_growth"]
    assert "2013-12" in str(record[0].message)


def test_likelihoods() -> None:
    normal = _one(model_output="registered_poor_incidence", kind="stock", date="2015-06",
                  value=0.2, unit="share")
    assert negative_log_likelihood(normal, 0.2) == 0
    assert negative_log_likelihood(normal, 0.22) == pytest.approx(0.5)
    lower = _one(model_output="registered_poor_incidence", kind="stock", date="2015-06",
                 value=0.2, unit="share", bound="lower")
    assert negative_log_likelihood(lower, 0.5) == 0
    assert negative_log_likelihood(lower, 0.18) == pytest.approx(0.5)
    kw = {"model_output": "income_poverty_incidence", "kind": "stock", "date": "2015-06",
          "value": 0.1, "unit": "share", "basis": "survey"}
    binom = _one(**kw, likelihood="binomial",
                 uncertainty={"sample_size": 1000, "assumed": True})
    bb = _one(**kw, likelihood="beta_binomial",
              uncertainty={"sample_size": 1000, "overdispersion": 0.05, "assumed": True})
    assert negative_log_likelihood(binom, 0.1) == pytest.approx(0, abs=1e-9)
    grid = np.linspace(0.05, 0.15, 21)
    losses = [negative_log_likelihood(binom, m) for m in grid]
    assert min(losses) == losses[10] and all(v >= -1e-9 for v in losses)
    # Over-dispersion widens the likelihood: the same miss costs less.
    assert 0 < negative_log_likelihood(bb, 0.13) < negative_log_likelihood(binom, 0.13)
    assert math.isinf(negative_log_likelihood(binom, float("nan")))
