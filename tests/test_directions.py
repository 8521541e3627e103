"""Each instrument and channel moves outcomes in its documented direction (docs/model.md),
all else equal and with common random numbers."""

import pytest

from simulation.runs.runner import run
from tests.conftest import small

SEED = 11


def outcome(overrides: dict, column: str, how: str = "last", months: int = 84) -> float:
    df = run(small(overrides, households=2000, months=months), seed=SEED).monthly
    series = df[column]
    return float(series.iloc[-1] if how == "last" else series.mean())


def more(key: str, low: float, high: float, column: str, how: str = "last") -> tuple:
    return outcome({key: low}, column, how), outcome({key: high}, column, how)


CASES = [
    # (instrument budget path, outcome that must rise, how)
    ("instruments.microcredit.budget", "participation_microcredit", "mean"),
    ("instruments.microcredit.budget", "income_business", "last"),
    ("instruments.cooperative.budget", "income_cooperative", "last"),
    ("instruments.ecommerce.budget", "participation_ecommerce", "last"),
    ("instruments.tourism.budget", "participation_tourism", "last"),
    ("instruments.skills_training.budget", "income_wage", "last"),
    ("instruments.minimum_living.budget", "income_transfer", "last"),
    ("instruments.asset_income.budget", "income_property", "last"),
    ("instruments.infrastructure.budget", "road_coverage", "last"),
    ("instruments.infrastructure.budget", "smith_environment", "last"),
    ("instruments.cadre_training.budget", "smith_agency", "mean"),
    ("instruments.publicity.budget", "understanding_cooperative", "mean"),
    ("instruments.registration.budget", "registered_poor_incidence", "mean"),
]


@pytest.mark.parametrize(("key", "column", "how"), CASES)
def test_more_budget_moves_outcome_up(key, column, how):
    low, high = more(key, 0.0, 5e8, column, how)
    assert high > low, f"{column} did not rise with {key}: {low} -> {high}"


def test_minimum_living_lowers_incidence_of_elderly():
    low, high = more("instruments.minimum_living.budget", 0.0, 1e9, "incidence_elderly", "mean")
    assert high < low


def test_cadre_training_lowers_formalism():
    low, high = more("instruments.cadre_training.budget", 0.0, 1e8, "cadre_formalism", "mean")
    assert high < low


def test_productive_programmes_lower_income_poverty():
    off = {f"instruments.{k}.budget": 0.0 for k in ("cooperative", "microcredit", "ecommerce",
                                                   "tourism", "skills_training")}
    base = outcome(off, "income_poverty_incidence", "mean")
    on = outcome({}, "income_poverty_incidence", "mean")
    assert on < base


@pytest.mark.parametrize("channel", ["villagers_meeting", "work_group", "radio_tv",
                                     "short_video", "word_of_mouth", "cadre_visit"])
def test_channel_intensity_raises_awareness(channel):
    low, high = more(f"channels.{channel}.intensity", 0.0, 1.0, "awareness_microcredit", "mean")
    assert high > low


def test_phone_channels_need_phones():
    no_phones = outcome({"population.phone_ownership": 0.0,
                         "population.phone_growth": 0.0}, "contacts_work_group", "mean")
    assert no_phones == 0.0


def test_higher_fidelity_means_better_understanding():
    low, high = more("channels.villagers_meeting.fidelity", 0.2, 0.9,
                     "understanding_cooperative", "mean")
    assert high > low


def test_epidemic_shock_cuts_wage_income_in_2020():
    df = run(small({"economy.shocks.epidemic.migrant_employment_drop": 0.8}), seed=SEED).monthly
    ref = run(small({"economy.shocks.epidemic.migrant_employment_drop": 0.0}), seed=SEED).monthly
    in_shock = df["date"] == "2020-03"
    assert float(df.loc[in_shock, "income_wage"].iloc[0]) < float(
        ref.loc[in_shock, "income_wage"].iloc[0])


def test_savings_buffer_illness():
    harsh = {"economy.shocks.illness_rate": 0.3, "economy.shocks.illness_cost_share": 0.6}
    none = outcome({**harsh, "economy.saving_rate": 0.0}, "income_poverty_incidence", "mean")
    some = outcome({**harsh, "economy.saving_rate": 0.5}, "income_poverty_incidence", "mean")
    assert some < none
