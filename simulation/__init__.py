"""povsim: an agent-based simulation of poverty-alleviation policy rollout in rural China.

The model is the top level of the package (`model`, `households`, `agents/`,
`instruments/`, the mechanisms); the workflows are subpackages: `runs`, `sweeps`,
`comparison`, `attribution`, `calibration` and `ui`. What a notebook needs is importable
from here, and loaded only when first used, so `import simulation` stays cheap::

    from simulation import compare, load_scenario, run
"""

from __future__ import annotations

import importlib
import os
import re
from typing import TYPE_CHECKING, Any


def _version() -> str:
    """The package version: from the checkout's pyproject.toml when there is one (an
    editable install; reading it is much cheaper than importlib.metadata, which keeps
    `povsim --version` fast), else from the installed metadata."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(here, "pyproject.toml"), encoding="utf-8") as fh:
            text = fh.read()
        project = text.split("[project]", 1)[1].split("\n[", 1)[0]
        if re.search(r'^name\s*=\s*"povsim"', project, re.M):
            found = re.search(r'^version\s*=\s*"([^"]+)"', project, re.M)
            if found:
                return found.group(1)
    except (OSError, IndexError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("povsim")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+source"


__version__ = _version()

#: Public name -> the module that defines it (imported on first use).
_PUBLIC = {
    "load_scenario": "simulation.scenario",
    "Scenario": "simulation.scenario",
    "ScenarioError": "simulation.scenario",
    "PovertyModel": "simulation.model",
    "run": "simulation.runs.runner",
    "RunResult": "simulation.runs.runner",
    "compare": "simulation.comparison.compare",
    "load_arms": "simulation.comparison.arms",
    "attribute": "simulation.attribution.attribute",
    "AttributionResult": "simulation.attribution.attribute",
    "make_plan": "simulation.sweeps.spec",
    "run_sweep": "simulation.sweeps.spec",
    "calibrate": "simulation.calibration.fit",
}

__all__ = ["AttributionResult", "PovertyModel", "RunResult", "Scenario", "ScenarioError",
           "__version__", "attribute", "calibrate", "compare", "load_arms", "load_scenario",
           "make_plan", "run", "run_sweep"]

if TYPE_CHECKING:
    from simulation.attribution.attribute import AttributionResult, attribute
    from simulation.calibration.fit import calibrate
    from simulation.comparison.arms import load_arms
    from simulation.comparison.compare import compare
    from simulation.model import PovertyModel
    from simulation.runs.runner import RunResult, run
    from simulation.scenario import Scenario, ScenarioError, load_scenario
    from simulation.sweeps.spec import make_plan, run_sweep


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
