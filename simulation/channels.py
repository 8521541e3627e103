"""How policy information travels, and how far it is understood.

Each channel has a monthly reach, a delay after a programme starts, a fidelity (how
correctly a reached household understands), a cost per contact and requirements of the
receiver (seed 000 §4.3 and §5.3; 001 'Target groups'; 004 §4.6). A reached household learns
of every programme the channel carries that month; its understanding rises towards the
channel's fidelity times its own comprehension. Cadre visits are bounded by cadre effort;
word of mouth by the share of aware neighbours.

Information also fades (`forget`): each month, a household's understanding of a programme no
channel told it of decays at `behaviour.forgetting` times one minus the `lasting` of the
deepest channel that taught it (a cadre's explanation outlasts a broadcast, 000 §5.3), and
below `behaviour.forget_threshold` the household no longer knows of the programme at all.
Participants do not forget the programme they are in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from simulation import threads
from simulation.choice import RowView
from simulation.households import HouseholdTable
from simulation.network import PeerCounts
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


@dataclass
class CadreVisits:
    """How likely cadres are to visit each household this month: `probability(rows)` for
    some rows, and an upper `bound` on it over all households."""

    probability: Callable[[np.ndarray], np.ndarray]
    bound: float

    def draw(self, streams: Streams, month: int, n: int, intensity: float) -> np.ndarray:
        """Rows of the households visited this month (the cadre-visit channel's draws)."""
        u = streams.uniform("channel.cadre_visit", month, n)
        maybe = _below(u, self.bound * intensity)
        return maybe[u[maybe] < self.probability(maybe) * intensity]


def _below(u: np.ndarray, bound: float) -> np.ndarray:
    """Rows whose draw is below an upper bound on their probability of being reached (with
    a margin for rounding): only these can be reached, so only these are looked at."""
    return np.flatnonzero(u < bound * (1 + 1e-6) + 1e-12)


def spread(hh: HouseholdTable, channels: dict[str, Channel], intensity: dict[str, float],
           carried: np.ndarray, internet_village: np.ndarray, visits: CadreVisits,
           remoteness_village: np.ndarray, aware_neighbours: PeerCounts, month: int,
           streams: Streams) -> tuple[dict[str, int], np.ndarray | None, list[list[np.ndarray]]]:
    """One month of information spread; updates `hh.understanding` and `hh.retention` in place.

    `carried[c, p]` says whether channel c carries programme p this month (the programme is
    active and the channel's delay has passed). Returns contacts made per channel (for cost),
    the rows cadres visited (None when the cadre-visit channel carried nothing) and, per
    programme, the groups of rows told of it this month (for `forget`).
    """
    n = hh.n
    contacts: dict[str, int] = {name: 0 for name in CHANNELS}
    visited = None
    told: list[list[np.ndarray]] = [[] for _ in range(hh.understanding.shape[1])]
    if not carried.any():
        return contacts, visited, told
    # Word of mouth reads who was aware at the start of the month, before other channels.
    wom = CHANNELS.index("word_of_mouth") if "word_of_mouth" in CHANNELS else -1
    wom_cols = np.flatnonzero(carried[wom]) if wom >= 0 else np.empty(0, dtype=np.int64)
    if len(wom_cols):  # counts of aware neighbours, moved to the start of the month
        aware_neighbours.update(hh.understanding > 0, own=True)
    literacy_max = float(np.max(hh.literacy)) if n else 0.0

    def reach(name: str) -> Reach:
        ch, cols = channels[name], np.flatnonzero(carried[CHANNELS.index(name)])
        if name == "cadre_visit":
            rows = visits.draw(streams, month, n, intensity[name])
            # Face to face: cadres explain, so understanding depends little on schooling.
            target = ch.fidelity * (0.8 + 0.2 * RowView(hh, rows).comprehension)
            return Reach(len(rows), [(rows, cols, target)], rows)
        u = streams.uniform(f"channel.{name}", month, n)
        if name == "word_of_mouth":
            return _word_of_mouth(hh, ch, intensity[name], cols, aware_neighbours, u)
        # Only households whose draw is below the channel's highest probability can be
        # reached: the probability is computed for those rows alone (the same values).
        bound = ch.reach * intensity[name]
        if ch.requires_phone:
            bound *= 0.3 + 0.7 * literacy_max
        if ch.requires_internet:
            bound *= float(np.max(internet_village)) if len(internet_village) else 0.0
        if name == "villagers_meeting":
            bound *= 1.0 - 0.5 * float(np.min(remoteness_village))
        maybe = _below(u, bound)
        view = RowView(hh, maybe)
        p = ch.reach * intensity[name] * receivable(ch, view, internet_village)
        if name == "villagers_meeting":
            p = p * (1.0 - 0.5 * remoteness_village[view.village])  # remote hamlets attend less
        rows = maybe[u[maybe] < p]
        return Reach(len(rows), [(rows, cols, ch.fidelity * RowView(hh, rows).comprehension)])

    # Streams are keyed by channel and month: skipping a channel's draw shifts no other.
    active = [name for c, name in enumerate(CHANNELS)
              if carried[c].any() and intensity[name] > 0]
    # Channels only read the start-of-month state, so they can be worked out side by side
    # (half of them in a background thread) and applied afterwards.
    if threads.allowed(n) and len(active) > 1:
        later_names = active[1::2]
        later = threads.pool("channels").submit(lambda: [reach(name) for name in later_names])
        found = {name: reach(name) for name in active[::2]}
        found |= dict(zip(later_names, later.result(), strict=True))
    else:
        found = {name: reach(name) for name in active}
    # What each programme's households learnt, by column (rows, understanding, lasting).
    learnt: list[list[tuple[np.ndarray, np.ndarray, np.float32]]] = [[] for _ in told]
    for name in active:
        contacts[name] = found[name].contacts
        if found[name].visited is not None:
            visited = found[name].visited
        lasting = np.float32(channels[name].lasting)
        for rows, cols, target in found[name].updates:
            for k in cols:
                learnt[k].append((rows, target, lasting))
                told[k].append(rows)
    # One programme (a column of the column-major table) at a time; columns are independent.
    threads.each(n, range(len(learnt)), lambda k: _learn(hh, k, learnt[k]))
    return contacts, visited, told


def _learn(hh: HouseholdTable, k: int,
           learnt: list[tuple[np.ndarray, np.ndarray, np.float32]]) -> None:
    """Understanding of programme k rises to what the channels taught (a maximum, so their
    order does not matter); the deepest channel that taught it sets how lasting it is."""
    column, kept = hh.understanding[:, k], hh.retention[:, k]
    for rows, target, lasting in learnt:
        got = column[rows]  # a gathered copy: the maximum is taken in it
        column[rows] = np.maximum(got, target, out=got)
        if lasting > 0:
            got = kept[rows]
            kept[rows] = np.maximum(got, lasting, out=got)


def forget(hh: HouseholdTable, told: list[list[np.ndarray]], rate: float,
           threshold: float) -> None:
    """Understanding fades without contact; below `threshold` awareness is lost.

    For each programme k, households aware of it, not taking part and not told of it this
    month (`told[k]`, groups of rows) keep `1 - rate * (1 - retention)` of their
    understanding. Works one column at a time with whole-column operations (most
    households are aware once programmes run, so gathers would cost more; large runs do
    half of the columns in a background thread); there are no (n, programmes)
    temporaries. Masked arithmetic (`where=`) is several times
    slower than plain, so every row is multiplied, by 1 for the few aware rows that do not
    fade (participants, those told); unaware rows stay 0 (0 x factor).
    """
    if rate <= 0 or hh.n == 0:
        return
    keep_rate, floor = np.float32(rate), np.float32(threshold)
    threads.each(hh.n, range(hh.understanding.shape[1]),
                 lambda k: _fade(hh, k, told[k], keep_rate, floor))


def _fade(hh: HouseholdTable, k: int, told: list[np.ndarray], keep_rate: np.float32,
          floor: np.float32) -> None:
    """`forget` for programme k (a column of the column-major table)."""
    n = hh.n
    aware, fading = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    factor = np.empty(n, dtype=np.float32)
    column, kept = hh.understanding[:, k], hh.retention[:, k]
    np.greater(column, 0, out=aware)
    np.logical_not(hh.participating[:, k], out=fading)  # participants do not forget
    fading &= aware
    for rows in told:
        fading[rows] = False
    # kept share 1 - rate * (1 - retention) = (1 - rate) + rate * retention
    np.multiply(kept, keep_rate, out=factor)
    factor += np.float32(1) - keep_rate
    aware &= ~fading  # now: aware rows that do not fade
    factor[np.flatnonzero(aware)] = np.float32(1)  # x * 1 is x: their values stay
    column *= factor
    np.less(column, floor, out=aware)
    aware &= fading  # now: rows that faded below the threshold
    lost = np.flatnonzero(aware)
    column[lost] = np.float32(0)
    kept[lost] = np.float32(0)  # a programme learnt again is afresh


@dataclass
class Reach:
    """Whom a channel reached this month: a count of contacts, and for each group of rows
    the programmes (columns) they learnt of and the understanding they reach."""

    contacts: int
    updates: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    visited: np.ndarray | None = None


def _word_of_mouth(hh: HouseholdTable, ch: Channel, intensity: float, cols: np.ndarray,
                   aware: PeerCounts, u: np.ndarray) -> Reach:
    """Households hear from aware neighbours: reach x intensity x share of aware neighbours.

    Only households whose draw is below the largest possible reach can be reached, so the
    share of aware neighbours is computed for those rows only (same values, far fewer).
    """
    scale = ch.reach * intensity
    bound = scale * float(_max_row_sum(aware.network))
    maybe = np.flatnonzero(u < bound)
    if len(maybe) == 0:
        return Reach(0, [])
    share = np.stack([aware.share(maybe, k) for k in cols], axis=1)
    reached = u[maybe][:, None] < scale * share
    target = ch.fidelity * RowView(hh, maybe).comprehension
    updates = [(maybe[reached[:, j]], np.array([k]), target[reached[:, j]])
               for j, k in enumerate(cols)]
    return Reach(int(reached.any(axis=1).sum()), updates)


def _max_row_sum(network: sparse.csr_matrix) -> float:
    """Largest row sum of the network (with a margin for float32 rounding), cached."""
    key = (network.shape, network.nnz, network.data.__array_interface__["data"][0])
    cached = getattr(network, "_povsim_max_row_sum", None)
    if cached is None or cached[0] != key:
        sums = np.abs(network).sum(axis=1) if network.nnz else np.zeros(1)
        cached = (key, float(np.max(sums)) * (1 + 1e-5) + 1e-6)
        network._povsim_max_row_sum = cached
    return cached[1]
