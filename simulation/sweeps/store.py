"""Where runs are kept: an embedded DuckDB database and/or a Parquet dataset.

Every run is written as one unit as soon as it finishes, keyed by its run key
(`{scenario hash}-{seed}-{code fingerprint}`), so an interrupted sweep loses at most the runs
in flight and a resumed sweep skips exactly the runs already stored by the same model code
(see `simulation.fingerprint`). A DuckDB file open for writing cannot
be opened by another process, so one process (the one driving the sweep) writes; workers
only return results.

Tables (the same names in both back ends, so the same SQL works on either):

- ``scenarios``: scenario_hash, scenario_name, scenario_yaml (the text once per hash)
- ``runs``: one row per run: run_key, scenario_hash, seed, model_version, git_commit,
  timings and the full metadata as JSON
- ``outcomes``: run_key, scenario_hash, seed, model_version, outcome, value (long form)
- ``monthly``: run_key, scenario_hash, seed, model_version and every monthly series column
- ``sweeps``, ``sweep_points`` (sweep_id, point_id, scenario, param, value, label) and
  ``sweep_runs`` (sweep_id, point_id, replicate, seed, run_key): which runs make a sweep

Parquet layout: ``DIR/<table>/<key>.parquet``, one file per run (``runs/`` is written
last and marks a run as complete), queried through DuckDB views by `connect`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import simulation
from simulation.runs.runner import RunResult
from simulation.scenario import PROGRAMMES

DEFAULT_DB = Path("results") / "povsim.duckdb"

_DDL = """
CREATE TABLE IF NOT EXISTS scenarios (
    scenario_hash VARCHAR PRIMARY KEY, scenario_name VARCHAR, scenario_yaml VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
    run_key VARCHAR PRIMARY KEY, scenario_hash VARCHAR, seed BIGINT, model_version VARCHAR,
    git_commit VARCHAR, scenario_name VARCHAR, households BIGINT, months BIGINT,
    started_at VARCHAR, stored_at VARCHAR, setup_seconds DOUBLE, run_seconds DOUBLE,
    meta_json VARCHAR);
CREATE TABLE IF NOT EXISTS outcomes (
    run_key VARCHAR, scenario_hash VARCHAR, seed BIGINT, model_version VARCHAR,
    outcome VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id VARCHAR PRIMARY KEY, name VARCHAR, design VARCHAR, created_at VARCHAR,
    model_version VARCHAR, n_points BIGINT, n_runs BIGINT, params_json VARCHAR,
    spec_yaml VARCHAR);
CREATE TABLE IF NOT EXISTS sweep_points (
    sweep_id VARCHAR, point_id BIGINT, scenario VARCHAR, param VARCHAR, value DOUBLE,
    label VARCHAR);
CREATE TABLE IF NOT EXISTS sweep_runs (
    sweep_id VARCHAR, point_id BIGINT, replicate BIGINT, seed BIGINT, run_key VARCHAR,
    scenario_hash VARCHAR);
