"""Random streams are declared in one place and checked (as Starsim's `Dists.check_seeds`):
names are unique, their CRC32 keys do not collide, and an undeclared name is refused."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from simulation.streams import (
    INDEXED,
    MECHANISMS,
    StreamError,
    Streams,
    check_names,
    stream_key,
)


def test_declared_names_are_unique_and_collision_free():
    assert len(set(MECHANISMS)) == len(MECHANISMS)
    keys = check_names(MECHANISMS)
    assert len(keys) == len(MECHANISMS)
    # indexed families too, for far more actors than any scenario has
    many = [*MECHANISMS, *(t.format(i=i) for t in INDEXED for i in range(500))]
    assert len(check_names(many)) == len(many)


def test_key_is_the_crc32_of_the_name():
    # the derivation every stored result depends on: changing it would change every draw
    assert stream_key("shock.illness") == zlib.crc32(b"shock.illness")
    s = Streams(7)
    seq = np.random.SeedSequence(7, spawn_key=(zlib.crc32(b"shock.illness"), 3 + 1))
    expected = np.random.Generator(np.random.PCG64(seq)).random(5, dtype=np.float32)
    assert np.array_equal(s.uniform("shock.illness", 3, 5), expected)


def test_an_undeclared_name_is_refused():
    s = Streams(1)
    with pytest.raises(StreamError, match="undeclared random stream 'shock.ilness'"):
        s.uniform("shock.ilness", 0, 10)
    with pytest.raises(StreamError, match="undeclared"):
        s.rng("partner_city.x.labour", 0)
    s.rng("partner_city.12.labour", 0)  # an indexed family member is declared


def test_a_repeated_name_is_refused():
    with pytest.raises(StreamError, match="declared twice"):
        Streams(1, mechanisms=("a", "b", "a"))


def _collision() -> tuple[str, str]:
    seen: dict[int, str] = {}
    i = 0
    while True:  # about 2**16 names until two share a 32-bit key (birthday bound)
        name = f"m{i}"
        key = zlib.crc32(name.encode())
        if key in seen:
            return seen[key], name
        seen[key] = name
        i += 1


def test_a_forced_collision_is_detected():
    a, b = _collision()
    assert a != b and zlib.crc32(a.encode()) == zlib.crc32(b.encode())
    with pytest.raises(StreamError, match="CRC32 collision"):
        Streams(1, mechanisms=("shock.illness", a, b))


def test_a_collision_with_an_indexed_stream_is_detected_on_first_use():
    a, b = _collision()
    s = Streams(1, mechanisms=(a,), indexed=(b.rstrip("0123456789") + "{i}",))
    with pytest.raises(StreamError, match="CRC32 collision"):
        s.rng(b)
