"""Loading scenarios: `extends:` chains, dotted overrides, `scale:`/`per_household:`
adjustments and bundled-scenario lookup; every entry point ends in `finish`/`build`."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulation.population.spec import anchor_path
from simulation.scenario.base import ScenarioError
from simulation.scenario.schema import Scenario
from simulation.validation import describe_errors, read_yaml


def scenarios_dir() -> Path:
    """Folder of bundled scenarios: $POVSIM_SCENARIOS or the repository's scenarios/."""
    env = os.environ.get("POVSIM_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "scenarios"


def list_bundled() -> list[Path]:
    root = scenarios_dir()
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by path, by path relative to another file, or by bundled name."""
    candidates = [Path(name_or_path)]
    if relative_to is not None:
        candidates.insert(0, relative_to.parent / str(name_or_path))
    stem = str(name_or_path).removesuffix(".yaml")
    root = scenarios_dir()
    candidates += [root / f"{stem}.yaml", root / "countermeasures" / f"{stem}.yaml"]
    for path in candidates:
        if path.is_file():
            return path
    where = f" (from {relative_to})" if relative_to else ""
    raise ScenarioError(f"scenario file not found: {name_or_path!s}{where}; looked in "
                        f"{', '.join(str(c) for c in candidates)}")


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path, ScenarioError, "scenario file")
    if data is None:  # an empty file would silently run the defaults as "default"
        raise ScenarioError(f"{path}: the file is empty (no fields); to run the embedded "
                            "defaults give no scenario")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of fields at the top level, "
                            f"got {type(data).__name__}")
    return data


def load_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The merged mapping of a file and its `extends:` chain (parents first)."""
    path = path.resolve()
    if path in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ScenarioError(f"{path}: circular 'extends': {chain}")
    data = _read_yaml(path)
    anchor_path(data, path, ("population", "microdata"))  # relative to this file
    parents = data.pop("extends", None)
    if parents is None:
        return data
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{path}: field 'extends': expected a file name or a list of them")
    merged: dict = {}
    for parent in parents:
        merged = deep_merge(merged, load_raw(resolve(parent, relative_to=path), (*_seen, path)))
    return deep_merge(merged, data)


def parse_override(text: str) -> tuple[str, Any]:
    """'a.b.c=value' -> ('a.b.c', value) with the value parsed as YAML."""
    if "=" not in text:
        raise ScenarioError(f"override {text!r}: expected 'dotted.path=value'")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"override {text!r}: empty field name")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError(f"override {text!r}: value is not valid YAML: {exc}") from exc
    return key, value


def set_dotted(data: dict, key: str, value: Any) -> dict:
    out = copy.deepcopy(data)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    return out


def _format_errors(source: str, exc: ValidationError) -> str:
    return describe_errors(source, exc, "scenario",
                           "unknown field (check spelling; see docs/parameters.md)")


#: Top-level blocks of an overlay that adjust values instead of setting them.
ADJUSTMENTS = ("scale", "per_household")


