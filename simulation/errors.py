"""How the command line reports problems: errors and warnings on stderr, never stdout.

`UsageError` is a mistake in what the user gave (a flag, a path, a file); the dispatcher
(`simulation.cli.main`) prints any known user error as one line on stderr and exits 2, and
anything else with its traceback and a request to report it (a bug). Kept free of heavy
imports: the dispatcher loads it before any workflow.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any


class _Stderr:
    """A rich console on stderr, made on first use (so `povsim --version` loads no rich)."""

    _console: Any = None

    def __getattr__(self, name: str) -> Any:
        if _Stderr._console is None:
            from rich.console import Console

            _Stderr._console = Console(stderr=True, soft_wrap=True)
        return getattr(_Stderr._console, name)


#: Where errors and warnings go (stderr, so `2>err.log` captures them).
stderr = _Stderr()


class UsageError(ValueError):
    """Something the user gave cannot be used (a flag value, a path, a file)."""


def error(message: str) -> None:
    stderr.print(f"[red]error:[/] {message}", markup=True, highlight=False)


def warn(message: str) -> None:
    stderr.print(f"[yellow]warning:[/] {message}", markup=True, highlight=False)


def user_error_types() -> tuple[type[BaseException], ...]:
    """Exception types that mean "bad input" (imported lazily: they live in the workflows)."""
    types: list[type[BaseException]] = [UsageError]
    for module, name in (("simulation.scenario.base", "ScenarioError"),
                         ("simulation.calibration.spec", "CalibrationError"),
                         ("simulation.calibration.targets", "TargetError"),
                         ("simulation.regions.card", "CardError"),
                         ("simulation.streams", "StreamError")):
        mod = sys.modules.get(module)
        if mod is not None and hasattr(mod, name):
            types.append(getattr(mod, name))
    return tuple(types)


# ------------------------------------------------------------------ argparse types
def seed(text: str) -> int:
    """A seed: a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text}: a seed must be 0 or more (and below 2**63)")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: must be 1 or more")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number")
    return value


# ------------------------------------------------------------------- output paths
def writable_dir(path: str | Path, what: str = "output folder") -> Path:
    """Check (before any work) that `path` is, or can be made, a writable folder."""
    path = Path(path)
    for parent in [path, *path.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{what} {path}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UsageError(f"{what} {path}: {parent} is not writable")
            return path
    return path


def writable_file(path: str | Path, what: str = "output file") -> Path:
    """Check (before any work) that the file `path` can be created or overwritten."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder, not a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{what} {path} is not writable")
    writable_dir(path.parent, f"folder of {what} {path}")
    return path


def safe_name(name: str) -> str:
    """A scenario name made safe as one folder name: no separators, no `..`, no leading dot."""
    import re

    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    text = re.sub(r"\.{2,}", ".", text)
    return text or "scenario"


def output_dir(out: str | None, default: Path, force: bool = False) -> Path:
    """Where a command writes, checked before any work.

    An explicit `--out` that holds files is an error unless `force`; the default folder
    (`default`, made from a sanitised name under results/) is replaced only with `force`,
    otherwise a new dated folder beside it is used, so earlier results are never lost.
    """
    import time

    if out is not None:
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {path} is a file, not a folder")
        if path.is_dir() and any(path.iterdir()) and not force:
            raise UsageError(f"--out {path} already holds files; give --force to overwrite "
                             "them, or choose another folder")
        return writable_dir(path)
    path = default
    if path.is_dir() and any(path.iterdir()) and not force:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dated = path.with_name(f"{path.name}-{stamp}")
        n = 1
        while dated.exists():
            n += 1
            dated = path.with_name(f"{path.name}-{stamp}-{n}")
        warn(f"{path} already exists: writing {dated} instead (give --force to replace it)")
        path = dated
    return writable_dir(path)