"""
TABLES = ("scenarios", "runs", "outcomes", "monthly", "sweeps", "sweep_points", "sweep_runs")


def run_outcomes(result: RunResult) -> dict[str, float]:
    """Scalar outcomes of one run: the runner's summary plus take-up of every programme.

    Take-up is reported as the mean monthly participation share and the share ever joined
    at the end, because sweeps over instruments are mostly about who joins.
    """
    out = {k: float(v) for k, v in result.summary.items()}
    m = result.monthly
    for p in PROGRAMMES:
        if f"participation_{p}" in m:
            out[f"participation_{p}_mean"] = float(m[f"participation_{p}"].mean())
        if f"ever_joined_{p}" in m:
            out[f"ever_joined_{p}_end"] = float(m[f"ever_joined_{p}"].iloc[-1])
    return out


def _run_rows(result: RunResult) -> dict[str, pd.DataFrame]:
    """The rows one run adds to each table."""
    meta = result.meta
    key = {"run_key": str(meta["run_key"]), "scenario_hash": str(meta["scenario_hash"]),
           "seed": int(meta["seed"]), "model_version": str(meta["model_version"])}
    extra = {k: v for k, v in meta.items() if k != "scenario_yaml"}
    runs = pd.DataFrame([{
        **key, "git_commit": str(meta.get("git_commit", "")),
        "scenario_name": str(meta.get("scenario_name", "")),
        "households": int(meta.get("households", 0)), "months": int(meta.get("months", 0)),
        "started_at": str(meta.get("started_at", "")),
        "stored_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup_seconds": float(meta.get("setup_seconds", np.nan)),
        "run_seconds": float(meta.get("run_seconds", np.nan)),
        "meta_json": json.dumps(extra, default=str, sort_keys=True)}])
    outcomes = pd.DataFrame([{**key, "outcome": k, "value": v}
                             for k, v in run_outcomes(result).items()])
    monthly = result.monthly.copy()
    for i, (col, value) in enumerate(key.items()):
        monthly.insert(i, col, value)
    scen = pd.DataFrame([{"scenario_hash": key["scenario_hash"],
                          "scenario_name": str(meta.get("scenario_name", "")),
                          "scenario_yaml": str(meta["scenario_yaml"])}])
    return {"scenarios": scen, "outcomes": outcomes, "monthly": monthly, "runs": runs}


class Store:
    """The single writer of a results store (DuckDB file, Parquet folder, or both).

    Use as a context manager; `write_run` is atomic per run; `done_keys` tells a resumed
    sweep what to skip. Runs stored by another model version are not counted as done and
    are replaced when rerun, so results of two model versions are never mixed.
    """

    def __init__(self, db: str | Path | None = DEFAULT_DB, parquet: str | Path | None = None):
        if db is None and parquet is None:
            raise ValueError("a store needs a DuckDB file, a Parquet folder or both")
        self.db_path = Path(db) if db is not None else None
        self.parquet = Path(parquet) if parquet is not None else None
        self.con: duckdb.DuckDBPyConnection | None = None
        self._monthly_columns: tuple[str, ...] = ()
        self._scenarios_seen: set[str] = set()  # scenario texts already stored this session
        if self.db_path is not None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.con = duckdb.connect(str(self.db_path))
            except duckdb.IOException as exc:
                raise RuntimeError(f"cannot open {self.db_path} for writing (is another sweep "
                                   f"or a report using it?): {exc}") from exc
            self.con.execute(_DDL)
        if self.parquet is not None:
            for t in TABLES:
                (self.parquet / t).mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    # ------------------------------------------------------------------ reading state
    def done_keys(self, model_version: str | None = None) -> set[str]:
        """Run keys already stored by `model_version` (default: this model's version; "*":
        any version). Run keys end in the model-code fingerprint, so a run made by other
        code never matches a key planned now.

        With both back ends, a run counts as done only when both hold it.
        """
        version = model_version or simulation.__version__
        where = "" if version == "*" else " WHERE model_version = ?"
        params = [] if version == "*" else [version]
        sets: list[set[str]] = []
        if self.con is not None:
            rows = self.con.execute("SELECT run_key FROM runs" + where, params).fetchall()
            sets.append({r[0] for r in rows})
        if self.parquet is not None:
            keys: set[str] = set()
            if any((self.parquet / "runs").glob("*.parquet")):
                glob = (self.parquet / "runs").resolve().as_posix() + "/*.parquet"
                with duckdb.connect() as con:
                    rows = con.execute("SELECT run_key FROM read_parquet(?, union_by_name=true)"
                                       + where, [glob, *params]).fetchall()
                keys = {r[0] for r in rows}
            sets.append(keys)
        return set.intersection(*sets)

    # ------------------------------------------------------------------------ writing
    def write_run(self, result: RunResult) -> None:
        """Store one run (metadata, outcomes, monthly series, scenario text) atomically."""
        # Arrow once for both back ends: DuckDB scans Arrow without per-column pandas work.
        rows = {k: pa.Table.from_pandas(v, preserve_index=False)
                for k, v in _run_rows(result).items()}
        key = str(result.meta["run_key"])
        if self.parquet is not None:
            # A scenario's text is written once (its file is named by its content hash).
            scen = self.parquet / "scenarios" / f"{rows['scenarios']['scenario_hash'][0]}.parquet"
            if not scen.is_file():
                _atomic_parquet(rows["scenarios"], scen)
            # runs/ last: its file is what marks the run complete.
            for table in ("outcomes", "monthly", "runs"):
                _atomic_parquet(rows[table], self.parquet / table / f"{key}.parquet")
        if self.con is not None:
            self._write_db(key, rows)

    def _write_db(self, key: str, rows: dict[str, pa.Table]) -> None:
        con = self.con
        assert con is not None
        with _transaction(con):
            self._ensure_monthly(rows["monthly"])
            # Replacing a run (rerun, or another model version): drop its old rows first.
            if con.execute("SELECT 1 FROM runs WHERE run_key = ?", [key]).fetchone():
                for table in ("runs", "outcomes", "monthly"):
                    con.execute(f"DELETE FROM {table} WHERE run_key = ?", [key])
            scen = str(rows["scenarios"]["scenario_hash"][0])
            tables = ("runs", "outcomes", "monthly")
            if scen not in self._scenarios_seen:
                tables = ("scenarios", *tables)
            for table in tables:
                _insert(con, table, rows[table],
                        "INSERT OR IGNORE" if table == "scenarios" else "INSERT")
        self._scenarios_seen.add(scen)

    def _ensure_monthly(self, monthly: pa.Table) -> None:
        """Create the monthly table from the first run; add columns a newer model adds."""
        con = self.con
        assert con is not None
        if tuple(monthly.column_names) == self._monthly_columns:
            return  # the usual case: same columns as the last run written
        con.register("_povsim_rows", monthly)
        con.execute("CREATE TABLE IF NOT EXISTS monthly AS SELECT * FROM _povsim_rows LIMIT 0")
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name='monthly'"
        ).fetchall()}
        types = dict(con.execute("SELECT column_name, column_type FROM "
                                 "(DESCRIBE SELECT * FROM _povsim_rows)").fetchall())
        con.unregister("_povsim_rows")
        for col in monthly.column_names:
            if col not in have:
                con.execute(f'ALTER TABLE monthly ADD COLUMN "{col}" {types[col]}')
        self._monthly_columns = tuple(monthly.column_names)

    def register_sweep(self, sweep: dict, points: pd.DataFrame, runs: pd.DataFrame) -> None:
        """Record which runs make up a sweep (idempotent: replaces an earlier record).

        sweep: one row of the ``sweeps`` table; points: sweep_points rows; runs: sweep_runs
        rows. Written before any run, so an interrupted sweep still knows its plan.
        """
        sid = str(sweep["sweep_id"])
        frames = {"sweeps": pd.DataFrame([sweep]), "sweep_points": points,
                  "sweep_runs": runs}
        if self.parquet is not None:
            for table, df in frames.items():
                _atomic_parquet(df, self.parquet / table / f"{sid}.parquet")
        if self.con is not None:
            con = self.con
            with _transaction(con):
                for table, df in frames.items():
                    con.execute(f"DELETE FROM {table} WHERE sweep_id = ?", [sid])
                    _insert(con, table, df)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection):
    """All or nothing: commit when the block ends, roll back on any exception (Ctrl-C too)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame | pa.Table,
            verb: str = "INSERT") -> None:
    """Append rows to a table, matching columns by name."""
    con.register("_povsim_rows", rows)
    con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM _povsim_rows")
    con.unregister("_povsim_rows")


