"""`povsim sweep`: run parameter sweeps into a results store, list them, report on them.

    povsim sweep run SPEC.yaml                        # a sweep file (see docs/sweeps.md)
    povsim sweep run --scenario demo --vary instruments.microcredit.budget=0:5e8 \\
        --samples 64 --replicates 10                  # or flags only
    povsim sweep run ... --scheduler tcp://host:8786  # on a Dask cluster
    povsim sweep list [RESULTS]
    povsim sweep report [RESULTS] [--sweep NAME] [--out DIR]
    povsim sweep sql RESULTS "SELECT ..."
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulation.errors import (
    error,
    positive_int,
    seed,
    stderr,
    warn,
    writable_dir,
    writable_file,
)

DEFAULT_DB = Path("results") / "povsim.duckdb"  # as simulation.sweeps.store.DEFAULT_DB

console = Console(soft_wrap=True)  # messages name paths: do not break them


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `povsim sweep` and its actions (run, list, report, sql)."""
    p = subparsers.add_parser("sweep", help="run and analyse parameter sweeps",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="sweep_action", required=True)

    r = actions.add_parser("run", help="run a sweep (resumes by default)")
    r.add_argument("spec", nargs="?", default=None, help="sweep YAML file (optional)")
    r.add_argument("--scenario", action="append", default=None,
                   help="base scenario name or file (repeat for several)")
    r.add_argument("--vary", action="append", default=[], metavar="PATH=RANGE",
                   help="PATH=LOW:HIGH, PATH=LOW:HIGH:log or PATH=v1,v2,... (repeatable)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="fixed dotted override for every run")
    r.add_argument("--households", type=positive_int, default=None)
    r.add_argument("--design", choices=["grid", "lhs", "qmc", "sobol", "morris",
                                        "replicates"], default=None)
    r.add_argument("--samples", type=positive_int, default=None,
                   help="lhs/qmc points; sobol base N (runs N*(D+2)); morris trajectories")
    r.add_argument("--levels", type=int, default=None, help="grid or Morris levels")
    r.add_argument("--replicates", type=positive_int, default=None, help="seeds per point")
    r.add_argument("--seed", type=seed, default=None, help="first seed (and design seed)")
    r.add_argument("--name", default=None, help="sweep name (default: from the file)")
    r.add_argument("--executor", choices=["serial", "process"], default="process",
                   help="local executor (default: a process pool on all cores)")
    r.add_argument("--workers", type=positive_int, default=None, help="process pool size")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    r.add_argument("--db", default=str(DEFAULT_DB),
                   help="DuckDB file (default results/povsim.duckdb)")
    r.add_argument("--parquet", default=None, metavar="DIR",
                   help="also (or with --no-db, only) write a Parquet dataset here")
    r.add_argument("--no-db", action="store_true", help="write Parquet only")
    r.add_argument("--resume", dest="resume", action="store_true", default=True,
                   help="skip runs already stored (the default)")
    r.add_argument("--no-resume", dest="resume", action="store_false",
                   help="rerun every run and replace stored copies")
    r.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    r.add_argument("--quiet", action="store_true", help="no progress display")
    r.set_defaults(func=cmd_run)

    rep = actions.add_parser("report", help="distributions, sensitivity and plots of a sweep")
    rep.add_argument("results", nargs="?", default=str(DEFAULT_DB),
                     help="DuckDB file or Parquet folder (default results/povsim.duckdb)")
    rep.add_argument("--sweep", default=None, help="sweep id or name (default: the latest)")
    rep.add_argument("--outcome", action="append", default=None,
                     help="outcome to analyse (repeatable; default: the main outcomes)")
    rep.add_argument("--out", default=None,
                     help="report folder (default: results/sweeps/<sweep id>)")
    rep.set_defaults(func=cmd_report)

    ls = actions.add_parser("list", help="sweeps in a results store")
    ls.add_argument("results", nargs="?", default=str(DEFAULT_DB))
    ls.set_defaults(func=cmd_list)

    q = actions.add_parser("sql", help="run a DuckDB SQL query on a results store")
    q.add_argument("results")
    q.add_argument("query")
    q.set_defaults(func=cmd_sql)


# ----------------------------------------------------------------------------- run
def _spec(args: argparse.Namespace):
    from simulation.sweeps.spec import load_spec, spec_from_args

    fields = {"households": args.households, "design": args.design, "samples": args.samples,
              "levels": args.levels, "replicates": args.replicates, "seed": args.seed,
              "name": args.name}
    scenario = None
    if args.scenario:
        scenario = args.scenario[0] if len(args.scenario) == 1 else args.scenario
    if args.spec is None:
        return spec_from_args(scenario, args.vary, args.set, **fields)
    extra = dict(fields, scenario=scenario)
    if args.vary or args.set:
        # Flags add to the file's vary/set; re-validate the merged result.
        base = load_spec(args.spec, extra)
        flags = spec_from_args(None, args.vary, args.set)
        merged = base.model_dump(mode="json", exclude_none=True)
        merged["vary"] = {**merged["vary"], **flags.model_dump(mode="json")["vary"]}
        merged["set"] = {**merged["set"], **flags.set}
        if args.design is None:
            merged.pop("design", None)
        from simulation.sweeps.spec import parse_spec
        return parse_spec(merged, f"{args.spec} with command-line flags")
    return load_spec(args.spec, extra)


def cmd_run(args: argparse.Namespace) -> int:
    from simulation.runs.executors import describe, is_dask_address
    from simulation.sweeps import store as store_mod
    from simulation.sweeps.spec import make_plan, run_sweep

    spec = _spec(args)
    plan = make_plan(spec)
    executor = args.scheduler or args.executor
    if args.scheduler and not is_dask_address(args.scheduler):
        error(f"--scheduler {args.scheduler!r}: expected an address "
                      "like tcp://127.0.0.1:8786")
        return 2
    db = None if args.no_db else args.db
    if db is None and args.parquet is None:
        error("--no-db needs --parquet DIR (somewhere to store runs)")
        return 2
    if db is not None:
        writable_file(db, "--db")
    if args.parquet is not None:
        writable_dir(args.parquet, "--parquet folder")
    if spec.design == "sobol" and spec.samples is not None and spec.samples < 64:
        warn(f"Sobol indices from a base sample of {spec.samples} are noisy (S1 can exceed 1 "
             "or be negative); use --samples 64 or more (runs N*(D+2))")
    where = " and ".join(str(x) for x in (db, args.parquet) if x)
    console.print(f"sweep [bold]{plan.sweep_id}[/]: design {spec.design}, "
                  f"{len(plan.points)} point(s) x {spec.replicates} replicate(s) = "
                  f"{len(plan.tasks)} runs over {', '.join(plan.params) or 'no parameters'}; "
                  f"scenario(s) {', '.join(spec.scenarios)}")
    if args.dry_run:
        print(plan.points.to_string(index=False, max_rows=40))
        return 0
    live = sys.stdout.isatty() and not args.quiet
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                   TextColumn("ETA {task.fields[eta]}"), console=console, disable=not live)
    state: dict = {}

    def on_start(status) -> None:
        console.print(f"{status.already} of {status.unique} distinct runs already stored in "
                      f"{where} by this model code ({status.code}); running "
                      f"{status.unique - status.already} on {describe(executor, args.workers)}")
        if status.stale:
            warn(f"{status.stale} stored run(s) of the same "
                          "scenario and seed were made by other model code and are not "
                          "reused; they are run again")
        state["task"] = bar.add_task("runs", total=status.unique, completed=status.already,
                                     rate="", eta="?")
        state["last"] = 0.0

    def on_stored(status, key: str) -> None:
        rate = status.ran / status.seconds if status.seconds > 0 else float("nan")
        left = status.unique - status.already - status.ran
        eta = _duration(left / rate) if rate > 0 else "?"
        bar.update(state["task"], completed=status.already + status.ran,
                   rate=f"{rate:.2f} runs/s", eta=eta)
        if not live and not args.quiet:  # logs and pipes: one plain line per stored run
            print(f"stored {status.already + status.ran}/{status.unique} {key} "
                  f"({rate:.2f} runs/s, ETA {eta})", flush=True)

    started = time.perf_counter()
    try:
        with store_mod.Store(db, args.parquet) as st, bar:
            status = run_sweep(plan, st, executor, args.workers, args.resume,
                               on_start, on_stored)
    except KeyboardInterrupt:
        stderr.print("[yellow]interrupted[/]: every finished run is stored; run the same "
                      "command again to resume")
        return 130
    except BrokenProcessPool as exc:
        error(f"a worker process died ({exc}); every finished run is "
                      "stored; run the same command again to resume")
        return 1
    except RuntimeError as exc:
        error(f"{exc}")
        return 1
    except OSError as exc:
        if not args.scheduler:
            raise
        error(f"cannot use the Dask scheduler at {args.scheduler}: "
                      f"{exc}; finished runs are stored, run the same command to resume")
        return 1
    console.print(f"done: {status.ran} run(s) in {time.perf_counter() - started:.1f} s "
                  f"({status.ran / max(status.seconds, 1e-9):.2f} runs/s), "
                  f"{status.already} reused; sweep {plan.sweep_id} complete in {where}. "
                  f"Next: povsim sweep report {db or args.parquet} --sweep {plan.sweep_id}")
    return 0


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# -------------------------------------------------------------------- list / sql
def cmd_list(args: argparse.Namespace) -> int:
    from simulation.sweeps import store as store_mod

    try:
        sweeps = store_mod.list_sweeps(args.results)
    except (FileNotFoundError, RuntimeError) as exc:
        error(f"{exc}")
        return 1
    table = Table(title=f"Sweeps in {args.results}")
    for col in ("sweep_id", "design", "created_at", "points", "runs", "stored"):
        table.add_column(col)
    for r in sweeps.itertuples():
        table.add_row(r.sweep_id, r.design, r.created_at, str(r.n_points), str(r.n_runs),
                      str(r.stored))
    console.print(table)
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb
    import pandas as pd

    from simulation.sweeps import store as store_mod

    try:
        with store_mod.connect(args.results) as con:
            df = con.execute(args.query).df()
    except (FileNotFoundError, RuntimeError) as exc:
        error(f"{exc}")
        return 1
    except duckdb.Error as exc:  # bad SQL: the user's query, not a bug
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        error(f"query on {args.results} failed: {type(exc).__name__}: {first}")
        return 2
    with pd.option_context("display.max_rows", 200, "display.width", 200):
        print(df.to_string(index=False))
    return 0


