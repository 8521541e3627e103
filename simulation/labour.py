"""Migrant work as a household decision, and the wage series wages follow.

Rural wage income grew faster than the migrant wage in 2014-2019 (reference-figures.md):
more members took wage work. Each January a household with a worker not yet in wage work
(one member always stays on the farm) sends one to migrant work with a yearly probability
`economy.labour_market.migration_rate`, higher for the driven and lower for the cautious,
raised by skills training and by the employment assistance registered households get (003
'employment' path; ~one poor migrant worker per registered household by 2020,
reference-figures.md), and lowered for elderly heads. A migrant
adds a share of the migrant wage to household income and costs a little farm income
(`simulation/income.py`). With the labour market switched off nobody new leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.scenario import PROGRAMMES

if TYPE_CHECKING:
    from simulation.model import PovertyModel

SKILLS = PROGRAMMES.index("skills_training")


def migrate(model: PovertyModel) -> None:
    """Each January, some households send one more member to migrant work."""
    lm, hh = model.config.economy.labour_market, model.households
    if not lm.enabled or lm.migration_rate <= 0 or model.month == 0 \
            or not model.label.endswith("-01"):
        return
    spare = hh.labour - hh.migrants - 1 > 0  # one worker stays to farm
    rate = (lm.migration_rate * (0.5 + hh.motivation) * (1.2 - 0.4 * hh.risk_aversion)
            * np.where(hh.elderly, 0.3, 1.0)
            * (1.0 + lm.training_boost * hh.participating[:, SKILLS]
               + lm.register_boost * (hh.registered | hh.keeps_policy)))
    u = model.streams.uniform("labour.migration", model.month, hh.n)
    leaves = spare & (u < np.minimum(rate, 1.0))
    hh.migrants += leaves
