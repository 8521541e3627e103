"""Shared fixtures: small, fast scenarios for the core tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulation.runs.runner import run
from simulation.scenario import Scenario, load_scenario, with_overrides


def seeds_dir() -> Path:
    """The five seed papers the model cites: $POVSIM_SEEDS, ../shared/seeds next to the
    checkout, or /work/shared/seeds. Citation tests check against them, so they must exist."""
    root = Path(__file__).resolve().parent.parent
    candidates = [os.environ.get("POVSIM_SEEDS"), root.parent / "shared" / "seeds",
                  Path("/work/shared/seeds")]
    for c in candidates:
        if c and Path(c).is_dir() and any(Path(c).glob("00*_*.txt")):
            return Path(c)
    pytest.fail("seed papers not found (set POVSIM_SEEDS to the folder of 00N_*.txt files)")


def transfers_paid(model, months: int) -> float:
    """Step `model` for `months`, summing the transfer income households received (yuan)."""
    from simulation.households import Source

    paid = 0.0
    for _ in range(months):
        model.step()
        hh = model.households
        paid += float((hh.income[:, Source.TRANSFER] * hh.size).sum())
    return paid


def small(overrides: dict | None = None, households: int = 1500, months: int = 84) -> Scenario:
    """The demo scenario cut down for tests (2014-01 to 2020-12 by default)."""
    base = load_scenario("demo", {"months": months, "households": households})
    return with_overrides(base, overrides or {})


@pytest.fixture(scope="session")
def baseline_result():
    return run(small(), seed=7, keep_model=True)
