"""Poverty states and the transitions between them: exits and returns to poverty."""

from __future__ import annotations

import numpy as np

from simulation.households import HouseholdTable, PovertyState


def transition(hh: HouseholdTable, poor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move households between states given who is below the line now; returns masks of
    this month's exits and returns."""
    s = hh.state
    exits = ((s == PovertyState.POOR) | (s == PovertyState.RETURNED)) & ~poor
    returns = (s == PovertyState.EXITED) & poor
    new_poor = (s == PovertyState.NON_POOR) & poor
    s[exits] = PovertyState.EXITED
    s[returns] = PovertyState.RETURNED
    s[new_poor] = PovertyState.POOR
    return exits, returns


def initial_states(hh: HouseholdTable, poor: np.ndarray) -> None:
    hh.state[:] = np.where(poor, PovertyState.POOR, PovertyState.NON_POOR)
