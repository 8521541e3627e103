"""A fingerprint of the code that computes a run, so stored results are reused only when the
same code made them.

`simulation.__version__` does not change when a file is edited in a source checkout, so a
resumed sweep (or calibration) keyed by version alone would silently reuse runs made by
different code. The fingerprint hashes the source of every module that can change a run's
numbers (the model, its mechanisms, agents, instruments and the scenario package, plus the
runner) and the versions of the numerical libraries; the workflow code (command line, app,
sweep, comparison and calibration plumbing, reports) is left out, so editing a report does
not invalidate a results store.
"""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent

#: Sub-packages whose code does not change a run's numbers (left out of the fingerprint).
WORKFLOWS = ("ui", "sweeps", "comparison", "calibration", "runs")
#: Workflow files that do change a run's numbers (kept in).
KEPT = ("runs/runner.py", "runs/executors.py")
#: Top-level modules that are plumbing only.
PLUMBING = ("cli.py", "fingerprint.py", "testing.py")
#: Libraries whose version can change the numbers.
LIBRARIES = ("numpy", "scipy", "mesa", "pandas")


def model_files(root: Path = ROOT) -> list[Path]:
    """The source files that the fingerprint covers, in a fixed order."""
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        top = rel.split("/", 1)[0]
        if rel in PLUMBING or (top in WORKFLOWS and rel not in KEPT):
            continue
        files.append(path)
    return files


def fingerprint_of(files: list[Path], root: Path = ROOT, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()[:12]


def _libraries() -> str:
    out = []
    for name in LIBRARIES:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}==?")
    return ";".join(out)


@functools.cache
def code_fingerprint() -> str:
    """12 hex digits: changes whenever any file that can change a run's numbers changes."""
    return fingerprint_of(model_files(), extra=_libraries())


@functools.cache
def calibration_fingerprint() -> str:
    """The model's fingerprint plus the code that turns runs into losses."""
    files = [ROOT / "calibration" / n for n in ("likelihood.py", "targets.py", "fit.py")]
    return fingerprint_of([f for f in files if f.exists()], extra=code_fingerprint())
