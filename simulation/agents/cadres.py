"""Cadres, the implementing agency (Smith's second factor).

One task force (first secretary and village team) per village. Capacity and internet skill
set how well it identifies the poor and explains policy; assessment pressure without
capacity turns effort into formalism, "policies at the top, countermeasures at the bottom"
(seed 000 §4.2). Their state lives in arrays; `Cadre` is a Mesa agent viewing one village's
task force.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from simulation.scenario import Scenario
from simulation.streams import Streams


@dataclass
class CadreCorps:
    capacity: np.ndarray
    internet_skill: np.ndarray
    formalism: np.ndarray
    effort: np.ndarray
    pressure: float = 0.0

    @property
    def n(self) -> int:
        return len(self.capacity)

    def update(self, base_pressure: float, sensitivity: float, urgency: float,
               policy_force: float) -> None:
        """Monthly: pressure from the deadline, formalism from pressure without capacity.

        Effort delivered to households rises with capacity and with sustained policy force
        (000 §4.1) and is lost to formalism (000 §4.2).
        """
        self.pressure = float(np.clip(base_pressure * (1.0 + urgency), 0.0, 1.0))
        self.formalism = np.clip(self.pressure * sensitivity * (1.0 - self.capacity) ** 1.5,
                                 0.0, 0.9)
        self.effort = ((0.4 + 0.6 * self.capacity) * (0.6 + 0.4 * policy_force)
                       * (1.0 - self.formalism))

    def assessment_sd(self, base_error: float) -> np.ndarray:
        """Log-sd of income assessment per village: capacity cuts it, formalism adds to it."""
        return base_error * (1.0 - 0.7 * self.capacity) * (1.0 + self.formalism)


def build_cadres(scenario: Scenario, n_villages: int, streams: Streams) -> CadreCorps:
    rng = streams.rng("setup.cadres")
    c = scenario.cadres
    capacity = rng.beta(c.capacity.a, c.capacity.b, n_villages)
    skill = rng.beta(c.internet_skill.a, c.internet_skill.b, n_villages)
    zeros = np.zeros(n_villages)
    corps = CadreCorps(capacity, skill, zeros.copy(), zeros.copy())
    corps.update(c.assessment_pressure, c.formalism_sensitivity, 0.0, 0.5)
    return corps


class Cadre(mesa.Agent):
    """A village task force, viewing its row of the cadre arrays."""

    def __init__(self, model: mesa.Model, village: int):
        super().__init__(model)
        self.village = village

    @property
    def capacity(self) -> float:
        return float(self.model.cadres.capacity[self.village])

    @property
    def internet_skill(self) -> float:
        return float(self.model.cadres.internet_skill[self.village])

    @property
    def formalism(self) -> float:
        return float(self.model.cadres.formalism[self.village])

    @property
    def effort(self) -> float:
        return float(self.model.cadres.effort[self.village])
