"""`povsim attribute`: how much of the fall in poverty incidence each group of instruments
and actors accounts for (Shapley values over groups, common random numbers).

    povsim attribute liangshan --households 5000 --seeds 1,2,3
    povsim attribute demo --group credit=instruments.microcredit.enabled --group transfers
    povsim attribute liangshan --method one-at-a-time --outcome registered_poor_incidence

Groups (default: programmes, transfers, actors; see docs/attribution.md) are removed by
switching their paths off; `--group NAME=path[,path...]` defines one (switches are set to
false, numbers to 0, a section to enabled: false) and `--group NAME` picks a default.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simulation import __version__
from simulation.errors import output_dir, positive_int, safe_name, seed, warn

console = Console(soft_wrap=True)


def seed_list(text: str) -> list[int]:
    """`1,2,3`: distinct seeds."""
    seeds = [seed(part.strip()) for part in text.split(",") if part.strip()]
    if not seeds:
        raise argparse.ArgumentTypeError(f"{text!r}: expected seeds like 1,2,3")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r}: seeds must be distinct")
    return seeds


def year(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year") from None
    if not 1900 <= value <= 2200:
        raise argparse.ArgumentTypeError(f"{text}: expected a year such as 2014")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `attribute` subcommand to the `povsim` parser."""
    p = subparsers.add_parser(
        "attribute", help="attribute the fall in poverty incidence to groups of instruments "
                          "and actors (Shapley, common random numbers)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("--households", type=positive_int, default=None,
                   help="simulated households (default: the scenario's)")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=seed_list, default=None,
                       help="comma-separated seeds, the replicates (default 1,2,3)")
    seeds.add_argument("--replicates", type=positive_int, default=None,
                       help="K replicates: seeds 1..K")
    p.add_argument("--from", dest="from_year", type=year, default=2014,
                   help="first year-end (December) compared (default 2014)")
    p.add_argument("--to", dest="to_year", type=year, default=2019,
                   help="last year-end (December) compared (default 2019)")
    p.add_argument("--outcome", default=None,
                   help="column of the monthly table (default survey_poverty_incidence, "
                        "the survey's calendar-year measure)")
    p.add_argument("--method", choices=("shapley", "one-at-a-time"), default="shapley",
                   help="shapley: every coalition, 2^G runs per seed (default); "
                        "one-at-a-time: all on minus one group, G+2 runs per seed")
    p.add_argument("--group", action="append", default=None, metavar="NAME[=PATH,...]",
                   help="a group to attribute to (repeat; replaces the defaults): "
                        "NAME=path[,path...] or the name of a default group")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="dotted override applied to every run")
    p.add_argument("--executor", default="process",
                   help="serial, process (default) or a Dask address tcp://HOST:PORT")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: cores)")
    p.add_argument("--out", default=None,
                   help="write attribution.csv, attribution.md, attribution.png, coalitions.csv "
                        "and meta.json here (default: print only)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it holds files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_attribute)


def cmd_attribute(args: argparse.Namespace) -> int:
    from simulation.attribution.attribute import DEFAULT_OUTCOME, attribute, plan
    from simulation.attribution.report import fmt_fall, fmt_interval, fmt_share, write
    from simulation.scenario import load_scenario
    from simulation.scenario.checks import problems

    args.outcome = args.outcome or DEFAULT_OUTCOME
    scenario = load_scenario(args.scenario, args.set, args.households)
    seeds = args.seeds or list(range(1, (args.replicates or 3) + 1))
    resolved, masks = plan(scenario, args.group, args.method, args.from_year, args.to_year,
                           args.outcome, args.executor)
    for message in problems(scenario):
        warn(message)
    for note in resolved.notes:
        console.print(f"[dim]note: {note}[/]")
    out = (output_dir(args.out, Path("results") / f"attribute-{safe_name(scenario.name)}",
                      args.force) if args.out else None)
    n_runs = len(masks) * len(seeds)
    names = ", ".join(g.name for g in resolved.groups)
    console.print(f"povsim {__version__} attribute: [bold]{scenario.name}[/], groups {names}; "
                  f"{args.method}, {len(seeds)} seed(s), {scenario.households:,} households, "
                  f"{n_runs} runs")
    started = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  disable=args.quiet) as bar:
        task = bar.add_task("runs", total=n_runs)
        res = attribute(scenario, resolved.groups, seeds=seeds, from_year=args.from_year,
                        to_year=args.to_year, outcome=args.outcome, method=args.method,
                        executor=args.executor, workers=args.workers,
                        progress=lambda d, n: bar.update(task, completed=d))
    table = Table(title=f"Fall in {args.outcome}, {res.meta['from']} to {res.meta['to']} "
                        f"({args.method})")
    for col in ("group", "fall", "share", "95% interval"):
        table.add_column(col)
    for r in res.table.to_dict("records"):
        table.add_row(str(r["group"]), fmt_fall(res, r["fall"]), fmt_share(r["share"]),
                      fmt_interval(r["share_low"], r["share_high"]))
    console.print(table)
    for note in res.notes[len(resolved.notes):]:
        console.print(f"[dim]note: {note}[/]")
    where = ""
    if out is not None:
        paths = write(res, out)
        where = f"; wrote {', '.join(str(p) for p in paths.values())}"
    console.print(f"attribute took {time.perf_counter() - started:.1f} s "
                  f"({res.meta['runs']} runs){where}")
    return 0
