"""A minimal stand-in for the model, to test one instrument on a few households without a
full run (as Starsim's `mock_sim`/`mock_people`).

Instruments read only what they use from the model (`config`, `scale`, `month`, `line`,
`households`, `streams` and a few village arrays), so a namespace with those is enough.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from simulation.households import HouseholdTable
from simulation.scenario import Scenario, with_overrides
from simulation.streams import Streams


def mock_households(n: int = 10, **columns: Any) -> HouseholdTable:
    """A table of n households in one village: size 4, two workers, head aged 40, six years
    of schooling, no phone, middle-of-the-range traits; `columns` replace any of these."""
    half = np.full(n, 0.5, dtype=np.float32)
    base: dict[str, Any] = dict(
        village=np.zeros(n, dtype=np.int32), size=np.full(n, 4.0, dtype=np.float32),
        labour=np.full(n, 2, dtype=np.int16), head_age=np.full(n, 40.0, dtype=np.float32),
        elders=np.zeros(n, dtype=np.float32),
        education=np.full(n, 6.0, dtype=np.float32), chronic=np.zeros(n, dtype=bool),
        phone=np.zeros(n, dtype=bool), literacy=half.copy(), risk_aversion=half.copy(),
        motivation=half.copy(), trust=half.copy(), conceal=np.zeros(n, dtype=np.float32),
        farm_base=np.zeros(n, dtype=np.float32), wage_base=np.zeros(n, dtype=np.float32))
    init = {k: np.asarray(columns.pop(k), dtype=v.dtype) if k in columns else v
            for k, v in base.items()}
    hh = HouseholdTable(**init)
    for name, value in columns.items():  # state set after construction (income, ...)
        current = getattr(hh, name)
        current[...] = value
    return hh


def mock_model(households: HouseholdTable | None = None, overrides: dict | None = None,
               month: int = 0, line: float = 3000.0, scale: float = 1.0,
               seed: int = 1) -> SimpleNamespace:
    """The context an instrument needs: the scenario (defaults plus dotted `overrides`),
    budgets scaled by `scale`, the month, the poverty line, random streams and one village
    with an undisturbed market."""
    hh = households if households is not None else mock_households()
    config = with_overrides(Scenario(), overrides) if overrides else Scenario()
    villages = int(hh.village.max()) + 1 if hh.n else 1
    return SimpleNamespace(
        config=config, scale=scale, scale_cost=scale, month=month, line=line,
        households=hh, streams=Streams(seed),
        villages=SimpleNamespace(n=villages, product=np.zeros(villages, dtype=np.int32)),
        product_shock=np.ones(config.cooperatives.products),
        farm_factor=np.ones(villages),
        instruments={},  # no register: means tests read income as it is
        peer_share=lambda rows, k: np.zeros(len(rows), dtype=np.float32))
