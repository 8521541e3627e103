"""Comparing countermeasures: zero difference against itself, common random numbers narrow
the intervals, the tables are what the runs say, and errors name file and field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.comparison.arms import Arm, load_arms
from simulation.comparison.compare import compare, weighted_deciles
from simulation.comparison.statistics import holm, paired_diff
from simulation.runs.runner import run
from simulation.scenario import ScenarioError
from tests.conftest import small

HH, MONTHS = 600, 84  # demo-sized: 2014-01 to 2020-12
# the tests sharing the module-scoped `two_way` comparison run on one xdist worker
TWO_WAY_GROUP = pytest.mark.xdist_group("compare_two_way")


def microcredit_cm(households: int = HH, months: int = MONTHS):
    return small({"name": "more_microcredit", "instruments.microcredit.budget": 1e8},
                 households=households, months=months)


@pytest.fixture(scope="module")
def two_way():
    """Baseline against two countermeasures, 4 paired replicates, runs kept."""
    base = small(households=HH, months=MONTHS)
    # Dibao is an entitlement: more money changes nothing unless it binds, so the arm widens
    # who qualifies instead (every income-poor household, not only those without labour).
    ml = small({"name": "more_minimum_living",
                "instruments.minimum_living.requires_low_labour": False},
               households=HH, months=MONTHS)
    return compare(base, [microcredit_cm(), ml], seeds=[11, 12, 13, 14], executor="serial",
                   keep_runs=True)


def test_self_comparison_is_zero_with_zero_width():
    base = small(households=400, months=48)
    comp = compare(base, [base], replicates=3, executor="serial")
    for name in ("headline", "periods", "deciles", "groups"):
        t = comp[name]
        assert len(t) > 0, name
        assert (t["diff"] == 0).all() and (t["ci_low"] == 0).all() and (t["ci_high"] == 0).all()
        assert t["verdict"].str.startswith("identical").all(), name
        assert not t["distinguishable"].any()
    wl = comp["winners_losers"]
    assert (wl[["share", "ci_low", "ci_high"]] == 0).all().all()
    traj = comp["trajectories"]
    assert (traj[["diff", "diff_low", "diff_high"]] == 0).all().all()
    assert comp["ranking"]["vs_baseline"].str.startswith("identical").all()
    assert comp["cost_effectiveness"]["note"].str.contains("identical").all()
    # the two arms got distinct names but the same scenario
    arms = comp["arms"]
    assert arms["arm"].nunique() == 2 and arms["scenario_hash"].nunique() == 1


def test_common_random_numbers_narrow_the_interval_at_least_3x():
    base = small(households=HH, months=MONTHS)
    seeds = list(range(1, 11))
    widths, heads = {}, {}
    for pairing in ("crn", "independent"):
        comp = compare(base, [microcredit_cm()], seeds=seeds, pairing=pairing,
                       executor="serial")
        h = heads[pairing] = comp["headline"].set_index("outcome")
        widths[pairing] = h["ci_high"] - h["ci_low"]
        if pairing == "independent":  # the countermeasure really ran on other seeds
            arm_seeds = comp["arms"].set_index("role")["seeds"]
            assert arm_seeds["baseline"] != arm_seeds["countermeasure"]
    ratio = widths["independent"] / widths["crn"]
    print("\nCI width, independent seeds / common random numbers (10 replicates, "
          f"{HH} households):\n{ratio.round(2).to_string()}")
    assert ratio["income_pc_end"] >= 3, ratio
    assert ratio["people_lifted"] >= 3, ratio
    # a real countermeasure: the paired interval of income excludes zero, and is not zero
    assert heads["crn"].loc["income_pc_end", "ci_low"] > 0
    assert (widths["crn"] > 0).all()


@TWO_WAY_GROUP
def test_tables_follow_from_the_runs(two_way):
    comp = two_way
    base, cm = comp.meta["baseline"], "more_microcredit"
    seeds = comp.meta["seeds"]
    # households pair by row: the same seed gives the same households in every arm
    by = {(r.arm, r.seed): r for r in comp.runs}
    for s in seeds:
        np.testing.assert_array_equal(by[base, s].households["head_age"],
                                      by[cm, s].households["head_age"])
    # a headline row equals a paired t-test on the replicates computed here
    reps = comp["replicates"]
    b = reps[reps.arm == base].sort_values("replicate")["income_pc_end"].to_numpy()
    c = reps[reps.arm == cm].sort_values("replicate")["income_pc_end"].to_numpy()
    row = comp["headline"].query("countermeasure == @cm and outcome == 'income_pc_end'").iloc[0]
    ref = stats.ttest_rel(c, b)
    ci = ref.confidence_interval(0.95)
    assert row["diff"] == pytest.approx((c - b).mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert row["p"] == pytest.approx(ref.pvalue)
    # the replicate outcome is the run's own end-of-run figure (independent re-run)
    again = run(small({"name": "more_microcredit", "instruments.microcredit.budget": 1e8},
                      households=HH, months=MONTHS), seed=seeds[0], keep_model=True)
    assert c[0] == again.monthly["income_pc"].iloc[-1]
    # decile 1 change recomputed from the re-run and the stored baseline households
    hb = by[base, seeds[0]].households
    dec = weighted_deciles(hb["annual_income"], hb["size"])
    m = dec == 1
    d1 = (np.average(again.model.households.annual_income[m], weights=hb["size"][m])
          - np.average(hb["annual_income"][m], weights=hb["size"][m]))
    per_rep = []
    for s in seeds:
        hb_s, hc_s = by[base, s].households, by[cm, s].households
        dec_s = weighted_deciles(hb_s["annual_income"], hb_s["size"])
        k = dec_s == 1
        per_rep.append(np.average(hc_s["annual_income"][k], weights=hb_s["size"][k])
                       - np.average(hb_s["annual_income"][k], weights=hb_s["size"][k]))
    assert per_rep[0] == pytest.approx(d1)
    d_row = comp["deciles"].query("countermeasure == @cm and decile == 1").iloc[0]
    assert d_row["diff"] == pytest.approx(np.mean(per_rep))
    # group incidence comes from the monthly group series at the date
    g = comp["groups"].query("countermeasure == @cm and group == 'elderly' and "
                             "date == '2020-12'").iloc[0]
    col = [by[cm, s].monthly.set_index("date").loc["2020-12", "incidence_elderly"]
           for s in seeds]
    assert g["value"] == pytest.approx(np.mean(col))
    # period flows add up to the whole run (one period here: the run ends in 2020-12)
    per = comp["periods"].query("countermeasure == @cm and outcome == 'exits'")
    whole = comp["headline"].query("countermeasure == @cm and outcome == 'cumulative_exits'")
    assert per["value"].sum() == pytest.approx(whole["value"].iloc[0])


@TWO_WAY_GROUP
def test_distribution_tables_are_consistent(two_way):
    comp = two_way
    dec = comp["deciles"]
    assert sorted(dec["decile"].unique()) == list(range(1, 11))
    # baseline decile means increase with the decile
    for _, d in dec.groupby("countermeasure"):
        assert np.all(np.diff(d.sort_values("decile")["baseline"].to_numpy()) > 0)
    wl = comp["winners_losers"].set_index(["countermeasure", "measure"])["share"]
    for arm in comp.meta["countermeasures"]:
        assert 0 <= wl[arm, "winners"] + wl[arm, "losers"] <= 1
    # minimum living transfers raise incomes of some households by more than 5%
    assert wl["more_minimum_living", "winners"] > 0
    ce = comp["cost_effectiveness"].set_index("countermeasure")
    h = comp["headline"].set_index(["countermeasure", "outcome"])
    for arm in comp.meta["countermeasures"]:
        assert ce.loc[arm, "extra_spending"] == pytest.approx(h.loc[(arm, "total_spending"),
                                                                    "diff"])


@TWO_WAY_GROUP
def test_ranking_states_criterion_and_order(two_way):
    rank = two_way["ranking"]
    assert list(rank["rank"]) == [1, 2]
    assert (rank["criterion"] == "incidence_2020-12").all()
    assert rank["diff"].is_monotonic_increasing  # lower incidence is better
    assert "lower is better" in two_way.meta["criterion"]
    assert rank["vs_next"].iloc[0] and pd.isna(rank["vs_next"].iloc[1])


def test_serial_and_process_pool_give_identical_tables():
    base = small(households=300, months=36)
    cm = small({"name": "cm", "instruments.microcredit.budget": 1e8}, households=300,
               months=36)
    a = compare(base, [cm], seeds=[1, 2, 3], executor="serial")
    b = compare(base, [cm], seeds=[1, 2, 3], executor="process", workers=2)
    for name, table in a.tables.items():
        pd.testing.assert_frame_equal(table, b.tables[name], obj=name)


def test_holm_and_paired_diff_edge_cases():
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03, 0.005])),
                               [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm(np.array([0.04, np.nan, 0.01])), [0.04, np.nan, 0.02])
    d = paired_diff(np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0]))
    assert (d.mean, d.low, d.high, d.p, d.identical) == (1.0, 1.0, 1.0, 0.0, False)
    d = paired_diff(np.array([1.0, np.nan, 2.0]), np.array([1.0, 5.0, 2.0]))
    assert d.identical and d.n == 2


def test_overlays_on_base_and_baseline(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("name: more_credit\ninstruments:\n  microcredit: {budget: 2.0e8}\n")
    baseline, arms = load_arms([a, "demo"], base="liangshan", households=500)
    assert baseline.scenario.region.name == "Liangshan-like prefecture"
    cm = arms[0].scenario
    assert cm.instruments.microcredit.budget == 2e8 and cm.households == 500
    # everything else is the archetype's
    assert cm.instruments.minimum_living.budget == baseline.scenario.instruments.minimum_living\
        .budget
    assert arms[1].name == "demo"  # names are kept unique and readable
    baseline2, arms2 = load_arms([a], baseline="demo", overrides=["months=24"])
    assert arms2[0].scenario.region.name == "demo county" and arms2[0].scenario.months == 24
    # a relative overlay resolves against whichever baseline it is applied to
    rel = tmp_path / "double_credit.yaml"
    rel.write_text("scale:\n  instruments.microcredit.budget: 2\n")
    for archetype in ("liangshan", "demo"):
        b, (arm,) = load_arms([rel], base=archetype, households=300)
        assert arm.scenario.instruments.microcredit.budget == pytest.approx(
            2 * b.scenario.instruments.microcredit.budget)


@pytest.mark.parametrize(("text", "field"), [
    ("households: 900\n", "households"),
    ("months: 12\n", "months"),
    ("instruments:\n  microcredit: {budgett: 1}\n", "instruments.microcredit.budgett"),
    ("instruments:\n  microcredit: {budget: -1}\n", "instruments.microcredit.budget"),
])
def test_bad_countermeasure_names_file_and_field(tmp_path, text, field):
    bad = tmp_path / "bad_cm.yaml"
    bad.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_arms([bad], baseline="demo")
    assert "bad_cm.yaml" in str(err.value) and f"'{field}'" in str(err.value)


def test_missing_countermeasure_and_bad_arguments(tmp_path):
    with pytest.raises(ScenarioError, match="nope.yaml"):
        load_arms([tmp_path / "nope.yaml"], baseline="demo")
    base = small(households=200, months=24)
    with pytest.raises(ValueError, match="outside the run"):
        compare(base, [base], replicates=2, dates=["2030-01"], executor="serial")
    with pytest.raises(ValueError, match="rank_by"):
        compare(base, [base], replicates=2, rank_by="happiness", executor="serial")
    with pytest.raises(ValueError, match="at least 2 replicates"):
        compare(base, [base], replicates=1, executor="serial")
    other = Arm("x", small(households=300, months=24), "x.yaml")
    with pytest.raises(ScenarioError, match="x.yaml: field 'households'"):
        compare(base, [other], replicates=2, executor="serial")


def test_cost_effectiveness_names_dominant_dominated_and_savings():
    from simulation.comparison.compare import _cost_effectiveness, _Ctx

    rng = np.random.default_rng(0)
    n = 8
    base_sp, base_li = 1e9 + rng.normal(0, 1e6, n), 5e4 + rng.normal(0, 50, n)
    arms = {"more_for_more": (2e8, 1e4), "dominant": (-1e8, 1e4), "dominated": (1e8, -1e4),
            "saving": (-2e8, -1e4)}
    rows = [{"arm": "base", "replicate": i, "total_spending": base_sp[i],
             "people_lifted": base_li[i]} for i in range(n)]
    for arm, (ds, dl) in arms.items():
        rows += [{"arm": arm, "replicate": i,
                  "total_spending": base_sp[i] + ds + rng.normal(0, 1e5),
                  "people_lifted": base_li[i] + dl + rng.normal(0, 10)} for i in range(n)]
    ctx = _Ctx("base", list(arms), list(range(n)), {}, paired_diff, 0.05, "holm")
    ce = _cost_effectiveness(ctx, pd.DataFrame(rows)).set_index("countermeasure")
    assert ce.loc["more_for_more", "yuan_per_extra_person_lifted"] == pytest.approx(2e4, rel=0.01)
    assert ce.loc["more_for_more", "ratio_low"] < 2e4 < ce.loc["more_for_more", "ratio_high"]
    assert ce.loc["dominant", "note"].startswith("dominant")
    assert ce.loc["dominated", "note"].startswith("dominated")
    assert np.isnan(ce.loc[["dominant", "dominated"], "yuan_per_extra_person_lifted"]).all()
    assert ce.loc["saving", "note"].startswith("saving")
    assert ce.loc["saving", "yuan_per_extra_person_lifted"] == pytest.approx(2e4, rel=0.01)