def _atomic_parquet(table: pd.DataFrame | pa.Table, path: Path) -> None:
    """Write to a temporary name, then rename: readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(table, tmp)
    os.replace(tmp, path)


# ------------------------------------------------------------------------ reading back
def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for SQL over a results store: a .duckdb file (opened read-only)
    or a Parquet folder (exposed as views with the same table names)."""
    path = Path(path).resolve()
    if path.is_dir():
        con = duckdb.connect()
        for table in TABLES:
            files = path / table
            if not any(files.glob("*.parquet")):
                continue
            source = f"read_parquet('{files.as_posix()}/*.parquet', union_by_name=true)"
            if table in ("outcomes", "monthly"):  # orphans of a run killed mid-write
                source = (f"(SELECT * FROM {source} WHERE run_key IN "
                          f"(SELECT run_key FROM runs))")
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM {source}")
        return con
    if not path.is_file():
        raise FileNotFoundError(f"no results store at {path} (expected a .duckdb file or a "
                                "Parquet folder written by `povsim sweep run`)")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise RuntimeError(f"cannot open {path}: a running sweep holds it for writing; wait "
                           f"for it to finish, or write Parquet (--parquet) to read while a "
                           f"sweep runs ({exc})") from exc


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}


def list_sweeps(path: str | Path) -> pd.DataFrame:
    """Every sweep in a store with how many of its runs are stored."""
    with connect(path) as con:
        if not {"sweeps", "sweep_runs"} <= _tables(con):
            return pd.DataFrame(columns=["sweep_id", "name", "design", "created_at",
                                         "n_points", "n_runs", "stored"])
        runs = "runs" if "runs" in _tables(con) else "(SELECT NULL::VARCHAR AS run_key)"
        return con.execute(f"""
            SELECT s.sweep_id, s.name, s.design, s.created_at, s.n_points, s.n_runs,
                   count(DISTINCT r.run_key) AS stored
            FROM sweeps s JOIN sweep_runs sr USING (sweep_id)
            LEFT JOIN {runs} r ON r.run_key = sr.run_key
            GROUP BY ALL ORDER BY s.created_at, s.sweep_id""").df()


