"""The `povsim` command line. Each workflow registers its own subcommands: run, scenarios,
validate and params (simulation.runs), sweep (simulation.sweeps), compare
(simulation.comparison), calibrate (simulation.calibration), app (simulation.ui) and bench."""

from __future__ import annotations

import argparse
import importlib
import sys

from rich.console import Console

from simulation import __version__
from simulation.scenario import ScenarioError

console = Console(soft_wrap=True)  # messages name paths: do not break them

#: Modules that add subcommands: each defines `register(subparsers)`.
EXTENSIONS = ("simulation.runs.cli", "simulation.sweeps.cli", "simulation.comparison.cli",
              "simulation.calibration.cli", "simulation.ui.cli", "simulation.runs.bench_cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="povsim", description=__doc__)
    parser.add_argument("--version", action="version", version=f"povsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(f"povsim {__version__}")  # without importing the workflows
        return 0
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
