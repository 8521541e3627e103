"""`povsim compare`: countermeasures against a baseline over paired replicates, as a report.

    povsim compare BASELINE.yaml CM1.yaml CM2.yaml ... [--replicates 30] [--out DIR]
    povsim compare --base liangshan scenarios/countermeasures/a.yaml b.yaml ...

Countermeasure files are overlays: each is deep-merged onto the baseline (or onto the
`--base` archetype, which is then the baseline), so a file sets only what it changes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simulation import __version__
from simulation.errors import error, output_dir, positive_int, safe_name, seed, warn

if TYPE_CHECKING:
    from simulation.comparison.arms import Arm
    from simulation.comparison.posterior import Posterior

console = Console(soft_wrap=True)  # messages name paths: do not break them


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `compare` subcommand to the `povsim` parser."""
    p = subparsers.add_parser(
        "compare", help="compare countermeasures with a baseline over paired replicates",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="BASELINE then countermeasure files (with --base: countermeasures "
                        "only); files or bundled names")
    p.add_argument("--base", default=None, metavar="ARCHETYPE",
                   help="archetype used as the baseline; every SCENARIO is an overlay on it")
    p.add_argument("--replicates", type=int, default=None,
                   help="paired replicates (default 30; with --posterior, seeds per draw, "
                        "default 3)")
    p.add_argument("--seed0", type=seed, default=1,
                   help="first seed; replicates use seed0, seed0+1, ... (default 1)")
    p.add_argument("--households", type=positive_int, default=None,
                   help="simulated households for every arm (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="dotted override applied to every arm")
    p.add_argument("--dates", default=None,
                   help="comma-separated YYYY-MM dates for incidence (default 2016-12, "
                        "2020-12, 2025-12 where inside the run)")
    p.add_argument("--transition", default=None,
                   help="first month of the transition period (default 2021-01)")
    p.add_argument("--threshold", type=float, default=0.05,
                   help="relative income change making a winner or loser (default 0.05)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level; intervals are 1-alpha (default 0.05)")
    p.add_argument("--correction", choices=("holm", "bh", "none"), default="holm",
                   help="multiple-comparison correction within each table (default holm)")
    p.add_argument("--rank-by", default=None,
                   help="headline outcome to rank by (default incidence at the last date)")
    p.add_argument("--pairing", choices=("crn", "independent"), default="crn",
                   help="crn: same seeds in every arm (default); independent: different "
                        "seeds (to see what pairing buys)")
    p.add_argument("--executor", default="process",
                   help="serial, process (default) or a Dask address tcp://HOST:PORT")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: cores)")
    p.add_argument("--out", default=None,
                   help="output folder (default results/compare-BASELINE; if that exists, a "
                        "new dated folder beside it)")
    p.add_argument("--force", action="store_true",
                   help="overwrite the output folder if it already holds results")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--posterior", default=None, metavar="FILE",
                   help="posterior.parquet of `povsim calibrate --method posterior`: run "
                        "every arm at --draws parameter sets drawn from it, so intervals "
                        "include the parameters' uncertainty (docs/compare.md)")
    p.add_argument("--draws", type=positive_int, default=20,
                   help="posterior draws with --posterior (default 20)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)


def _with_bar[T](n_runs: int, quiet: bool, work: Callable[[Callable[[int, int], None]], T]
                 ) -> T | None:
    """`work(progress)` under a progress bar of the runs; a plain ValueError (bad input
    found once the runs are planned) is reported and gives None. ScenarioError, a
    subclass, is reported by the main CLI."""
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  disable=quiet) as bar:
        task = bar.add_task("runs", total=n_runs)
        try:
            return work(lambda done, total: bar.update(task, completed=done))
        except ValueError as exc:
            if type(exc) is not ValueError:
                raise
            error(f"{exc}")
            return None


