"""Shapley values and one-at-a-time effects over groups, from coalition values.

A coalition is a bit mask over the groups (bit i set: group i on). `values[mask]` is the
fall in the outcome with exactly those groups on; mask 0 is the run with none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import factorial

#: Shapley needs 2**G runs per seed; above this many groups it is refused.
MAX_SHAPLEY_GROUPS = 6


def all_on(n: int) -> int:
    return (1 << n) - 1


def shapley_masks(n: int) -> list[int]:
    """Every coalition of `n` groups (2**n masks)."""
    return list(range(1 << n))


def one_at_a_time_masks(n: int) -> list[int]:
    """All on, none on, and all on but one group (n + 2 masks; fewer when n is 1)."""
    full = all_on(n)
    return sorted({full, 0, *(full & ~(1 << i) for i in range(n))})


def shapley(values: Mapping[int, float], n: int) -> list[float]:
    """Shapley value of each group: its marginal contribution averaged over every order in
    which the groups could be added. They sum to values[all on] - values[none]."""
    out = []
    for i in range(n):
        bit = 1 << i
        total = 0.0
        for mask in range(1 << n):
            if mask & bit:
                continue
            k = mask.bit_count()
            weight = factorial(k) * factorial(n - k - 1) / factorial(n)
            total += weight * (values[mask | bit] - values[mask])
        out.append(total)
    return out


def one_at_a_time(values: Mapping[int, float], n: int) -> tuple[list[float], float]:
    """Each group's effect as all on minus all on without it, and the interaction residual:
    (all on - none) minus the sum of those effects."""
    full = all_on(n)
    effects = [values[full] - values[full & ~(1 << i)] for i in range(n)]
    return effects, (values[full] - values[0]) - sum(effects)


def mask_label(mask: int, names: list[str]) -> str:
    """'none', 'all' or the names of the groups on, joined by '+'."""
    if mask == 0:
        return "none"
    if mask == all_on(len(names)):
        return "all"
    return "+".join(n for i, n in enumerate(names) if mask >> i & 1)
