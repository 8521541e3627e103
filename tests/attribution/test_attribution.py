"""Attribution: Shapley efficiency, null groups give exactly zero (common random numbers),
one-at-a-time with one group equals Shapley, the pool gives the serial numbers, and the
command line refuses bad input before any run and writes its three files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulation.attribution.attribute import attribute
from simulation.attribution.groups import DEFAULT_GROUPS, Group, resolve_groups
from simulation.attribution.shapley import one_at_a_time, shapley
from simulation.cli import main
from simulation.errors import UsageError
from tests.conftest import small

HH, MONTHS, TO = 400, 48, 2017  # demo cut to 2014-01..2017-12
#: the tests sharing the module-scoped `result` run on one xdist worker
pytestmark = pytest.mark.xdist_group("attribution")
PROGRAMMES = Group("programmes", "programmes", {"instruments.cooperative.enabled": False,
                                                "instruments.microcredit.enabled": False,
                                                "instruments.infrastructure.enabled": False})
TRANSFERS = Group("transfers", "transfers", {"instruments.minimum_living.enabled": False})
#: Relocation has no budget in demo: switching it off changes nothing.
NULL = Group("null", "no-op", {"instruments.relocation.enabled": False})


@pytest.fixture(scope="module")
def result():
    return attribute(small(households=HH, months=MONTHS), [PROGRAMMES, TRANSFERS, NULL],
                     seeds=[1, 2], to_year=TO, executor="serial", keep_runs=True)


def _values(res, seed):
    """Coalition values of one seed, keyed by bit mask in the groups' order."""
    names = [g.name for g in res.groups]
    out = {}
    for r in res.coalitions[res.coalitions["seed"] == seed].to_dict("records"):
        label = r["coalition"]
        on = (set(names) if label == "all" else set() if label == "none"
              else set(label.split("+")))
        out[sum(1 << i for i, n in enumerate(names) if n in on)] = r["fall"]
    return out


def test_shapley_is_efficient(result):
    t = result.by_seed
    for seed in (1, 2):
        s = t[t["seed"] == seed].set_index("group")["fall"]
        groups = s[["programmes", "transfers", "null"]].sum()
        assert groups == pytest.approx(s["total"] - s["remaining"], abs=1e-14)
        assert s["total"] > 0  # incidence falls in demo
    shares = result.table.set_index("group")["share"]
    assert shares[["programmes", "transfers", "null", "remaining"]].sum() == pytest.approx(1)


def test_a_group_that_changes_nothing_gets_exactly_zero(result):
    t = result.by_seed
    assert (t.loc[t["group"] == "null", "fall"] == 0.0).all()
    row = result.table.set_index("group").loc["null"]
    assert row["fall"] == 0.0 and row["fall_low"] == 0.0 and row["fall_high"] == 0.0
    # the runs with and without it are identical (common random numbers), not just close
    v = _values(result, 1)
    for mask in range(4):
        assert v[mask] == v[mask | 4]
    assert (t.loc[t["group"] == "programmes", "fall"] != 0).all()
    assert [n for n in result.notes if "identical with and without" in n] == [
        "group 'null': the outcome is identical with and without it in every pair of runs "
        "(it spends nothing here, or acts outside the years compared)"]


def test_shapley_matches_the_formula_for_two_groups(result):
    """With the null group out, Shapley of two groups is the mean of the two orders."""
    v = _values(result, 2)
    a = 0.5 * (v[1] - v[0]) + 0.5 * (v[3] - v[2])
    phi = shapley(v, 3)
    assert phi[0] == pytest.approx(a, abs=1e-15)
    effects, residual = one_at_a_time(v, 3)
    assert sum(effects) + residual == pytest.approx(v[7] - v[0], abs=1e-15)


def test_one_at_a_time_with_one_group_equals_shapley_and_pool_equals_serial():
    sc = small(households=HH, months=MONTHS)
    kw = {"seeds": [3], "to_year": TO}
    sh = attribute(sc, [TRANSFERS], executor="serial", **kw)
    oat = attribute(sc, [TRANSFERS], method="one-at-a-time", executor="process", workers=2,
                    **kw)
    a, b = sh.table.set_index("group"), oat.table.set_index("group")
    assert a.loc["transfers", "fall"] == b.loc["transfers", "fall"]
    assert b.loc["interaction", "fall"] == 0.0
    assert math.isnan(a.loc["transfers", "share_low"])  # one seed: no interval
    pd.testing.assert_frame_equal(sh.coalitions, oat.coalitions)  # pool == serial, bit for bit


