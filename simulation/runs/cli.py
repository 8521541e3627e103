"""`povsim run`, `scenarios`, `validate` and `params`: one scenario at a time."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simulation import __version__
from simulation.errors import output_dir, positive_int, safe_name, seed, stderr, warn
from simulation.outcomes import HEADLINE
from simulation.scenario import (
    ScenarioError,
    list_bundled,
    load_scenario,
    resolve,
    scenarios_dir,
)
from simulation.scenario.checks import problems

console = Console(soft_wrap=True)  # messages name paths: do not break them

def summary_table(summary: dict[str, float], title: str) -> Table:
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for o in HEADLINE:
        table.add_row(o.label, o.format(summary.get(o.key, float("nan"))))
    return table


def cmd_run(args: argparse.Namespace) -> int:
    from simulation.runs.plots import main_curves
    from simulation.runs.runner import run

    if args.base:
        scenario = _with_base(args)
    else:
        if _is_overlay(args.scenario):
            warn(f"{args.scenario} is a countermeasure overlay: without --base it applies to "
                 "the embedded defaults, not to an archetype (e.g. --base liangshan)")
        scenario = load_scenario(args.scenario, args.set, args.households)
    for message in problems(scenario):
        warn(message)
    seed = scenario.seed if args.seed is None else args.seed
    out = output_dir(args.out, Path("results") / f"{safe_name(scenario.name)}-seed{seed}",
                     args.force)
    console.print(f"povsim {__version__}: scenario [bold]{scenario.name}[/], seed {seed}, "
                  f"{scenario.households:,} households, {scenario.months} months")
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  disable=args.quiet) as bar:
        task = bar.add_task("months", total=scenario.months)
        result = run(scenario, seed, progress=lambda m: bar.update(task, completed=m))
    paths = result.write(out)
    png = main_curves(result.monthly, f"{scenario.name} (seed {seed})", out / "main_curves.png")
    console.print(summary_table(result.summary, f"{scenario.name}, seed {seed}"))
    console.print(f"run took {result.meta['run_seconds']} s; wrote {out}/ "
                  f"({', '.join(p.name for p in [*paths.values(), png])})")
    if args.profile:
        console.print(profile_table(result.meta))
    return 0


def profile_table(meta: dict) -> Table:
    """Time per mechanism over the whole run, largest first."""
    timings: dict[str, float] = meta["timings"]  # type: ignore[assignment]
    total = sum(timings.values()) or 1.0
    table = Table(title=f"Where the time went (set-up {meta['setup_seconds']} s)")
    for col in ("mechanism", "seconds", "share", "ms per month"):
        table.add_column(col, justify="left" if col == "mechanism" else "right")
    months = int(meta["months"])  # type: ignore[arg-type]
    for name, sec in timings.items():
        table.add_row(name, f"{sec:.3f}", f"{sec / total:.1%}", f"{1000 * sec / months:.2f}")
    return table


def _is_overlay(name: str) -> bool:
    """A file of the bundled countermeasure library (scenarios/countermeasures/)."""
    try:
        path = resolve(name).resolve()
    except ScenarioError:
        return False
    return path.parent == (scenarios_dir() / "countermeasures").resolve()


def _with_base(args: argparse.Namespace):
    """A countermeasure file applied on top of an archetype: `--base ARCHETYPE`."""
    from simulation.scenario import finish, load_raw, overlay_on, resolve

    base = load_raw(resolve(args.base))
    base.setdefault("name", args.base)
    return finish(overlay_on(base, args.scenario), f"{args.scenario} on base {args.base}",
                  args.set, args.households)


def cmd_scenarios(args: argparse.Namespace) -> int:
    paths = list_bundled()
    names = [str(p.relative_to(scenarios_dir()).with_suffix("")) for p in paths]
    table = Table(title=f"Bundled scenarios ({scenarios_dir()})")
    # Names are never cut (they are meant to be copied); descriptions wrap instead.
    table.add_column("name", no_wrap=True, min_width=max(map(len, names), default=4))
    table.add_column("households", justify="right", no_wrap=True)
    table.add_column("description", min_width=20)
    for path, rel in zip(paths, names, strict=True):
        try:
            s = load_scenario(path)
            table.add_row(rel, f"{s.households:,}", s.description.split("\n")[0][:90])
        except ScenarioError as exc:
            table.add_row(rel, "-", f"[red]invalid: {str(exc).splitlines()[0]}[/]")
    console.print(table)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    bad = 0
    for f in args.files:
        try:
            s = load_scenario(f)
            console.print(f"[green]ok[/] {f}: {s.name}, {s.households:,} households, "
                          f"{s.months} months, hash {s.content_hash()}")
        except ScenarioError as exc:
            bad += 1
            stderr.print(f"[red]invalid[/] {exc}")
    return 2 if bad else 0  # a problem with the input, as for every command (README)


def cmd_params(args: argparse.Namespace) -> int:
    from simulation.runs.params_table import parameter_table

    text = parameter_table()
    if args.out:
        Path(args.out).write_text(text)
        console.print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write its tables and figure")
    p.add_argument("scenario", nargs="?", default="default",
                   help="scenario file or bundled name (default: embedded defaults)")
    p.add_argument("--seed", type=seed, default=None)
    p.add_argument("--households", type=positive_int, default=None)
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="dotted override, e.g. instruments.microcredit.budget=2e8")
    p.add_argument("--base", default=None,
                   help="apply SCENARIO (a countermeasure) on top of this archetype")
    p.add_argument("--out", default=None,
                   help="output folder (default results/NAME-seedS; if that exists, a new "
                        "dated folder beside it)")
    p.add_argument("--force", action="store_true",
                   help="overwrite the output folder if it already holds results")
    p.add_argument("--profile", action="store_true", help="print time per mechanism")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("scenarios", help="list bundled scenarios")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("params", help="print the parameter table with sources (Markdown)")
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_params)
