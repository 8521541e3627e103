"""Attribution (`povsim attribute`, docs/attribution.md): how much of the fall in poverty
incidence each group of instruments and actors accounts for.

- `groups`: the default groups as data, `--group` specs, checks against the schema.
- `shapley`: Shapley values and one-at-a-time effects from coalition values.
- `runs`: each coalition's scenario and its runs (common random numbers, any executor).
- `attribute`: `attribute()` and `AttributionResult`; `report`: CSV, Markdown and figure;
  `cli`: `povsim attribute`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.attribution.attribute import AttributionResult, attribute
    from simulation.attribution.groups import DEFAULT_GROUPS, Group

__all__ = ["DEFAULT_GROUPS", "AttributionResult", "Group", "attribute"]

_PUBLIC = {"attribute": "simulation.attribution.attribute",
           "AttributionResult": "simulation.attribution.attribute",
           "Group": "simulation.attribution.groups",
           "DEFAULT_GROUPS": "simulation.attribution.groups"}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation.attribution' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
