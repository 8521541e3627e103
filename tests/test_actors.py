"""Actors beyond government respond in their documented direction (docs/model.md), all else
equal and with common random numbers; their money is conserved; with no money they change
nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.agents.designated_units import DesignatedUnit
from simulation.agents.enterprises import Enterprise
from simulation.agents.partner_cities import PartnerCityAgent
from simulation.agents.social_organizations import SocialOrganization
from simulation.model import PovertyModel
from simulation.runs.runner import run
from simulation.scenario import ActorsParams
from tests.conftest import small, transfers_paid

SEED = 5
SO, EN, DA, PC = ("actors.social_organizations.", "actors.enterprises.",
                  "actors.designated_assistance.", "actors.partner_city.")
MONEY = {SO + "budget": 2e7, EN + "budget": 2e7, DA + "budget": 2e7, PC + "budget": 3e7}


def monthly(overrides: dict, months: int = 84) -> pd.DataFrame:
    return run(small(overrides, households=800, months=months), seed=SEED).monthly


@pytest.mark.parametrize("actor", list(ActorsParams.model_fields))
def test_actor_without_money_is_identical_to_disabled(actor):
    off = monthly({f"actors.{actor}.enabled": False}, months=48)
    zero = monthly({f"actors.{actor}.enabled": True, f"actors.{actor}.budget": 0}, months=48)
    pd.testing.assert_frame_equal(off, zero)


def test_actors_leave_other_mechanisms_draws_alone():
    quiet = run(small(households=800, months=48), seed=SEED, keep_model=True).model
    busy = run(small(MONEY, households=800, months=48), seed=SEED, keep_model=True).model
    np.testing.assert_array_equal(quiet.households.ill_left, busy.households.ill_left)
    np.testing.assert_array_equal(quiet.villages.disaster_left, busy.villages.disaster_left)


def test_lower_registration_threshold_means_more_organizations_and_donations():
    high = monthly({SO + "budget": 2e7, SO + "registration_threshold": 0.9})
    low = monthly({SO + "budget": 2e7, SO + "registration_threshold": 0.2})
    assert low["social_organizations"].iloc[-1] > high["social_organizations"].iloc[-1]
    assert low["social_donations"].sum() > high["social_donations"].sum()


def test_tax_incentives_bring_in_more_firms_and_wages():
    none = monthly({EN + "budget": 2e7, EN + "tax_incentive": 0.0, EN + "credit_support": 0.0})
    full = monthly({EN + "budget": 2e7, EN + "tax_incentive": 1.0, EN + "credit_support": 1.0})
    assert full["enterprises_participating"].iloc[-1] > none["enterprises_participating"].iloc[-1]
    assert full["enterprise_wages"].sum() > none["enterprise_wages"].sum()


def test_higher_fund_utilization_delivers_more():
    low = monthly({PC + "budget": 3e7, PC + "utilization": 0.5})
    high = monthly({PC + "budget": 3e7, PC + "utilization": 1.0})
    assert high["delivered_partner_city"].iloc[-1] > low["delivered_partner_city"].iloc[-1]
    assert high["partner_idle_funds"].iloc[-1] < low["partner_idle_funds"].iloc[-1]


def test_labour_linkage_raises_migrant_income():
    none = monthly({PC + "budget": 3e7, PC + "labour_share": 0.0})
    linked = monthly({PC + "budget": 3e7, PC + "labour_share": 0.15})
    assert none["assisted_migrant_income"].sum() == 0
    assert linked["assisted_migrant_income"].mean() > 0
    assert linked["income_wage"].mean() > none["income_wage"].mean()


def test_coordination_cuts_duplicated_help():
    loose = monthly({SO + "budget": 2e7, SO + "coordination": 0.0,
                     SO + "registration_threshold": 0.1})
    tight = monthly({SO + "budget": 2e7, SO + "coordination": 1.0,
                     SO + "registration_threshold": 0.1})
    share = lambda df: df["social_duplicated_help"].sum() / (  # noqa: E731
        df["social_material_help"].sum() + df["social_capacity_help"].sum())
    assert share(tight) < share(loose)


def test_designated_units_create_cooperative_places_for_registered_households():
    none = monthly({DA + "budget": 0.0})
    some = monthly({DA + "budget": 2e7})
    assert some["designated_coop_places"].iloc[-1] > 0
    assert some["participation_cooperative"].iloc[-1] > none["participation_cooperative"].iloc[-1]


def test_actor_money_is_conserved_and_counted_in_spending():
    result = run(small(MONEY, households=800, months=84), seed=SEED, keep_model=True)
    model, df = result.model, result.monthly
    for key, funds in model.actors.fund_lists().items():
        for f in funds:
            assert f.remaining >= -1e-6, key
            assert f.delivered + f.overhead + f.remaining == pytest.approx(
                f.budget, rel=1e-9, abs=1e-6), key
            assert f.idle <= f.remaining + 1e-6, key
        assert sum(f.delivered for f in funds) > 0, key
    social = model.actors.social.fund
    assert 0 < social.budget <= social.potential
    cols = [c for c in df if c.startswith("spending_") and c != "spending_total"]
    np.testing.assert_allclose(df[cols].sum(axis=1), df["spending_total"], rtol=1e-9)
    np.testing.assert_allclose(df["spending_total"].cumsum(), df["cumulative_spending"],
                               rtol=1e-9)


def test_actors_are_mesa_agents():
    model = PovertyModel(small({**MONEY, PC + "cities": 2}, households=800, months=36), seed=1)
    for _ in range(36):
        model.step()
    for cls in (PartnerCityAgent, DesignatedUnit, SocialOrganization, Enterprise):
        assert len(model.agents_by_type[cls]) > 0, cls.__name__
    cities = model.agents_by_type[PartnerCityAgent]
    assert len(cities) == 2
    assert not set(cities[0].villages) & set(cities[1].villages)


def test_relocation_moves_remote_registered_households():
    res = run(small({"instruments.relocation.budget": 2e8,
                     "instruments.relocation.remoteness_threshold": 0.5}, households=800,
                    months=60), seed=SEED, keep_model=True)
    model = res.model
    moved = model.instruments["relocation"].relocated
    assert moved.sum() > 0
    remote = model.villages.remoteness[model.households.village] >= 0.5
    assert remote[moved].all()
    ref = run(small(households=800, months=60), seed=SEED, keep_model=True).model
    hh, hh0 = model.households, ref.households
    assert (hh.farm_base[moved] < hh0.farm_base[moved]).all()
    assert (hh.wage_base[moved] > hh0.wage_base[moved]).all()


def test_material_help_is_a_transfer():
    model = PovertyModel(small({SO + "budget": 5e7, SO + "hematopoietic_share": 0.0,
                                "instruments.minimum_living.enabled": False,
                                "instruments.asset_income.enabled": False,
                                "instruments.medical.enabled": False,
                                "instruments.followup.enabled": False,
                                # what migrants send home is transfer income too
                                "economy.labour_market.migration_rate": 0.0,
                                "transfers.pension.enabled": False,
                                "transfers.farm_subsidy.enabled": False,
                                "transfers.eco_compensation.enabled": False,
                                "economy.labour_market.remittances.share": 0.0},
                               households=800, months=36), seed=2)
    paid = transfers_paid(model, 36)
    assert paid > 0
    assert paid == pytest.approx(model.actors.social.fund.delivered, rel=1e-6)  # float32 sizes


def test_epidemic_shifts_labour_money_to_buying_local_products():
    calm = monthly({PC + "budget": 3e7, "economy.shocks.epidemic.migrant_employment_drop": 0.0})
    hit = monthly({PC + "budget": 3e7, "economy.shocks.epidemic.migrant_employment_drop": 1.0,
                   "economy.shocks.epidemic.months": 4})
    during = calm["date"].between("2020-02", "2020-05")  # the 4 months of the shock
    assert (hit.loc[during, "partner_purchases"].diff().fillna(0).sum()
            > calm.loc[during, "partner_purchases"].diff().fillna(0).sum())
    assert hit.loc[during, "partner_placements"].diff().fillna(0).sum() == 0


def test_voluntary_mobilization_outlasts_the_deadline():
    def after_2020(style: str) -> float:
        df = monthly({SO + "budget": 2e7, SO + "mobilization": style}, months=96)
        return float(df.loc[df["date"] >= "2021-01", "social_donations"].sum())
    assert after_2020("voluntary") > after_2020("administrative")


def test_capacity_building_raises_wages_material_help_raises_transfers():
    material = monthly({SO + "budget": 5e7, SO + "hematopoietic_share": 0.0,
                        SO + "registration_threshold": 0.1})
    capacity = monthly({SO + "budget": 5e7, SO + "hematopoietic_share": 1.0,
                        SO + "registration_threshold": 0.1})
    assert capacity["income_wage"].iloc[-1] > material["income_wage"].iloc[-1]
    assert material["income_transfer"].mean() > capacity["income_transfer"].mean()
