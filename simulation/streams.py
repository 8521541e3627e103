"""Common random numbers: one independent random stream per mechanism and month.

Every mechanism draws from its own stream, keyed by a fixed name and the month, so that
switching an instrument on or off never shifts the draws of any other mechanism. Two runs
with the same seed therefore differ only where their policies differ, and an instrument
with zero budget reproduces the baseline exactly.

Because a month's draws depend only on (seed, mechanism, month), large runs can draw them
ahead on a second core (`simulation.threads`): each month, the per-household draws the
previous month used are started in a background thread (numpy releases the GIL while it
fills the array), and `uniform` picks them up. The values are the same either way.

Every mechanism's name is declared below (`MECHANISMS`, and `INDEXED` for families with one
stream per actor). A stream's key is the CRC32 of its name, so at set-up a repeated name or
two names with the same key are refused, and drawing from an undeclared name is an error
(as Starsim's `Dists.check_seeds`): a typo cannot silently share or shift another stream.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from concurrent.futures import Future

import numpy as np

from simulation import threads
from simulation.scenario import CHANNELS, PROGRAMMES

#: Every mechanism that draws random numbers (the stream key is `zlib.crc32(name)`).
MECHANISMS: tuple[str, ...] = (
    # set-up (month -1)
    "setup.villages", "setup.households", "setup.members", "setup.tracked", "setup.network",
    "setup.cadres", "setup.cooperatives", "setup.gini", "setup.deficits", "setup.dibao",
    "setup.microdata",
    # environment, information and households
    "phones.adoption", "shock.disaster", "shock.price", "shock.illness", "shock.persistent",
    "labour.migration", "transfers.rangers",
    *(f"channel.{c}" for c in CHANNELS),
    *(f"takeup.{p}" for p in PROGRAMMES),
    *(f"takeup.{p}.rank" for p in PROGRAMMES),
    # yearly demography (simulation/demography.py, STREAMS)
    "demography.pension", "demography.retire", "demography.work", "demography.leave",
    "demography.death", "demography.who", "demography.ill", "demography.handover",
    "demography.birth", "demography.chronic",
    # instruments
    "registration.noise", "registration.order", "registration.nomination",
    "registration.bias", "registration.paper",
    "guarantee.housing", "guarantee.education", "guarantee.medical", "guarantee.water",
    "monitoring.detect", "followup.detect", "microcredit.default", "microcredit.rating",
    "relocation",
    # actors beyond government
    "enterprises.join", "enterprises.pick", "social.formation", "social.material",
    "social.capacity",
)
#: Families of mechanisms with one stream per actor; `{i}` is the actor's index (0, 1, ...).
#: Their keys are checked against every other stream's when first drawn.
INDEXED: tuple[str, ...] = (
    "enterprises.hire.{i}",
    "partner_city.{i}.labour", "partner_city.{i}.labour.round",
    "partner_city.{i}.industry", "partner_city.{i}.industry.round",
    "designated.{i}.round", "designated.{i}.industry",
)


class StreamError(ValueError):
    """A random stream is undeclared, declared twice, or shares its key with another."""


def stream_key(name: str) -> int:
    return zlib.crc32(name.encode())


def check_names(names: Iterable[str]) -> dict[int, str]:
    """Key -> name of the declared streams; refuses a repeated name or a CRC32 collision."""
    keys: dict[int, str] = {}
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise StreamError(f"random stream {name!r} is declared twice")
        seen.add(name)
        key = stream_key(name)
        if key in keys:
            raise StreamError(f"random streams {keys[key]!r} and {name!r} have the same key "
                              f"{key} (CRC32 collision): rename one")
        keys[key] = name
    return keys


def _pattern(templates: Iterable[str]) -> re.Pattern[str]:
    parts = [re.escape(t).replace(re.escape("{i}"), "(?:0|[1-9][0-9]*)") for t in templates]
    return re.compile("|".join(parts) if parts else "(?!)")


class Streams:
    def __init__(self, seed: int, mechanisms: Iterable[str] = MECHANISMS,
                 indexed: Iterable[str] = INDEXED):
        self.seed = int(seed)
        self._declared = (tuple(mechanisms), tuple(indexed))
        self._by_key = check_names(self._declared[0])
        self._keys = {name: key for key, name in self._by_key.items()}
        self._family = _pattern(self._declared[1])
        self._ahead: dict[tuple[str, int, int], Future] = {}
        # month -> {(mechanism, n): None} in the order drawn (a dict as an ordered set)
        self._drawn: dict[int, dict[tuple[str, int], None]] = {}

    def rng(self, mechanism: str, month: int = -1) -> np.random.Generator:
        """A generator for one mechanism in one month (month -1: set-up)."""
        key = self._keys.get(mechanism)
        if key is None:
            key = self._first_use(mechanism)
        seq = np.random.SeedSequence(self.seed, spawn_key=(key, month + 1))
        return np.random.Generator(np.random.PCG64(seq))

    def _first_use(self, mechanism: str) -> int:
        """The key of a stream of an indexed family, checked against all others."""
        if not self._family.fullmatch(mechanism):
            raise StreamError(f"undeclared random stream {mechanism!r}: declare it in "
                              "simulation.streams.MECHANISMS (or INDEXED)")
        key = stream_key(mechanism)
        other = self._by_key.get(key)
        if other is not None:
            raise StreamError(f"random streams {other!r} and {mechanism!r} have the same key "
                              f"{key} (CRC32 collision): rename one")
        self._by_key[key] = mechanism
        self._keys[mechanism] = key
        return key

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
        # draws ahead are a cache: a copy starts without them
        return {"seed": self.seed, "declared": self._declared}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["seed"], *state.get("declared", (MECHANISMS, INDEXED)))
