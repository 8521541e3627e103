"""Generate the parameter table (docs/parameters.md) from the scenario schema, so every
default and its source stay in one place: the `P(...)` declarations in simulation/scenario/."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from simulation.scenario import Beta, Scenario


def _description(model: type[BaseModel], name: str) -> str:
    """A field's description, inherited from a parent class when a subclass re-declares it."""
    for cls in model.__mro__:
        fields = getattr(cls, "model_fields", {})
        if name in fields and fields[name].description:
            return fields[name].description
    return ""


def _rows(model: BaseModel, prefix: str) -> list[tuple[str, Any, str]]:
    rows = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Beta):
            rows.append((path, f"Beta({value.a:g}, {value.b:g})",
                         _description(type(model), name)))
        elif isinstance(value, BaseModel):
            rows += _rows(value, f"{path}.")
        elif isinstance(value, dict) and value and isinstance(next(iter(value.values())),
                                                              BaseModel):
            for key, sub in value.items():
                rows += _rows(sub, f"{path}.{key}.")
        else:
            if hasattr(value, "value"):
                value = value.value
            elif isinstance(value, dict | list):
                value = json.dumps(value)
            rows.append((path, value, _description(type(model), name)))
    return rows


def parameter_rows() -> list[tuple[str, Any, str]]:
    return _rows(Scenario(), "")


def parameter_table() -> str:
    lines = ["# Parameters, defaults and sources", "",
             "Generated from `simulation/scenario/` by `povsim params --out "
             "docs/parameters.md`; do not edit by hand. Seeds are cited as file and section "
             "(files in `shared/seeds/`); 'assumption' marks a value chosen by the modellers.",
             "", "| parameter | default | meaning and source |", "|---|---|---|"]
    for path, value, desc in parameter_rows():
        text = desc.replace("|", "\\|")
        shown = f"{value:,.6g}" if isinstance(value, float) else str(value)
        lines.append(f"| `{path}` | {shown} | {text} |")
    return "\n".join(lines) + "\n"
