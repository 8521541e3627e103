"""Regression baselines: stored outcomes of a few small runs with fixed seeds.

Any change to the model's rules (or to its random draws) changes these numbers. That is
fine when it is deliberate: regenerate them and commit the JSON with the change that
caused it::

    .venv/bin/python -m tests.baselines            # compare, print what differs
    .venv/bin/python -m tests.baselines --update   # rewrite tests/baselines/*.json

An optimisation, by contrast, must leave them untouched (tests/test_baselines.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
REL_TOL = 1e-9
ABS_TOL = 1e-12
UPDATE_COMMAND = ".venv/bin/python -m tests.baselines --update"


@dataclass(frozen=True)
class Case:
    name: str  # file stem in tests/baselines/
    scenario: str  # bundled scenario name
    households: int
    seed: int


CASES = (
    Case("demo", "demo", 2000, 1),
    Case("liangshan", "liangshan", 1000, 11),
    Case("changting", "changting", 1000, 12),
    Case("yunnan", "yunnan", 1000, 13),
    Case("national", "national", 1000, 14),
)

#: Monthly columns stored at the end of every calendar year (month 11, 23, ...).
MONTHLY_COLUMNS = (
    "income_poverty_incidence", "registered_poor_incidence", "income_pc", "income_pc_median",
    "gini", "cumulative_exits", "cumulative_returns", "people_lifted", "spending_total",
    "cumulative_spending", "exclusion_error", "inclusion_error",
    "awareness_cooperative", "participation_cooperative", "participation_microcredit",
    "participation_minimum_living", "smith_policy", "smith_agency", "smith_target",
    "smith_environment",
)


def compute(case: Case) -> dict:
    """Run one case and reduce it to its stored form (plain floats)."""
    from simulation.runs.runner import run
    from simulation.scenario import load_scenario

    scenario = load_scenario(case.scenario, households=case.households)
    result = run(scenario, seed=case.seed)
    df = result.monthly
    yearly = df[df["month"] % 12 == 11]
    monthly = {"date": [str(d) for d in yearly["date"]]}
    for col in MONTHLY_COLUMNS:
        if col in yearly:
            monthly[col] = [float(x) for x in yearly[col]]
    return {
        "case": {"scenario": case.scenario, "households": case.households, "seed": case.seed,
                 "months": int(scenario.months)},
        "summary": {k: float(v) for k, v in sorted(result.summary.items())},
        "monthly": monthly,
    }


def path_of(case: Case) -> Path:
    return HERE / f"{case.name}.json"


def load(case: Case) -> dict:
    return json.loads(path_of(case).read_text())


def _same(a: float, b: float) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def diff(stored: dict, current: dict) -> list[str]:
    """Human-readable differences between a stored baseline and a fresh run (empty if equal)."""
    out: list[str] = []
    if stored.get("case") != current.get("case"):
        out.append(f"case: stored {stored.get('case')} != current {current.get('case')}")
    s_sum, c_sum = stored["summary"], current["summary"]
    for key in sorted(set(s_sum) | set(c_sum)):
        if key not in c_sum:
            out.append(f"summary.{key}: stored {s_sum[key]!r}, now missing")
        elif key not in s_sum:
            out.append(f"summary.{key}: new (now {c_sum[key]!r})")
        elif not _same(s_sum[key], c_sum[key]):
            out.append(_line(f"summary.{key}", s_sum[key], c_sum[key]))
    s_mon, c_mon = stored["monthly"], current["monthly"]
    if s_mon.get("date") != c_mon.get("date"):
        out.append(f"monthly.date: stored {s_mon.get('date')} != current {c_mon.get('date')}")
        return out
    for col in sorted(set(s_mon) - {"date"}):
        if col not in c_mon:
            out.append(f"monthly.{col}: stored, now missing")
            continue
        for date, a, b in zip(s_mon["date"], s_mon[col], c_mon[col], strict=True):
            if not _same(a, b):
                out.append(_line(f"monthly.{col}[{date}]", a, b))
    return out


def _line(what: str, a: float, b: float) -> str:
    rel = abs(b - a) / max(abs(a), 1e-300) if a == a and b == b else float("nan")
    return f"{what}: stored {a!r}, now {b!r} (rel diff {rel:.2e})"


def write(case: Case, data: dict) -> None:
    path_of(case).write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
