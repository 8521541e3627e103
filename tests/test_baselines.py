"""Regression baselines: a few small runs with fixed seeds must reproduce stored outcomes.

A change to the model's rules that moves these numbers is fine if it is deliberate:
regenerate the baselines and commit them with the change (the failure message says how).
An optimisation must leave them untouched.
"""

from __future__ import annotations

import pytest

from tests.baselines import CASES, UPDATE_COMMAND, compute, diff, load, path_of


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matches_stored_baseline(case):
    assert path_of(case).exists(), (
        f"no stored baseline {path_of(case)}; create it with `{UPDATE_COMMAND}`")
    lines = diff(load(case), compute(case))
    shown = "\n  ".join(lines[:25]) + (f"\n  ... and {len(lines) - 25} more" if len(lines) > 25
                                       else "")
    assert not lines, (
        f"baseline {case.name!r} ({case.scenario}, {case.households} households, seed "
        f"{case.seed}) changed in {len(lines)} place(s):\n  {shown}\n"
        f"If the model's rules changed on purpose, regenerate the baselines and commit them "
        f"with your change:\n    {UPDATE_COMMAND}\n(it prints what changed). If you only "
        f"meant to optimise, the optimisation changed the numbers.")
