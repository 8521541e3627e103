"""Checks of a loaded scenario against itself that the schema cannot make field by field:
sizes against the region and instrument dates against the run window.

`problems(scenario)` returns warnings for what is legal but likely a mistake; the command
line calls it before any run and prints them on stderr. `check_month` raises
`ScenarioError` for a month outside the run.
"""

from __future__ import annotations

from simulation.scenario.base import ScenarioError
from simulation.scenario.schema import Scenario
from simulation.timeline import month_index, parse_month


def run_window(scenario: Scenario) -> tuple[str, str]:
    """First and last simulated month, as YYYY-MM."""
    y, m = parse_month(scenario.start)
    last = y * 12 + (m - 1) + scenario.months - 1
    return scenario.start, f"{last // 12:04d}-{last % 12 + 1:02d}"


def in_run(month: str, scenario: Scenario) -> bool:
    return 0 <= month_index(month, scenario.start) < scenario.months


def check_month(month: str, scenario: Scenario, what: str) -> None:
    """ScenarioError unless `month` (YYYY-MM) is a simulated month of `scenario`."""
    try:
        parse_month(month)
    except ValueError as exc:
        raise ScenarioError(f"{what} {month!r}: {exc}") from None
    if not in_run(month, scenario):
        first, last = run_window(scenario)
        raise ScenarioError(f"{what} {month} is outside the run ({first} to {last}) of "
                            f"scenario '{scenario.name}'")


def problems(scenario: Scenario, source: str = "") -> list[str]:
    """Warnings for likely mistakes (empty list: none)."""
    where = f"{source}: " if source else f"scenario '{scenario.name}': "
    region = scenario.region
    warnings = []
    if scenario.households < region.villages:
        warnings.append(f"{where}{scenario.households:,} households for {region.villages:,} "
                        "villages: some villages have no household (raise households or "
                        "lower region.villages)")
    if scenario.households > region.households_represented:
        warnings.append(f"{where}{scenario.households:,} simulated households but the region "
                        f"represents only {region.households_represented:,}: each simulated "
                        "household stands for less than one real one (check "
                        "region.households_represented)")
    first, last = run_window(scenario)
    outside, active = [], 0
    for name, inst in scenario.instruments:
        if not getattr(inst, "enabled", False) or not hasattr(inst, "start"):
            continue
        ends_before = month_index(inst.end, first) < 0
        starts_after = month_index(inst.start, last) > 0
        if ends_before or starts_after:
            outside.append(f"{name} ({inst.start} to {inst.end})")
        else:
            active += 1
    if outside and not active:
        warnings.append(f"{where}the run ({first} to {last}) starts after or ends before "
                        f"every instrument: {', '.join(outside)}; no instrument will act")
    elif outside:
        warnings.append(f"{where}instrument(s) dated wholly outside the run ({first} to "
                        f"{last}): {', '.join(outside)}")
    return warnings
