"""Region cards: a card of published figures becomes a scenario, a target file and a
calibration spec; incomplete, inconsistent or mis-typed cards are refused with the file,
row and field named."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml
from scipy.stats import norm

from simulation.calibration.spec import load_spec
from simulation.calibration.targets import load_targets
from simulation.cli import main
from simulation.regions.card import CardError, load_card, parse_card
from simulation.regions.init import init_region, start_distribution
from simulation.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "calibration" / "cards" / "example_county.yaml"


def _card() -> dict:
    """The example card without its household records (tests/regions/test_microdata.py
    covers those): its population is the log-normal start."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del data["microdata"]
    return data


def test_the_start_distribution_goes_through_the_mean_and_the_incidence() -> None:
    for mean, incidence, line in ((6200, 0.18, 2800), (4749, 0.217, 2625), (16021, 0.006, 3218)):
        median, sigma = start_distribution(mean, incidence, line)
        assert median * math.exp(sigma ** 2 / 2) == pytest.approx(mean, rel=1e-9)
        assert norm.cdf(math.log(line / median) / sigma) == pytest.approx(incidence, rel=1e-9)
    with pytest.raises(CardError, match="not above the poverty line"):
        start_distribution(2500, 0.3, 2800)


def test_init_writes_a_scenario_targets_and_spec_that_load(tmp_path) -> None:
    plain = tmp_path / "example_county.yaml"
    plain.write_text(yaml.safe_dump(_card()), encoding="utf-8")
    made = init_region(plain, tmp_path / "out")
    card = load_card(plain)
    scenario = load_scenario(made.scenario)
    base = load_scenario("liangshan")
    assert scenario.region.households_represented == 82000
    assert scenario.population.household_size_mean == pytest.approx(320000 / 82000, rel=1e-3)
    assert scenario.instruments.microcredit.budget == 30.0e6  # given on the card
    ratio = 82000 / base.region.households_represented
    # not on the card: the base's, for a region of this size
    assert scenario.instruments.minimum_living.budget == pytest.approx(
        base.instruments.minimum_living.budget * ratio, rel=1e-5)
    assert scenario.region.villages == round(base.region.villages * ratio)
    median, sigma = start_distribution(6200, 0.18, 2800)
    assert scenario.population.income_median == pytest.approx(median, abs=0.1)
    assert scenario.population.income_sigma == pytest.approx(sigma, abs=1e-4)
    targets = load_targets(made.targets)
    names = [t.name for t in targets.targets]
    assert names == ["survey_incidence_2014", "survey_incidence_2016", "survey_incidence_2018",
                     "registered_incidence_2014", "registered_incidence_2016",
                     "registered_incidence_2018", "registered_incidence_2020",
                     "income_2014", "income_2017", "income_2020"]
    by_name = targets.by_name()
    assert by_name["registered_incidence_2016"].value == pytest.approx(38000 / 320000)
    assert by_name["survey_incidence_2018"].uncertainty.sample_size == 3000  # from the card
    assert by_name["survey_incidence_2014"].uncertainty.assumed  # no size on the card
    spec = load_spec(made.calibration)
    assert Path(spec.scenario) == made.scenario.resolve()
    assert Path(spec.targets) == made.targets.resolve()
    assert {p.name for p in spec.parameters} >= {"income_median", "income_sigma"}
    # what init assumed travels with the spec to the fit's reports, not into its numbers
    assert spec.assumptions == made.assumed and any("budgets" in a for a in made.assumed)
    assert spec.fingerprint() == spec.model_copy(update={"assumptions": []}).fingerprint()
    assert card.region.fictional
    assert any("people.elderly_share" in u for u in made.unused)
    with pytest.raises(CardError, match="exists; pass --force"):
        init_region(plain, tmp_path / "out")


def _error(data: dict) -> str:
    with pytest.raises(CardError) as info:
        parse_card(data, "my_card.yaml")
    return str(info.value)


def test_inconsistent_cards_name_the_row_and_field() -> None:
    data = _card()
    data["registered_poor"][1]["people"] = 400000  # above the rural population
    msg = _error(data)
    assert "my_card.yaml" in msg and "registered_poor[1] (2016).people" in msg
    assert "above rural_population" in msg
    data = _card()
    data["income_composition"]["transfers"] = 0.43  # shares sum to 1.2
    msg = _error(data)
    assert "income_composition" in msg and "expected 1" in msg
    data = _card()
    data["environment"]["road_coverage"]["value"] = 1.4
    assert "environment.road_coverage.value" in _error(data)
    data = _card()
    data["rural_households"]["value"] = 20000  # 16 people a household
    assert "people per household; expected 1 to 10" in _error(data)


def test_incomplete_and_mistyped_cards_name_the_field() -> None:
    data = _card()
    data["survey_incidence"][0]["value"] = "eighteen percent"
    msg = _error(data)
    assert "survey_incidence[0] (2014).value" in msg and "eighteen percent" in msg
    data = _card()
    del data["income_pc"][2]["source"]
    assert "income_pc[2] (2020).source" in _error(data)
    data = _card()
    data["budgets"]["micro_credit"] = data["budgets"].pop("microcredit")
    assert "unknown instrument(s) ['micro_credit']" in _error(data)
    data = _card()
    data["survey_incidence"][1]["year"] = 2014
    assert "one row per year" in _error(data)
    data = _card()
    data["rural_populaton"] = data.pop("rural_population")
    msg = _error(data)
    assert "rural_populaton" in msg and "unknown field" in msg
    assert "rural_population" in msg and "Field required" in msg
    data = copy.deepcopy(_card())
    data["survey_incidence"], data["registered_poor"] = [], []
    assert "nothing to fit the region to" in _error(data)


def test_cli_init_and_its_errors(tmp_path, capsys) -> None:
    assert main(["region", "init", str(EXAMPLE), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "example_county.calibration.yaml" in out and "assumed:" in out
    bad = tmp_path / "bad_card.yaml"
    data = _card()
    data["registered_poor"][0]["people"] = -5
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["region", "init", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "bad_card.yaml" in err
    assert "registered_poor[0] (2014).people" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()  # nothing written


def test_a_start_from_later_years_is_deflated_to_2014_and_said(tmp_path) -> None:
    data = _card()
    data["income_pc"] = [{"year": 2016, "value": 7400, "source": "a yearbook"}]
    data["survey_incidence"] = [{"year": 2016, "value": 0.09, "source": "a bulletin"}]
    card = tmp_path / "later.yaml"
    card.write_text(yaml.safe_dump(data), encoding="utf-8")
    made = init_region(card, tmp_path / "out")
    scenario = load_scenario(made.scenario)
    median, sigma = start_distribution(7400, 0.09, 2952)  # the 2016 line
    inflation = load_scenario("liangshan").economy.inflation
    assert scenario.population.income_median == pytest.approx(
        median / (1 + inflation) ** 2, abs=0.1)
    assert scenario.population.income_sigma == pytest.approx(sigma, abs=1e-4)
    assert any("(2016)" in a and "log-normal" in a for a in made.assumed)
