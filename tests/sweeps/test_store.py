"""The results store: runs round-trip exactly through DuckDB and Parquet, every row carries
model version, scenario hash and seed, a rewrite never duplicates a run, and runs of another
model version are not mistaken for done."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.fingerprint import code_fingerprint
from simulation.runs.runner import run
from simulation.scenario import build, load_scenario, with_overrides
from simulation.sweeps import store


@pytest.fixture(scope="module")
def results():
    base = load_scenario("demo", {"months": 24, "households": 400})
    other = with_overrides(base, {"instruments.microcredit.budget": 1e8})
    return [run(base, 1), run(base, 2), run(other, 1)]


@pytest.mark.parametrize("backend", ["duckdb", "parquet", "both"])
def test_round_trip_is_exact_and_rows_are_keyed(tmp_path, results, backend):
    db = tmp_path / "r.duckdb" if backend in ("duckdb", "both") else None
    pq = tmp_path / "pq" if backend in ("parquet", "both") else None
    with store.Store(db, pq) as st:
        for r in results:
            st.write_run(r)
        assert st.done_keys() == {r.meta["run_key"] for r in results}
    for path in [p for p in (db, pq) if p is not None]:
        with store.connect(path) as con:
            for r in results:
                got = con.execute("SELECT * FROM monthly WHERE run_key = ? ORDER BY month",
                                  [r.meta["run_key"]]).df()
                want = r.monthly.reset_index(drop=True)
                pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False,
                                              check_exact=True)
                outs = dict(con.execute("SELECT outcome, value FROM outcomes WHERE run_key=?",
                                        [r.meta["run_key"]]).fetchall())
                for k, v in r.summary.items():  # NaN is stored as SQL NULL
                    got_v = np.nan if outs[k] is None else outs[k]
                    assert got_v == v or (np.isnan(v) and np.isnan(got_v)), k
                assert outs["participation_microcredit_mean"] == pytest.approx(
                    r.monthly["participation_microcredit"].mean(), abs=0)
            for table in ("runs", "outcomes", "monthly"):
                bad = con.execute(f"SELECT count(*) FROM {table} WHERE model_version IS NULL "
                                  "OR scenario_hash IS NULL OR seed IS NULL").fetchone()[0]
                assert bad == 0, table
                keyed = con.execute(f"SELECT count(*) FROM {table} WHERE run_key <> "
                                    "scenario_hash || '-' || CAST(seed AS VARCHAR) || '-' || "
                                    f"'{code_fingerprint()}'").fetchone()
                assert keyed[0] == 0, table
            # Two seeds of one scenario and one other scenario: the text is stored once each.
            scen = con.execute("SELECT scenario_hash, scenario_yaml FROM scenarios").df()
            assert len(scen) == 2 and scen["scenario_hash"].is_unique
            for h, text in zip(scen["scenario_hash"], scen["scenario_yaml"], strict=True):
                assert build(yaml.safe_load(text)).content_hash() == h  # the text rebuilds it


def test_rewriting_a_run_keeps_it_once(tmp_path, results):
    r = results[0]
    with store.Store(tmp_path / "r.duckdb", tmp_path / "pq") as st:
        for _ in range(3):
            st.write_run(r)
    for path in (tmp_path / "r.duckdb", tmp_path / "pq"):
        with store.connect(path) as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
            assert con.execute("SELECT count(*) FROM monthly").fetchone()[0] == 24
            n_out = con.execute("SELECT count(*), count(DISTINCT outcome) FROM outcomes"
                                ).fetchone()
            assert n_out[0] == n_out[1] > 10


def test_runs_of_another_model_version_are_not_done_and_get_replaced(tmp_path, results):
    r = results[0]
    old = type(r)(r.monthly, r.villages, r.summary, {**r.meta, "model_version": "0.0.1"})
    with store.Store(tmp_path / "r.duckdb") as st:
        st.write_run(old)
        assert st.done_keys() == set()
        assert st.done_keys("0.0.1") == {r.meta["run_key"]}
        st.write_run(r)
        assert st.done_keys() == {r.meta["run_key"]}
    with store.connect(tmp_path / "r.duckdb") as con:
        versions = con.execute("SELECT DISTINCT model_version FROM monthly").fetchall()
        assert versions == [(r.meta["model_version"],)]
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results store"):
        store.connect(tmp_path / "nope.duckdb")
    with pytest.raises(ValueError, match="needs a DuckDB file"):
        store.Store(None, None)
