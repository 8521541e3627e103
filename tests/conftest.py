"""Shared fixtures: small, fast scenarios for the core tests."""

from __future__ import annotations

import pytest

from simulation.runner import run
from simulation.scenario import Scenario, load_scenario, with_overrides


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
