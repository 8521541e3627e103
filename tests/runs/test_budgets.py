"""A run says when an entitlement's money ran out before its end, and records every budget
that did: results shaped by unpaid claimants must not pass silently."""

from __future__ import annotations

import pytest

from simulation.ledger import BudgetWarning
from simulation.runs.runner import run
from tests.conftest import small


def test_an_entitlement_that_runs_out_is_warned_about_and_recorded() -> None:
    tight = small({"instruments.minimum_living.budget": 1e4}, households=300, months=24)
    with pytest.warns(BudgetWarning, match=r"instruments\.minimum_living\.budget .* ran out "
                                           r"in 2014-\d\d, before its end"):
        result = run(tight, seed=1)
    assert result.meta["budgets_run_out"]["minimum_living"].startswith("2014-")
    ample = run(small(households=300, months=24), seed=1)
    assert "minimum_living" not in ample.meta["budgets_run_out"]
