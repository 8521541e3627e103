"""Raking: the records' weights reproduce the card's totals, and margins the records cannot
reach are errors that say which and by how much."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.population.raking import (
    TOLERANCE,
    RakingError,
    indicator,
    rake_records,
    raked,
)
from simulation.population.records import read_records
from simulation.population.spec import Margins, MicrodataSpec
from simulation.regions.card import load_card
from simulation.regions.init import Made, microdata_data
from tests.regions.microdata_cases import EXAMPLE, card_microdata, frame, write


def _records(block: dict | None = None):
    return read_records(MicrodataSpec.model_validate(block or card_microdata()))


def test_raking_reproduces_the_cards_totals(tmp_path) -> None:
    card = load_card(EXAMPLE)
    made = Made(tmp_path / "a", tmp_path / "b", tmp_path / "c")
    margins = Margins.model_validate(microdata_data(card, made, tmp_path)["margins"])
    assert set(margins.given()) == {"elderly", "low_education", "income_poor", "registered",
                                    "remote"}
    records = _records()
    result = rake_records(records, margins)
    w = result.weights
    assert result.converged and result.total == pytest.approx(82000)
    assert w.sum() == pytest.approx(82000, rel=1e-9) and (w > 0).all()
    share = lambda x: w[x].sum() / w.sum()  # noqa: E731
    assert share(records.head_age >= 60) == pytest.approx(0.17, abs=TOLERANCE)
    assert share(records.education <= 6) == pytest.approx(0.40, abs=TOLERANCE)
    assert share(records.remote) == pytest.approx(0.30, abs=TOLERANCE)
    assert w[records.registered].sum() == pytest.approx(15800, abs=TOLERANCE * 82000)
    people = w * records.size  # survey incidence is a share of people
    poor = indicator(records, "income_poor")
    assert people[poor].sum() / people.sum() == pytest.approx(0.18, abs=TOLERANCE)
    # the survey weights alone were off by far more than the tolerance: raking did the work
    for check in result.margins:
        assert abs(check.before - check.target) > 20 * TOLERANCE
        assert abs(check.error) <= TOLERANCE
    assert 1.0 < result.design_effect < 2.0
    assert "converged" in result.summary() and "income_poor (people)" in result.summary()
    assert list(result.table()["margin"]) == [m.name for m in result.margins]


def test_no_margins_keep_the_survey_weights() -> None:
    records = _records()
    result = rake_records(records, Margins(households=1000))
    np.testing.assert_allclose(result.weights, records.weight * 1000 / records.weight.sum())


def test_a_category_absent_from_the_records_is_an_error(tmp_path) -> None:
    data = frame()
    data["remote_village"] = "0"
    block = write(tmp_path, data)
    with pytest.raises(RakingError) as info:
        rake_records(_records(block), Margins(remote=0.3))
    msg = str(info.value)
    assert str(tmp_path / "records.csv") in msg and "margin 'remote' (share 0.3" in msg
    assert "no household of the 3000 records counts as remote" in msg
    block = card_microdata()
    block["columns"] = {k: v for k, v in block["columns"].items() if k != "registered"}
    with pytest.raises(RakingError, match="margin 'registered' needs the records' registered"):
        rake_records(_records(block), Margins(registered=0.2))


def test_inconsistent_margins_are_an_error_with_achieved_and_target(tmp_path) -> None:
    data = frame()
    # every chronically ill household has an elderly head: no weights give 30% ill and
    # 10% elderly
    data["chronic_ill"] = (data["head_age"].astype(int) >= 60).astype(int).astype(str)
    records = _records(write(tmp_path, data))
    with pytest.raises(RakingError) as info:
        rake_records(records, Margins(elderly=0.1, chronic=0.3))
    msg = str(info.value)
    assert "the margins cannot all be met" in msg and "largest error" in msg
    assert "elderly (households): target 0.1000" in msg
    assert "chronic (households): target 0.3000" in msg


def test_a_scenario_rakes_once_and_caches() -> None:
    md = MicrodataSpec.model_validate({**card_microdata(), "margins": {"elderly": 0.2}})
    records, first = raked(md)
    again = raked(md)[1]
    assert again is first
    w = first.weights
    assert w[records.head_age >= 60].sum() / w.sum() == pytest.approx(0.2, abs=TOLERANCE)
