"""Skills training and education: a short course that lastingly raises wage income.

Trainees' wage income rises by `wage_boost` and their internet literacy improves (seed 001
'Training a new type of professional farmers'; 004 §4.7). Only working-age heads qualify,
and each household trains once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.instruments.takeup import TakeUp

if TYPE_CHECKING:
    from simulation.model import PovertyModel


class SkillsTraining(TakeUp):
    key = "skills_training"

    def can_use(self, model: PovertyModel) -> np.ndarray:
        hh = model.households
        return (hh.head_age < 60) & (hh.labour > 0) & (hh.joined[:, self.k] < 0)

    def ability(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        return np.minimum(self.households(model, rows).education / 9.0, 1.0)

    def expected_gain(self, model: PovertyModel, rows: np.ndarray | None = None) -> np.ndarray:
        hh = self.households(model, rows)
        return self.cfg.wage_boost * hh.wage_base * 12.0 / np.maximum(hh.annual_income, 500.0)

    def enrol(self, model: PovertyModel, rows: np.ndarray) -> None:
        hh = model.households
        hh.wage_multiplier[rows] *= 1.0 + self.cfg.wage_boost
        hh.literacy[rows] = np.minimum(hh.literacy[rows] + 0.1, 1.0)
