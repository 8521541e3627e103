"""The `povsim` command line. Each workflow registers its own subcommands: run, scenarios,
validate and params (simulation.runs), sweep (simulation.sweeps), compare
(simulation.comparison), attribute (simulation.attribution), calibrate
(simulation.calibration), region (simulation.regions), app (simulation.ui) and bench."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from simulation import __version__
from simulation.errors import error, stderr, user_error_types

#: Modules that add subcommands: each defines `register(subparsers)`.
EXTENSIONS = ("simulation.runs.cli", "simulation.sweeps.cli", "simulation.comparison.cli",
              "simulation.attribution.cli", "simulation.calibration.cli", "simulation.ui.cli",
              "simulation.runs.bench_cli", "simulation.regions.cli")

#: Subcommand -> (module that registers it, one-line help). Only the module of the command
#: being run is imported, so `povsim --help` and `--version` start at once.
COMMANDS = {
    "run": ("simulation.runs.cli", "run one scenario and write its tables and figure"),
    "scenarios": ("simulation.runs.cli", "list bundled scenarios"),
    "validate": ("simulation.runs.cli", "check scenario files"),
    "params": ("simulation.runs.cli", "print the parameter table with sources (Markdown)"),
    "sweep": ("simulation.sweeps.cli", "run and analyse parameter sweeps"),
    "compare": ("simulation.comparison.cli",
                "compare countermeasures with a baseline over paired replicates"),
    "attribute": ("simulation.attribution.cli",
                  "attribute the fall in poverty incidence to groups of instruments and "
                  "actors (Shapley, common random numbers)"),
    "calibrate": ("simulation.calibration.cli", "fit scenario parameters to reported targets"),
    "band": ("simulation.calibration.cli", "the posterior predictive band of a scenario's "
             "monthly series (drawn behind a visual run in the app)"),
    "check": ("simulation.calibration.cli", "run every bundled region as shipped against every "
              "reported target (the model-vs-record table)"),
    "region": ("simulation.regions.cli", "make a scenario and its calibration from a region "
               "card"),
    "app": ("simulation.ui.cli", "serve the interactive web app (Solara)"),
    "bench": ("simulation.runs.bench_cli",
              "benchmark table: 1M-household run, Mesa peer, growth, throughput"),
}

BUG = ("this is a bug in povsim {version}, not a problem with your input; please report it "
       "with the command line and the traceback above")


class _Subparsers:
    """Registers only the subcommands of the module being loaded; the others as stubs."""

    def __init__(self, sub: argparse._SubParsersAction, wanted: set[str]):
        self.sub, self.wanted = sub, wanted

    def add_parser(self, name: str, **kwargs):
        if name in self.wanted:
            return self.sub.add_parser(name, **kwargs)
        return argparse.ArgumentParser(add_help=False)  # discarded


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `command`, only that subcommand's module is imported (the others are
    listed with their help line; "": none is imported). Without it, every workflow is
    loaded."""
    parser = argparse.ArgumentParser(prog="povsim", description=__doc__)
    parser.add_argument("--version", action="version", version=f"povsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = EXTENSIONS if command is None else (
        (COMMANDS[command][0],) if command else ())
    loaded: set[str] = set()
    for name in COMMANDS:
        module_name = COMMANDS[name][0]
        if module_name in modules and module_name not in loaded:
            loaded.add(module_name)
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            wanted = {n for n, (m, _) in COMMANDS.items() if m == module_name}
            module.register(_Subparsers(sub, wanted) if command else sub)
        if command is not None and module_name not in modules:
            sub.add_parser(name, help=COMMANDS[name][1], add_help=False)
    return parser


def _command(argv: list[str]) -> str:
    """The subcommand named on the command line, or "" (then none is imported)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else ""
    return ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ["--version"]:
        print(f"povsim {__version__}")  # without importing the workflows
        return 0
    try:
        args = build_parser(_command(argv)).parse_args(argv)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        stderr.print("[yellow]interrupted[/]")
        return 130
    except BrokenPipeError:
        # `povsim ... | head`: the reader has gone; say nothing more.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place that decides bug or input
        if isinstance(exc, user_error_types()):
            error(str(exc))
            return 2
        if isinstance(exc, OSError) and exc.filename is not None:
            error(f"{exc.filename}: {exc.strerror or exc}")
            return 2
        traceback.print_exc(file=sys.stderr)
        error(BUG.format(version=__version__))
        return 70  # EX_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
