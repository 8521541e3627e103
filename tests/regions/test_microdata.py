"""Household microdata files: incomplete, mis-typed or inconsistent records are refused
before any work starts, with the file, the data row, the household and the field named."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from simulation.cli import main
from simulation.population.records import read_records
from simulation.population.spec import MicrodataSpec
from simulation.scenario import ScenarioError, load_scenario
from tests.regions.microdata_cases import RECORDS, card_microdata, frame, write


def _error(block: dict) -> str:
    with pytest.raises(ValueError) as info:  # MicrodataError, in a ValidationError
        read_records(MicrodataSpec.model_validate(block))
    return str(info.value)


def test_the_example_records_read_with_the_cards_column_mapping() -> None:
    records = read_records(MicrodataSpec.model_validate(card_microdata()))
    raw = frame()
    assert records.n == len(raw) == 3000
    assert records.source == str(RECORDS)
    size = raw["hh_members"].astype(float).to_numpy()
    market = (raw["farm_business_income"].astype(float) + raw["wage_income"].astype(float))
    np.testing.assert_allclose(records.market_pc, market.to_numpy() / size)
    np.testing.assert_allclose(records.weight, raw["wt"].astype(float))
    assert records.remote is not None and records.registered is not None
    assert records.labour.max() <= records.size.max()


def test_parquet_and_per_capita_incomes_read_the_same(tmp_path) -> None:
    raw = frame()
    typed = raw.astype({c: float for c in raw.columns if c not in ("hh_id", "village_code")})
    block = write(tmp_path, typed, "records.parquet")
    csv = read_records(MicrodataSpec.model_validate(card_microdata()))
    parquet = read_records(MicrodataSpec.model_validate(block))
    np.testing.assert_allclose(parquet.market_pc, csv.market_pc)
    np.testing.assert_array_equal(parquet.chronic, csv.chronic)
    per_person = raw.copy()
    for col in ("farm_business_income", "wage_income", "transfer_income"):
        per_person[col] = raw[col].astype(float) / raw["hh_members"].astype(float)
    pc = read_records(MicrodataSpec.model_validate(
        {**write(tmp_path, per_person), "income_unit": "per_capita"}))
    np.testing.assert_allclose(pc.market_pc, csv.market_pc)


def test_missing_and_mistyped_values_name_file_row_household_and_field(tmp_path) -> None:
    data = frame()
    data.loc[4, "hh_members"] = "four"
    data.loc[9, "hh_members"] = "-2"
    data.loc[11, "n_labour"] = str(int(data.loc[11, "hh_members"]) + 1)
    data.loc[14, "wt"] = "0"
    data.loc[16, "chronic_ill"] = "maybe"
    data.loc[20, "head_age"] = ""
    data.loc[30, "hh_id"] = data.loc[29, "hh_id"]
    msg = _error(write(tmp_path, data))
    assert f"{tmp_path / 'records.csv'}: invalid household microdata (7 problem" in msg
    assert ("data row 5 (household H00005), field 'size' (column 'hh_members'): expected a "
            "whole number from 1 to 30") in msg and "got 'four'" in msg
    assert "data row 10 (household H00010), field 'size'" in msg and "got '-2'" in msg
    assert "data row 12 (household H00012), field 'labour' (column 'n_labour')" in msg
    assert "above the household's size" in msg
    assert "data row 15 (household H00015), field 'weight' (column 'wt'): expected a " \
           "number above 0" in msg
    assert "data row 17 (household H00017), field 'chronic'" in msg and "'maybe'" in msg
    assert "data row 21 (household H00021), field 'head_age'" in msg and "missing value" in msg
    assert "data row 31, field 'household_id'" in msg and "repeats data row 30" in msg


def test_incomplete_files_name_the_missing_column_and_its_mapping(tmp_path) -> None:
    msg = _error(write(tmp_path, frame().drop(columns=["hh_members"])))
    assert "column 'hh_members' (size: household members (people)) is missing" in msg
    assert "mapped by microdata.columns.size" in msg and "the file's columns:" in msg
    msg = _error(write(tmp_path, frame().drop(columns=["wage_income"])))
    assert "column 'wage_income' (wage_income) is missing: farm and wage income go together" \
        in msg
    block = card_microdata()
    block["columns"] = {k: v for k, v in block["columns"].items() if k != "education"}
    msg = _error(block)  # the file's name differs from the field's and is not mapped
    assert "column 'education' (education: head's years of schooling) is missing" in msg
    assert "map the file's own name with microdata.columns.education" in msg
    assert "no such file" in _error({**card_microdata(), "path": str(tmp_path / "none.csv")})
    (tmp_path / "records.xlsx").write_text("x", encoding="utf-8")
    assert "expected a .csv or .parquet file" in _error(
        {**card_microdata(), "path": str(tmp_path / "records.xlsx")})
    (tmp_path / "empty.csv").write_text("hh_id,hh_members\n", encoding="utf-8")
    assert "no household records" in _error(
        {**card_microdata(), "path": str(tmp_path / "empty.csv")})


def test_inconsistent_records_and_margins_are_refused(tmp_path) -> None:
    data = frame()
    village = data.loc[0, "village_code"]
    data.loc[5, "remote_village"] = str(1 - int(data.loc[5, "remote_village"]))
    msg = _error(write(tmp_path, data))
    assert "data row 6 (household H00006), field 'remote'" in msg
    assert f"data row 1 of the same village '{village}'" in msg
    data = frame()
    data.loc[7, "n_aged_60plus"] = "13"
    assert "field 'elders'" in _error(write(tmp_path, data))
    with pytest.raises(ValueError) as info:  # schema errors: unknown field, shares, counts
        MicrodataSpec.model_validate({**card_microdata(), "columns": {"hh_size": "x"}})
    assert "unknown record field(s) ['hh_size']" in str(info.value)
    with pytest.raises(ValueError) as info:
        MicrodataSpec.model_validate({**card_microdata(), "margins": {"elderly": 1.3}})
    assert "margins.elderly.share" in str(info.value) and "less than 1" in str(info.value)
    with pytest.raises(ValueError) as info:
        MicrodataSpec.model_validate({**card_microdata(), "margins": {
            "households": 82000, "registered": {"count": 90000}}})
    assert "registered: 90,000 households is not below the 82,000 households" in str(
        info.value)


def test_a_scenario_with_bad_records_is_refused_when_loaded(tmp_path, capsys) -> None:
    data = frame()
    data.loc[2, "n_labour"] = "three"
    write(tmp_path, data)
    block = {**card_microdata(), "path": "records.csv"}  # relative to the scenario file
    scenario = tmp_path / "county.yaml"
    scenario.write_text(yaml.safe_dump({"name": "county", "population": {"microdata": block}}),
                        encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario)
    msg = str(info.value)
    assert str(scenario) in msg and "field 'population.microdata'" in msg
    assert str(tmp_path / "records.csv") in msg and "data row 3 (household H00003)" in msg
    assert main(["validate", str(scenario)]) == 2  # a problem with the input
    err = capsys.readouterr().err
    assert "data row 3" in err and "field 'labour'" in err and "Traceback" not in err
    assert main(["run", str(scenario), "--out", str(tmp_path / "run")]) == 2  # bad input
    assert "data row 3" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