def resolve_sweep(path: str | Path, sweep: str | None = None) -> str:
    """A sweep id from an id, a name (its latest sweep) or None (the latest sweep)."""
    sweeps = list_sweeps(path)
    if sweeps.empty:
        raise LookupError(f"{path}: no sweeps stored")
    if sweep is None:
        return str(sweeps["sweep_id"].iloc[-1])
    hit = sweeps[(sweeps["sweep_id"] == sweep) | (sweeps["name"] == sweep)]
    if hit.empty:
        raise LookupError(f"{path}: no sweep {sweep!r}; stored: "
                          f"{', '.join(sweeps['sweep_id'])}")
    return str(hit["sweep_id"].iloc[-1])


def load_runs(path: str | Path, sweep: str | None = None) -> pd.DataFrame:
    """One sweep as one pandas table: a row per (point, replicate) with the varied
    parameters and every scalar outcome as columns (NaN outcomes where a run is missing).

    sweep: id or name; None means the latest sweep in the store.
    """
    sid = resolve_sweep(path, sweep)
    with connect(path) as con:
        plan = con.execute("SELECT * FROM sweep_runs WHERE sweep_id = ? "
                           "ORDER BY point_id, replicate", [sid]).df()
        pts = con.execute("SELECT * FROM sweep_points WHERE sweep_id = ?", [sid]).df()
        have = _tables(con)
        outs = (con.execute("""SELECT o.run_key, o.outcome, o.value, o.model_version
                               FROM outcomes o WHERE o.run_key IN
                               (SELECT run_key FROM sweep_runs WHERE sweep_id = ?)""",
                            [sid]).df()
                if "outcomes" in have else pd.DataFrame(
                    columns=["run_key", "outcome", "value", "model_version"]))
    scen = pts.drop_duplicates("point_id").set_index("point_id")["scenario"]
    names = list(pts["param"].dropna().unique())
    params = pd.DataFrame(index=scen.index)
    for name in names:  # numbers as numbers; levels such as "campaign" as their labels
        one = pts[pts["param"] == name].set_index("point_id")
        params[name] = one["value"] if one["value"].notna().all() else one["label"]
    wide = outs.pivot(index="run_key", columns="outcome", values="value")
    versions = outs.drop_duplicates("run_key").set_index("run_key")["model_version"]
    df = plan.join(scen, on="point_id").join(params, on="point_id")
    df = df.join(versions, on="run_key").join(wide, on="run_key")
    return df.reset_index(drop=True)


def load_monthly(path: str | Path, sweep: str | None = None,
                 columns: Iterable[str] | None = None) -> pd.DataFrame:
    """The monthly series of a sweep's runs, with sweep point and replicate, as pandas."""
    sid = resolve_sweep(path, sweep)
    cols = "m.*" if columns is None else ", ".join(
        ["m.run_key", "m.month", "m.date", *(f'm."{c}"' for c in columns)])
    with connect(path) as con:
        return con.execute(f"""
            SELECT sr.point_id, sr.replicate, {cols} FROM sweep_runs sr
            JOIN monthly m ON m.run_key = sr.run_key
            WHERE sr.sweep_id = ? ORDER BY sr.point_id, sr.replicate, m.month""",
                           [sid]).df()
