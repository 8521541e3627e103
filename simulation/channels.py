"""How policy information travels, and how far it is understood.

Each channel has a monthly reach, a delay after a programme starts, a fidelity (how
correctly a reached household understands), a cost per contact and requirements of the
receiver (seed 000 §4.3 and §5.3; 001 'Target groups'; 004 §4.6). A reached household learns
of every programme the channel carries that month; its understanding rises towards the
channel's fidelity times its own comprehension. Cadre visits are bounded by cadre effort;
word of mouth by the share of aware neighbours.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from simulation.households import HouseholdTable
from simulation.scenario import CHANNELS, Channel
from simulation.streams import Streams


def receivable(ch: Channel, hh: HouseholdTable, internet_village: np.ndarray) -> np.ndarray:
    """Probability multiplier that a household can receive the channel at all."""
    ok = np.ones(hh.n, dtype=np.float32)
    if ch.requires_phone:
        ok = ok * hh.phone * (0.3 + 0.7 * hh.literacy)
    if ch.requires_internet:
        ok = ok * internet_village[hh.village]
    return ok


def spread(hh: HouseholdTable, channels: dict[str, Channel], intensity: dict[str, float],
           carried: np.ndarray, internet_village: np.ndarray, visit_prob: np.ndarray,
           remoteness_village: np.ndarray, network: sparse.csr_matrix, month: int,
           streams: Streams) -> dict[str, int]:
    """One month of information spread; updates `hh.understanding` in place.

    `carried[c, p]` says whether channel c carries programme p this month (the programme is
    active and the channel's delay has passed). Returns contacts made per channel (for cost).
    """
    n = hh.n
    comprehension = hh.comprehension
    contacts: dict[str, int] = {}
    neighbours_aware = None
    if carried.any():
        neighbours_aware = network @ (hh.understanding > 0).astype(np.float32)
    for c, name in enumerate(CHANNELS):
        ch = channels[name]
        u = streams.uniform(f"channel.{name}", month, n)
        if not carried[c].any() or intensity[name] <= 0:
            contacts[name] = 0
            continue
        if name == "cadre_visit":
            # Face to face: cadres explain, so understanding depends little on schooling.
            p = visit_prob * intensity[name]
            fidelity = ch.fidelity * (0.8 + 0.2 * comprehension)
            reached = u < p
            target = np.broadcast_to(fidelity[:, None], (n, carried.shape[1]))
        elif name == "word_of_mouth":
            reached_p = (u[:, None] < ch.reach * intensity[name] * neighbours_aware)
            reached_p &= carried[c][None, :]
            target = ch.fidelity * comprehension[:, None]
            upd = np.where(reached_p, np.maximum(hh.understanding, target), hh.understanding)
            contacts[name] = int(reached_p.any(axis=1).sum())
            hh.understanding = upd.astype(np.float32)
            continue
        else:
            p = ch.reach * intensity[name] * receivable(ch, hh, internet_village)
            if name == "villagers_meeting":
                p = p * (1.0 - 0.5 * remoteness_village[hh.village])  # remote hamlets attend less
            reached = u < p
            target = np.broadcast_to((ch.fidelity * comprehension)[:, None],
                                     (n, carried.shape[1]))
        contacts[name] = int(reached.sum())
        if contacts[name] == 0:
            continue
        rows = np.flatnonzero(reached)
        cols = np.flatnonzero(carried[c])
        sub = hh.understanding[np.ix_(rows, cols)]
        hh.understanding[np.ix_(rows, cols)] = np.maximum(sub, target[np.ix_(rows, cols)])
    return contacts
