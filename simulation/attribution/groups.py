"""The groups an attribution switches off, declared as data, and `--group` specs.

A group is a name, a label and the scenario overrides (dotted path -> value) that remove
it. The default groups below name every path they may use; a default path the scenario
schema does not have (yet) is skipped with a note, so adding a path is a one-line change
that works before and after the schema gains it. Registration is never switched off: the
register is how the other instruments find their households.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulation.errors import UsageError
from simulation.scenario import Scenario, get_dotted

#: Instruments in the `programmes` group: productive and support instruments, the guarantee
#: works (housing, education, medical, water), publicity, cadre training and monitoring.
PROGRAMME_INSTRUMENTS = (
    "cooperative", "microcredit", "asset_income", "ecommerce", "tourism", "skills_training",
    "infrastructure", "relocation", "housing", "education", "medical", "water", "publicity",
    "cadre_training", "monitoring", "followup",
)


@dataclass(frozen=True)
class Group:
    """A set of instruments or actors removed together: `overrides` switch it off."""

    name: str
    label: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    default: bool = False  # a default group: absent paths are skipped, not refused


#: The default groups (order = order of the tables). One line per path.
DEFAULT_GROUPS: tuple[Group, ...] = (
    Group("programmes", "Programmes (productive and support instruments)",
          {f"instruments.{k}.enabled": False for k in PROGRAMME_INSTRUMENTS}, default=True),
    Group("transfers", "Transfers (minimum living security and other transfers)", {
        "instruments.minimum_living.enabled": False,
        "transfers.pension.enabled": False,
        "transfers.farm_subsidy.enabled": False,
        "transfers.eco_compensation.enabled": False,
        "transfers.public_posts.enabled": False,
    }, default=True),
    Group("labour_market", "Labour market", {
        "economy.labour_market.enabled": False,
    }, default=True),
    Group("actors", "Actors beyond government (social organizations, enterprises, "
          "designated units, partner cities)", {
        "actors.social_organizations.enabled": False,
        "actors.enterprises.enabled": False,
        "actors.designated_assistance.enabled": False,
        "actors.partner_city.enabled": False,
    }, default=True),
)
DEFAULTS_BY_NAME = {g.name: g for g in DEFAULT_GROUPS}
#: Names that label other rows of the tables and cannot name a group.
RESERVED = ("total", "remaining", "interaction")


def off_value(path: str, current: Any, where: str) -> tuple[str, Any]:
    """The override that switches `path` off, given its current value: a switch -> false,
    a number -> 0, a section with `enabled` -> its `enabled` set to false."""
    if isinstance(current, bool):
        return path, False
    if isinstance(current, int | float):
        return path, 0
    if isinstance(current, dict) and isinstance(current.get("enabled"), bool):
        return f"{path}.enabled", False
    raise UsageError(f"{where}: path '{path}' holds {current!r}; expected a switch "
                     "(true/false), a number (set to 0) or a section with 'enabled'")


def parse_group_spec(spec: str, data: Mapping[str, Any]) -> Group:
    """`NAME=path[,path...]` (each path set to its off value) or `NAME` (a default group),
    checked against the resolved scenario mapping `data`."""
    where = f"--group {spec!r}"
    name, sep, paths_text = spec.partition("=")
    name = name.strip()
    if not name.isidentifier():
        raise UsageError(f"{where}: expected NAME=path[,path...] with NAME a word (letters, "
                         f"digits, _), or the name of a default group "
                         f"({', '.join(DEFAULTS_BY_NAME)}); got name {name!r}")
    if name in RESERVED:
        raise UsageError(f"{where}: '{name}' names a row of the tables; choose another name")
    if not sep:
        if name not in DEFAULTS_BY_NAME:
            raise UsageError(f"{where}: no default group '{name}' (defaults: "
                             f"{', '.join(DEFAULTS_BY_NAME)}); to define one give "
                             f"{name}=path[,path...]")
        return DEFAULTS_BY_NAME[name]
    paths = [p.strip() for p in paths_text.split(",")]
    if not paths or any(not p or any(not part for part in p.split(".")) for p in paths):
        raise UsageError(f"{where}: expected NAME=path[,path...] with dotted scenario paths "
                         f"such as instruments.microcredit.enabled; got {paths_text!r}")
    overrides: dict[str, Any] = {}
    for path in paths:
        try:
            current = get_dotted(dict(data), path)
        except KeyError:
            raise UsageError(f"{where}: path '{path}' is not a field of the scenario; "
                             "expected a dotted path such as instruments.microcredit.enabled "
                             "(see docs/parameters.md)") from None
        key, value = off_value(path, current, where)
        overrides[key] = value
    return Group(name, name, overrides)


@dataclass(frozen=True)
class ResolvedGroups:
    """The groups that will be switched, with what was skipped and why."""

    groups: tuple[Group, ...]
    notes: tuple[str, ...] = ()


def resolve_groups(scenario: Scenario, groups: Sequence[Group | str] | None = None
                   ) -> ResolvedGroups:
    """Check groups against the scenario schema before any run.

    `groups` holds `Group`s or `--group` specs (default: `DEFAULT_GROUPS`). A default
    group's paths that the schema lacks are skipped with a note (a group left with none is
    dropped); a user group's are refused. Groups must have distinct names and no path in
    common (removing one must not remove part of another).
    """
    data = scenario.model_dump(mode="json")
    given: Iterable[Group | str] = DEFAULT_GROUPS if groups is None else groups
    out: list[Group] = []
    notes: list[str] = []
    owner: dict[str, str] = {}
    for g in given:
        group = parse_group_spec(g, data) if isinstance(g, str) else g
        kept: dict[str, Any] = {}
        skipped: list[str] = []
        for path, value in group.overrides.items():
            if path.startswith("instruments.registration."):
                raise UsageError(f"group '{group.name}': path '{path}' switches off "
                                 "registration, which the other instruments need to find "
                                 "their households; leave it out")
            try:
                current = get_dotted(data, path)
            except KeyError:
                if group.default:
                    skipped.append(path)
                    continue
                raise UsageError(f"group '{group.name}': path '{path}' is not a field of the "
                                 "scenario (see docs/parameters.md)") from None
            if isinstance(current, bool) != isinstance(value, bool):
                raise UsageError(f"group '{group.name}': path '{path}' holds {current!r}; "
                                 f"cannot set it to {value!r}")
            kept[path] = value
        if skipped:
            notes.append(f"group '{group.name}': skipped {', '.join(skipped)} (not in the "
                         "scenario schema)")
        if not kept:
            if group.default:
                notes.append(f"group '{group.name}': dropped (none of its paths is in the "
                             "scenario schema)")
                continue
            raise UsageError(f"group '{group.name}': no path to switch off")
        if group.name in {o.name for o in out}:
            raise UsageError(f"group '{group.name}' is given twice")
        for path in kept:
            if path in owner:
                raise UsageError(f"path '{path}' is in groups '{owner[path]}' and "
                                 f"'{group.name}': a path may belong to one group only")
            owner[path] = group.name
        out.append(Group(group.name, group.label, kept, group.default))
    if not out:
        raise UsageError("no group to attribute to")
    return ResolvedGroups(tuple(out), tuple(notes))
