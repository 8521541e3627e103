"""Accounting identities: money is conserved, shares are shares, states partition."""

import numpy as np
import pytest

from simulation.households import PovertyState
from simulation.model import PovertyModel
from simulation.runs.runner import run
from tests.conftest import small, transfers_paid


def test_budget_equals_delivered_plus_overhead_plus_unspent(baseline_result):
    for name, inst in baseline_result.model.instruments.items():
        assert inst.remaining >= -1e-6, name
        assert inst.delivered + inst.overhead + inst.remaining == pytest.approx(
            inst.budget, rel=1e-9, abs=1e-6), name


def test_monthly_spending_adds_up_to_cumulative(baseline_result):
    df = baseline_result.monthly
    cols = [c for c in df if c.startswith("spending_") and c != "spending_total"]
    np.testing.assert_allclose(df[cols].sum(axis=1), df["spending_total"], rtol=1e-9)
    np.testing.assert_allclose(df["spending_total"].cumsum(), df["cumulative_spending"],
                               rtol=1e-9)


def test_transfers_equal_minimum_living_and_illness_relief_delivered():
    """Transfer income received equals what minimum living delivered plus the illness relief
    medical assistance paid (its enrolments are not income)."""
    model = PovertyModel(small({"instruments.asset_income.enabled": False,
                                "transfers.pension.enabled": False,
                                "transfers.farm_subsidy.enabled": False,
                                "transfers.eco_compensation.enabled": False,
                                # its checks are spending but not income
                                "instruments.followup.enabled": False,
                                "economy.labour_market.remittances.share": 0.0,
                                # what migrants send home is transfer income too
                                "economy.labour_market.migration_rate": 0.0}, months=36),
                         seed=2)
    paid = transfers_paid(model, 36)
    medical = model.instruments["medical"]
    assert paid > 0 and medical.relief_paid > 0
    assert medical.relief_paid < medical.delivered
    assert paid == pytest.approx(model.instruments["minimum_living"].delivered
                                 + medical.relief_paid, rel=1e-9)


def test_shares_within_unit_interval(baseline_result):
    df = baseline_result.monthly
    share_cols = [c for c in df if c.startswith(("income_poverty", "registered_poor",
                                                 "awareness_", "participation_", "smith_",
                                                 "incidence_", "share_"))
                  or c in ("gini", "inclusion_error", "exclusion_error")]
    assert share_cols
    values = df[share_cols].to_numpy()
    assert np.all(values >= 0) and np.all(values <= 1)


def test_every_household_in_exactly_one_poverty_state(baseline_result):
    df = baseline_result.monthly
    states = [f"share_{s.name.lower()}" for s in PovertyState]
    np.testing.assert_allclose(df[states].sum(axis=1), 1.0, rtol=1e-12)
    state = baseline_result.model.households.state
    assert set(np.unique(state)) <= {int(s) for s in PovertyState}


def test_exits_and_returns_match_state_changes(baseline_result):
    df = baseline_result.monthly
    # A return needs an earlier exit: cumulative returns never exceed cumulative exits.
    assert (df["cumulative_returns"] <= df["cumulative_exits"] + 1e-9).all()
    # The exited state is entered only by an exit and left only by a return, so the people
    # in it are the exits so far minus the returns so far, every month, while households
    # keep their size: until the first yearly demography (January of the second year), and
    # throughout with demography off (births and deaths change the people in the state).
    first_year = df["month"] < 12
    np.testing.assert_allclose((df["cumulative_exits"] - df["cumulative_returns"])[first_year],
                               df["people_lifted"][first_year], rtol=0, atol=1e-6)
    fixed = run(small({"population.demography.enabled": False}, months=48), seed=7).monthly
    np.testing.assert_allclose(fixed["cumulative_exits"] - fixed["cumulative_returns"],
                               fixed["people_lifted"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(df["exits"].cumsum(), df["cumulative_exits"], rtol=1e-12)