def cmd_compare(args: argparse.Namespace) -> int:
    from simulation.comparison.arms import load_arms
    from simulation.comparison.compare import compare
    from simulation.comparison.report import fmt_diff, write_report

    if args.replicates is None:
        args.replicates = 3 if args.posterior else 30
    if args.replicates < 2:
        error("--replicates must be at least 2")
        return 2
    posterior = None
    if args.posterior:
        from simulation.comparison.posterior import PosteriorFileError, load_posterior

        if args.pairing != "crn":
            error("--posterior pairs arms with common random numbers: drop --pairing")
            return 2
        if args.draws < 2:
            error("--draws must be at least 2")
            return 2
        try:
            posterior = load_posterior(args.posterior)
        except PosteriorFileError as exc:
            error(str(exc))
            return 2
    if args.base:
        baseline, arms = load_arms(args.scenarios, base=args.base, households=args.households,
                                   overrides=args.set)
    else:
        if len(args.scenarios) < 2:
            error("give a BASELINE and at least one countermeasure, or "
                          "--base ARCHETYPE with countermeasures")
            return 2
        baseline, arms = load_arms(args.scenarios[1:], baseline=args.scenarios[0],
                                   households=args.households, overrides=args.set)
    dates = [d.strip() for d in args.dates.split(",")] if args.dates else None
    from simulation.scenario.checks import check_month, problems

    if args.transition is not None:  # the default may lie beyond a short run: that is fine
        check_month(args.transition, baseline.scenario, "--transition")
    for d in dates or []:
        check_month(d, baseline.scenario, "--dates: date")
    for arm in (baseline, *arms):
        for message in problems(arm.scenario, f"arm '{arm.name}'"):
            warn(message)
    if posterior is not None:
        return _compare_posterior(args, baseline, arms, posterior, dates)
    out = output_dir(args.out, Path("results") / f"compare-{safe_name(baseline.name)}",
                     args.force)
    seeds = list(range(args.seed0, args.seed0 + args.replicates))
    n_runs = (len(arms) + 1) * len(seeds)
    console.print(
        f"povsim {__version__} compare: baseline [bold]{baseline.name}[/] vs "
        f"{', '.join(a.name for a in arms)}; {len(seeds)} replicates, "
        f"{baseline.scenario.households:,} households, {n_runs} runs ({args.pairing})")
    started = time.perf_counter()
    comp = _with_bar(n_runs, args.quiet, lambda progress: compare(
        baseline, arms, seeds=seeds, pairing=args.pairing, dates=dates,
        transition=args.transition or "2021-01", threshold=args.threshold, alpha=args.alpha,
        correction=args.correction, rank_by=args.rank_by, executor=args.executor,
        workers=args.workers, progress=progress))
    if comp is None:
        return 2
    paths = write_report(comp, out, args.title)
    rank = comp.tables["ranking"]
    head = comp.tables["headline"]
    units = dict(zip(head["outcome"], head["unit"], strict=True))
    table = Table(title=f"Ranking by {comp.meta['criterion']}")
    for col in ("rank", "countermeasure", "change", "95% CI", "versus baseline"):
        table.add_column(col)
    for r in rank.to_dict("records"):
        u = str(units[r["criterion"]])
        table.add_row(str(r["rank"]), str(r["countermeasure"]), fmt_diff(r["diff"], u),
                      f"{fmt_diff(r['ci_low'], u)} to {fmt_diff(r['ci_high'], u)}",
                      str(r["vs_baseline"]))
    console.print(table)
    console.print(f"compare took {time.perf_counter() - started:.1f} s "
                  f"({comp.meta['run_seconds']} s running {n_runs} runs); report "
                  f"{paths['html']}, tables in {out / 'tables'}/")
    return 0


def _compare_posterior(args: argparse.Namespace, baseline: Arm, arms: list[Arm],
                       posterior: Posterior, dates: list[str] | None) -> int:
    """`povsim compare --posterior`: the arms over posterior draws (comparison/posterior.py)."""
    from simulation.comparison.outcomes import headline_outcomes
    from simulation.comparison.posterior import (
        check_arms,
        compare_over_posterior,
        compared_dates,
    )
    from simulation.comparison.posterior_report import write_posterior_report
    from simulation.comparison.report import fmt_diff

    check_arms(posterior.parameters, baseline, arms)  # before any work (ScenarioError)
    try:
        dates = compared_dates(baseline.scenario, dates)
    except ValueError as exc:
        error(str(exc))
        return 2
    outcome = args.rank_by or f"incidence_{dates[-1]}"
    keys = [o.key for o in headline_outcomes(dates)]
    if outcome not in keys:
        error(f"--rank-by {outcome!r} is not a headline outcome; expected one of {keys}")
        return 2
    if posterior.scenario and Path(posterior.scenario).stem != Path(baseline.source).stem:
        warn(f"{posterior.path}: the posterior was fitted on scenario "
             f"'{posterior.scenario}', the baseline is {baseline.source}: its draws are "
             "applied to the baseline as they are")
    out = output_dir(args.out, Path("results") / f"compare-{safe_name(baseline.name)}-posterior",
                     args.force)
    k = min(args.draws, len(posterior.values))
    n_runs = (len(arms) + 1) * k * args.replicates
    console.print(
        f"povsim {__version__} compare over the posterior {posterior.path}: baseline "
        f"[bold]{baseline.name}[/] vs {', '.join(a.name for a in arms)}; {k} draws x "
        f"{args.replicates} seeds, {baseline.scenario.households:,} households, {n_runs} runs")
    started = time.perf_counter()
    comp = _with_bar(n_runs, args.quiet, lambda progress: compare_over_posterior(
        baseline, arms, posterior, draws=k, replicates=args.replicates, seed0=args.seed0,
        dates=dates, alpha=args.alpha, executor=args.executor, workers=args.workers,
        progress=progress))
    if comp is None:
        return 2
    paths = write_posterior_report(comp, out, args.title, outcome)
    eff = comp["effects"]
    table = Table(title=f"{outcome}: change versus baseline over {k} posterior draws")
    for col in ("countermeasure", "change", f"{100 * (1 - args.alpha):.0f}% interval",
                "parameters' share"):
        table.add_column(col)
    for r in eff[eff["outcome"] == outcome].to_dict("records"):
        u = str(r["unit"])
        share = r["parameter_share"]
        table.add_row(str(r["countermeasure"]), fmt_diff(r["diff"], u),
                      f"{fmt_diff(r['low'], u)} to {fmt_diff(r['high'], u)}",
                      "n/a" if share != share else f"{100 * share:.0f}%")
    console.print(table)
    console.print(f"compare took {time.perf_counter() - started:.1f} s; report "
                  f"{paths['report']}, tables in {out}/")
    return 0