def get_dotted(data: dict, key: str) -> Any:
    """The value at a dotted path of a nested mapping; KeyError if any part is missing."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def apply_adjustments(data: dict, source: str = "<scenario>") -> dict:
    """Resolve `scale:` and `per_household:` blocks against the merged scenario.

    A countermeasure overlay must apply to any archetype, so it may say "twice the
    archetype's publicity budget" (`scale: {instruments.publicity.budget: 2}`) or "300 yuan
    per represented household" (`per_household: {instruments.relocation.budget: 300}`)
    instead of a fixed number. Values not set in the files are taken from the schema
    defaults. Both blocks are merged like any other field (the last file wins per path);
    `--set` overrides given to `load_scenario` are applied after them.
    """
    blocks = {k: data.get(k) for k in ADJUSTMENTS if data.get(k) is not None}
    if not blocks:
        return {k: v for k, v in data.items() if k not in ADJUSTMENTS}
    plain = {k: v for k, v in data.items() if k not in ADJUSTMENTS}
    for name, block in blocks.items():
        if not isinstance(block, dict):
            raise ScenarioError(f"{source}: field '{name}': expected a mapping of dotted "
                                f"field paths to numbers, got {type(block).__name__}")
    resolved = build(plain, source).model_dump(mode="json")
    households = resolved["region"]["households_represented"]
    out = plain
    for name, block in blocks.items():
        for key, factor in block.items():
            where = f"{source}: field '{name}.{key}'"
            if isinstance(factor, bool) or not isinstance(factor, int | float):
                raise ScenarioError(f"{where}: expected a number, got {factor!r}")
            if factor < 0:
                raise ScenarioError(f"{where}: expected a number >= 0, got {factor!r}")
            try:
                current = get_dotted(resolved, key)
            except KeyError:
                raise ScenarioError(f"{where}: no such field in the scenario (see "
                                    "docs/parameters.md)") from None
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise ScenarioError(f"{where}: can only adjust a number, but the field "
                                    f"holds {current!r}")
            value = current * factor if name == "scale" else factor * households
            if isinstance(current, int) and name == "scale":
                value = int(round(value))
            out = set_dotted(out, key, value)
            resolved = set_dotted(resolved, key, value)
    return out


def build(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate a merged mapping into a Scenario, with errors naming source and field."""
    if any(k in data for k in ADJUSTMENTS):
        data = apply_adjustments(data, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(source, exc)) from None
    if scenario.population.microdata is not None:
        # The records are read, checked and raked now, so a bad record or an unreachable
        # margin stops `povsim validate` and `run` before any work starts (cached: loading
        # again does not read the file again).
        # Imported here: the records' module needs the scenario package loaded first.
        from simulation.population.raking import raked

        try:
            raked(scenario.population.microdata)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: field 'population.microdata': {exc}") from None
    return scenario


Overrides = dict[str, Any] | list[str] | tuple[str, ...] | None


def load_scenario(name_or_path: str | Path = "default", overrides: Overrides = None,
                  households: int | None = None) -> Scenario:
    """Load a scenario file (or bundled name) with its parents and overrides, validated.

    `name_or_path="default"` with no such file gives the embedded defaults.
    """
    if str(name_or_path) == "default" and not (scenarios_dir() / "default.yaml").is_file():
        data, source = {}, "<embedded defaults>"
    else:
        path = resolve(name_or_path)
        data, source = load_raw(path), str(path)
    return finish(data, source, overrides, households)


def override_items(overrides: Overrides) -> list[tuple[str, Any]]:
    """Dotted overrides as (path, value) pairs, from a mapping or 'a.b=value' strings."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    return [parse_override(o) for o in overrides]


def overlay_on(base: dict, overlay_ref: str | Path) -> dict:
    """A countermeasure overlay (file or bundled name) deep-merged onto an archetype's
    mapping, named `OVERLAY@ARCHETYPE`; `finish` or `build` then validates it."""
    overlay = load_raw(resolve(overlay_ref))  # also looks in scenarios/countermeasures/
    data = deep_merge(base, overlay)
    data["name"] = f"{overlay.get('name', Path(overlay_ref).stem)}@{base.get('name', 'base')}"
    return data


def finish(data: dict, source: str, overrides: Overrides = None,
           households: int | None = None) -> Scenario:
    """The one order every entry point uses: resolve `scale:`/`per_household:` blocks, then
    apply dotted overrides and the household count (last), then validate."""
    data = apply_adjustments(data, source)
    items = override_items(overrides)
    for key, value in items:
        data = set_dotted(data, key, value)
    if households is not None:
        data = set_dotted(data, "households", households)
    if items or households is not None:
        source += " with overrides " + ", ".join(
            [f"{k}={v!r}" for k, v in items] + ([f"households={households}"] if households
                                                 else []))
    return build(data, source)


def with_overrides(scenario: Scenario, overrides: Overrides) -> Scenario:
    """A copy of `scenario` with dotted overrides applied and re-validated."""
    return finish(scenario.model_dump(mode="json"), f"scenario '{scenario.name}'", overrides)