def test_default_groups_skip_paths_the_schema_lacks():
    sc = small(households=HH, months=MONTHS)
    res = resolve_groups(sc)
    names = [g.name for g in res.groups]
    assert names[:2] == ["programmes", "transfers"] and "actors" in names
    assert "instruments.minimum_living.enabled" in res.groups[1].overrides
    assert not any("registration" in p for g in res.groups for p in g.overrides)
    declared = {p for g in DEFAULT_GROUPS for p in g.overrides}
    kept = {p for g in res.groups for p in g.overrides}
    for path in declared - kept:  # e.g. transfers.pension.enabled before it lands
        assert any(path in note for note in res.notes)
    with pytest.raises(UsageError, match="is in groups"):
        resolve_groups(sc, [TRANSFERS, Group("again", "x", dict(TRANSFERS.overrides))])
    with pytest.raises(UsageError, match="one-at-a-time"):
        attribute(sc, [f"g{i}=instruments.{k}"
                       for i, k in enumerate(["cooperative", "microcredit", "ecommerce",
                                              "tourism", "publicity", "water", "housing"])],
                  seeds=[1], to_year=TO)


@pytest.mark.parametrize(("args", "named"), [
    (["--group", "credit=instruments.microcredit.nonsense"],
     "instruments.microcredit.nonsense"),
    (["--group", "credit=instruments..enabled"], "--group"),
    (["--group", "credit=name"], "'name'"),
    (["--group", "nosuchdefault"], "nosuchdefault"),
    (["--from", "2010"], "--from 2010"),
    (["--to", "2030"], "--to 2030"),
    (["--outcome", "no_such_column"], "no_such_column"),
    (["--outcome", "date"], "'date'"),
    (["--group", "reg=instruments.registration.enabled"], "instruments.registration.enabled"),
    (["--executor", "threads"], "--executor 'threads'"),
])
def test_cli_refuses_bad_input_before_any_run(args, named, capsys, tmp_path):
    rc = main(["attribute", "demo", "--households", "200", "--set", f"months={MONTHS}",
               "--to", str(TO), "--seeds", "1", "--executor", "serial", "--quiet",
               "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert named in err
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


def test_cli_writes_csv_markdown_and_figure(capsys, tmp_path):
    out = tmp_path / "attr"
    rc = main(["attribute", "demo", "--households", "300", "--set", f"months={MONTHS}",
               "--to", str(TO), "--seeds", "1,2", "--executor", "serial", "--quiet",
               "--method", "one-at-a-time", "--group", "transfers",
               "--group", "credit=instruments.microcredit", "--out", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "transfers" in printed and "interaction" in printed
    csv = pd.read_csv(out / "attribution.csv")
    assert set(csv["kind"]) == {"seed", "summary"}
    assert len(csv[csv["kind"] == "seed"]) == 2 * 5  # 2 groups, remaining, interaction, total
    assert csv["scenario_hash"].nunique() == 1 and (csv["seed_list"] == "1 2").all()
    md = (out / "attribution.md").read_text()
    assert "| group |" in md and "share of the total fall" in md and "demo" in md
    assert (out / "attribution.png").read_bytes()[:4] == b"\x89PNG"


def test_runs_stopped_at_the_last_year_match_the_full_run():
    from simulation.attribution.runs import coalition_scenarios, run_coalition
    from simulation.runs.executors import Task
    from simulation.runs.runner import run

    sc = small(households=HH, months=MONTHS)
    short = coalition_scenarios(sc, [TRANSFERS], [0], to_year=2015)[0]
    assert short.months == 24 and not short.instruments.minimum_living.enabled
    _, got = run_coalition(Task.of(short, 5, 0))
    full = run(sc.model_copy(update={"instruments": short.instruments}), 5).monthly
    want = full[full["date"].isin(["2014-12", "2015-12"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.year_ends, want)


def test_shapley_is_the_average_over_orders():
    import itertools
    import random

    rng = random.Random(4)
    n = 4
    v = {mask: rng.uniform(-1, 1) for mask in range(1 << n)}
    phi = shapley(v, n)
    orders = list(itertools.permutations(range(n)))
    for i in range(n):
        total = 0.0
        for order in orders:
            before = sum(1 << j for j in order[:order.index(i)])
            total += v[before | 1 << i] - v[before]
        assert phi[i] == pytest.approx(total / len(orders), abs=1e-12)


def test_shapley_also_reports_one_at_a_time_from_the_same_runs(result):
    oat = result.one_at_a_time.set_index("group")
    sh = result.table.set_index("group")
    live = oat.loc[["programmes", "transfers", "null"], "fall"].sum()
    assert oat.loc["interaction", "fall"] + live == pytest.approx(
        sh.loc["total", "fall"] - sh.loc["remaining", "fall"], abs=1e-14)
    assert oat.loc["null", "fall"] == 0.0
    # with two live groups Shapley splits their interaction equally
    for g in ("programmes", "transfers"):
        assert sh.loc[g, "fall"] == pytest.approx(
            oat.loc[g, "fall"] + oat.loc["interaction", "fall"] / 2, abs=1e-14)
