"""The non-income exit criteria: 'two no-worries, three guarantees' and safe drinking water.

A registered household leaves the register only when its assessed income is above the line
(food and clothing are judged by income) *and* it has compulsory education for its children,
basic medical cover, safe housing and safe drinking water (reference-figures.md, The register
and Exit criteria; seed 004 §1). At set-up households lacking each guarantee are drawn: more
often below 1.5 x the line, and housing and water more often in remote villages. The works
that close them are instruments (simulation/instruments/guarantees.py); relocation also
gives a safe house.
"""

from __future__ import annotations

import numpy as np

from simulation.environment import Villages
from simulation.households import Deficit, HouseholdTable
from simulation.scenario import Scenario
from simulation.streams import Streams


def draw_deficits(scenario: Scenario, hh: HouseholdTable, villages: Villages, line: float,
                  streams: Streams) -> None:
    """Set `hh.deficit` at set-up from the scenario's prevalences."""
    d = scenario.population.deficits
    rng = streams.rng("setup.deficits")
    u = rng.random((hh.n, len(Deficit)))
    near_poor = np.where(hh.annual_income < 1.5 * line, 1.0, d.nonpoor_factor)
    rem = villages.remoteness[hh.village]
    remote = np.clip(1.0 + d.remote_gradient * (rem - villages.remoteness.mean()), 0.0, None)
    base = {Deficit.EDUCATION: d.education * (hh.size >= 3), Deficit.MEDICAL: d.medical,
            Deficit.HOUSING: d.housing * remote, Deficit.WATER: d.water * remote}
    for k, share in base.items():
        hh.deficit[:, k] = u[:, k] < np.clip(share * near_poor, 0.0, 1.0)


def guaranteed(hh: HouseholdTable, rows: np.ndarray | None = None) -> np.ndarray:
    """Whether every non-income criterion holds (for `rows`, or all households)."""
    deficit = hh.deficit if rows is None else hh.deficit[rows]
    return ~deficit.any(axis=1)
