"""Smith's four factors as monthly indices on [0, 1], fed back into implementation.

- policy: sustained force, a smoothed, saturating function of programme money flowing per
  person this month; macro policies lose force without follow-up (seed 000 §4.1).
- agency: cadres' delivered effort, capacity net of formalism (000 §4.2).
- target: households' readiness: understanding of programmes, motivation and trust
  (000 §4.3; 001 'Target groups').
- environment: roads, internet, remoteness and logistics (000 §4.4).

Feedback (the cycle the seeds describe): policy force raises cadre effort next month; cadre
effort pulls the trust of the households they visit; the registered-poor share against the
2020 deadline raises assessment pressure, which without capacity becomes formalism.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulation.model import PovertyModel


@dataclass
class SmithIndices:
    policy: float = 0.5
    agency: float = 0.5
    target: float = 0.5
    environment: float = 0.5

    def update(self, model: PovertyModel) -> None:
        hh, v = model.households, model.villages
        fb = model.config.feedback
        per_person = model.month_spending / float(hh.size.sum())
        flow = 1.0 - np.exp(-per_person / fb.force_reference)
        self.policy = fb.force_memory * self.policy + (1 - fb.force_memory) * flow
        self.agency = float(np.average(model.cadres.effort, weights=model.village_people))
        u = hh.understanding  # column sums: the same bits as mean(axis=1), far faster
        mean_understanding = u[:, 0].copy()
        for k in range(1, u.shape[1]):
            mean_understanding += u[:, k]
        mean_understanding /= np.float32(u.shape[1])
        readiness = (0.4 * mean_understanding + 0.3 * hh.motivation
                     + 0.3 * hh.trust)
        self.target = float(np.average(readiness, weights=hh.size))
        self.environment = float(np.average(v.index(), weights=model.village_people))
