"""Common random numbers: one independent random stream per mechanism and month.

Every mechanism draws from its own stream, keyed by a fixed name and the month, so that
switching an instrument on or off never shifts the draws of any other mechanism. Two runs
with the same seed therefore differ only where their policies differ, and an instrument
with zero budget reproduces the baseline exactly.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)

    def rng(self, mechanism: str, month: int = -1) -> np.random.Generator:
        """A generator for one mechanism in one month (month -1: set-up)."""
        key = zlib.crc32(mechanism.encode())
        seq = np.random.SeedSequence(self.seed, spawn_key=(key, month + 1))
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, mechanism: str, month: int, n: int) -> np.ndarray:
        """n uniforms in [0, 1), one per household, for a mechanism in a month."""
        return self.rng(mechanism, month).random(n, dtype=np.float32)