# ---------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    from simulation.sweeps import report as sweep_report

    try:
        report = sweep_report.build(args.results, args.sweep, args.outcome)
    except (FileNotFoundError, LookupError, RuntimeError) as exc:
        error(f"{exc}")
        return 1
    out = Path(args.out) if args.out else Path("results") / "sweeps" / report.sweep_id
    files = sweep_report.write(report, out)
    console.print(f"sweep [bold]{report.sweep_id}[/]: design {report.spec.design}, "
                  f"{report.stored} of {len(report.runs)} runs stored")
    if report.note:
        warn(report.note)
    overall = Table(title="Outcomes over all runs")
    for col in ("outcome", "mean", "sd", "p05", "p50", "p95"):
        overall.add_column(col, justify="left" if col == "outcome" else "right")
    for o in report.outcomes:
        v = report.runs[o].dropna()
        q = v.quantile([0.05, 0.5, 0.95]).to_numpy() if len(v) else [float("nan")] * 3
        overall.add_row(o, *(f"{x:.4g}" for x in (v.mean(), v.std(), *q)))
    console.print(overall)
    if report.sensitivity is not None:
        s = report.sensitivity
        main = s[(s["method"] != "spearman") & ~s["index"].isin(["sigma", "constant",
                                                                  "undefined",
                                                                  "too_few_points"])]
        if main.empty:
            main = s
        table = Table(title=f"Sensitivity ({report.spec.design}; ± 95% CI half-width); all "
                            f"indices in {out / 'sensitivity.csv'}")
        for col in ("scenario", "outcome", "parameter", "index", "estimate"):
            table.add_column(col)
        for r in main.itertuples():
            est = f"{r.value:.3f}" + (f" ± {r.conf:.3f}" if r.conf == r.conf else "")
            short = ".".join(r.param.split(".")[-2:])
            table.add_row(str(r.scenario), r.outcome, short, f"{r.method} {r.index}", est)
        console.print(table)
    console.print(f"wrote {out}/ ({', '.join(f.name for f in files)})")
    return 0
