"""A run is a pure function of (scenario, seed) returning tidy tables and metadata.

This is the unit that process pools and Dask workers execute, and (scenario hash, seed,
model-code fingerprint) is the key that makes sweeps resumable: a run is reused only when the
same code made it (see `simulation.fingerprint`).
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

import simulation
from simulation import fingerprint
from simulation.ledger import BudgetWarning
from simulation.model import PovertyModel
from simulation.scenario import Scenario
from simulation.timeline import month_label

#: Summary outcomes reported for every run (see `summarise`).
SUMMARY_DATES = ("2016-12", "2020-12", "2025-12")


def run_key(scenario_hash: str, seed: int) -> str:
    """`{scenario hash}-{seed}-{code fingerprint}`: what a stored run is reused by."""
    return f"{scenario_hash}-{int(seed)}-{fingerprint.code_fingerprint()}"


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).parent, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@dataclass
class RunResult:
    monthly: pd.DataFrame
    villages: pd.DataFrame
    summary: dict[str, float]
    meta: dict[str, object] = field(default_factory=dict)
    model: PovertyModel | None = None

    def write(self, out: Path) -> dict[str, Path]:
        """Write series (Parquet and CSV), village table, summary and metadata to `out`."""
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "monthly_parquet": out / "monthly.parquet", "monthly_csv": out / "monthly.csv",
            "villages": out / "villages.parquet", "summary": out / "summary.json",
            "meta": out / "meta.json", "scenario": out / "scenario.yaml",
        }
        with_meta = self.monthly.assign(run_key=self.meta["run_key"])
        with_meta.to_parquet(paths["monthly_parquet"], index=False)
        with_meta.to_csv(paths["monthly_csv"], index=False)
        self.villages.to_parquet(paths["villages"], index=False)
        paths["summary"].write_text(json.dumps(self.summary, indent=2, default=float))
        meta = {k: v for k, v in self.meta.items() if k != "scenario_yaml"}
        paths["meta"].write_text(json.dumps(meta, indent=2, default=str))
        paths["scenario"].write_text(str(self.meta["scenario_yaml"]))
        return paths


def _at(df: pd.DataFrame, date: str, column: str) -> float:
    row = df.loc[df["date"] == date, column]
    return float(row.iloc[0]) if len(row) else float("nan")


def summarise(df: pd.DataFrame) -> dict[str, float]:
    """Headline outcomes of one run (figures for the represented region)."""
    first, last = df.iloc[0], df.iloc[-1]
    s: dict[str, float] = {
        "incidence_start": float(first["income_poverty_incidence"]),
        "incidence_end": float(last["income_poverty_incidence"]),
        "registered_incidence_peak": float(df["registered_poor_incidence"].max()),
        "income_pc_start": float(first["income_pc"]),
        "income_pc_end": float(last["income_pc"]),
        "gini_start": float(first["gini"]), "gini_end": float(last["gini"]),
        "people_lifted_end": float(last["people_lifted"]),
        "cumulative_exits": float(last["cumulative_exits"]),
        "cumulative_returns": float(last["cumulative_returns"]),
        "total_spending": float(last["cumulative_spending"]),
        "cost_per_person_lifted": float(last["cost_per_person_lifted"]),
        "mean_real_income_growth": float(df["income_growth"].dropna().mean())
        if df["income_growth"].notna().any() else float("nan"),
    }
    for date in SUMMARY_DATES:
        s[f"incidence_{date}"] = _at(df, date, "income_poverty_incidence")
        s[f"registered_incidence_{date}"] = _at(df, date, "registered_poor_incidence")
        s[f"income_pc_{date}"] = _at(df, date, "income_pc")
    return s


def budgets_run_out(model: PovertyModel) -> dict[str, str]:
    """Instruments whose money ran out before their last month, with the month; a warning
    for each entitlement among them (its unpaid claimants shape the results)."""
    out = {}
    for key, inst in model.instruments.items():
        if inst.ran_out is None:
            continue
        out[key] = month_label(model.config.start, inst.ran_out)
        if inst.entitlement:
            warnings.warn(BudgetWarning(
                f"{model.config.name}: instruments.{key}.budget ({inst.cfg.budget:.3g} yuan) "
                f"ran out in {out[key]}, before its end {inst.cfg.end}; households who "
                f"qualified after that were not paid. Raise the budget if that was not meant."),
                stacklevel=3)
    return out


def run(scenario: Scenario, seed: int | None = None, progress: Callable[[int], None] | None
        = None, keep_model: bool = False) -> RunResult:
    """Run one scenario with one seed to the end and return its tables."""
    started = time.perf_counter()
    model = PovertyModel(scenario, seed=seed, agent_views=False)
    setup_seconds = time.perf_counter() - started
    while not model.finished:
        model.step()
        if progress is not None:
            progress(model.month)
    monthly = model.series()
    seed_used = model.seed_value
    run_out = budgets_run_out(model)
    meta = {
        "model_version": simulation.__version__, "git_commit": git_commit(),
        "scenario_name": scenario.name, "scenario_hash": scenario.content_hash(),
        "seed": seed_used, "code_fingerprint": fingerprint.code_fingerprint(),
        "run_key": run_key(scenario.content_hash(), seed_used),
        "households": scenario.households, "months": scenario.months,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup_seconds": round(setup_seconds, 3),
        "run_seconds": round(time.perf_counter() - started, 3),
        "python": platform.python_version(), "scenario_yaml": scenario.to_yaml(),
        "budgets_run_out": run_out,
        "timings": {k: round(v, 4) for k, v in sorted(model.timings.items(),
                                                       key=lambda kv: -kv[1])},
    }
    return RunResult(monthly, model.recorder.villages(), summarise(monthly), meta,
                     model if keep_model else None)
