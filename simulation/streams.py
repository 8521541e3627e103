"""Common random numbers: one independent random stream per mechanism and month.

Every mechanism draws from its own stream, keyed by a fixed name and the month, so that
switching an instrument on or off never shifts the draws of any other mechanism. Two runs
with the same seed therefore differ only where their policies differ, and an instrument
with zero budget reproduces the baseline exactly.

Because a month's draws depend only on (seed, mechanism, month), large runs can draw them
ahead on a second core (`simulation.threads`): each month, the per-household draws the
previous month used are started in a background thread (numpy releases the GIL while it
fills the array), and `uniform` picks them up. The values are the same either way.
"""

from __future__ import annotations

import zlib
from concurrent.futures import Future

import numpy as np

from simulation import threads


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._ahead: dict[tuple[str, int, int], Future] = {}
        # month -> {(mechanism, n): None} in the order drawn (a dict as an ordered set)
        self._drawn: dict[int, dict[tuple[str, int], None]] = {}

    def rng(self, mechanism: str, month: int = -1) -> np.random.Generator:
        """A generator for one mechanism in one month (month -1: set-up)."""
        key = zlib.crc32(mechanism.encode())
        seq = np.random.SeedSequence(self.seed, spawn_key=(key, month + 1))
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, mechanism: str, month: int, n: int) -> np.ndarray:
        """n uniforms in [0, 1), one per household, for a mechanism in a month."""
        if threads.allowed(n):
            self._drawn.setdefault(month, {})[(mechanism, n)] = None
            ahead = self._ahead.pop((mechanism, month, n), None)
            if ahead is not None and not ahead.cancel():  # not yet started: draw it here
                return ahead.result()
        return self._draw(mechanism, month, n)

    def _draw(self, mechanism: str, month: int, n: int) -> np.ndarray:
        return self.rng(mechanism, month).random(n, dtype=np.float32)

    def draw_ahead(self, month: int) -> None:
        """Start this month's draws of the mechanisms that drew last month, in the background.

        Draws ahead that went unused are dropped; only large runs draw ahead."""
        self._ahead = {key: f for key, f in self._ahead.items() if key[1] >= month}
        last = self._drawn.pop(month - 1, {})
        self._drawn = {m: s for m, s in self._drawn.items() if m >= month}
        if not last:
            return
        pool = threads.pool("draws")
        for mechanism, n in last:  # in the order they were needed last month
            key = (mechanism, month, n)
            if key not in self._ahead:
                self._ahead[key] = pool.submit(self._draw, mechanism, month, n)

    def __getstate__(self) -> dict:
        return {"seed": self.seed}  # draws ahead are a cache: a copy starts without them

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["seed"])
