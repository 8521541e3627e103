"""Simulation-based calibration (SBC) of the posterior: is it honest?

Draw K truths from the prior; at each, make a synthetic target file with the model itself
(the same targets, each observed value the model's replicate-mean value at the truth plus a
draw of that target's own noise), fit the posterior to it, and see where the truth falls in
its draws. If the sampler and the likelihood are right, the truth is inside the central 50%
(90%) interval in about 50% (90%) of the truths, and its rank among the draws is uniform.
Fewer means over-confident intervals; more means too wide (Talts et al. 2018).

The synthetic data follow the inference's own generative model exactly: the truth is run
with the spec's replicate seeds under `seeds: common` (and with seeds of its own under
`fresh`), a normal target's σ is frozen at its stated value (a relative error would
otherwise move with the drawn value) and one-sided bounds become two-sided (a bound is not a
noise model one can draw from).

Each truth's fit is one task of `run_tasks` (a process pool or Dask runs whole fits in
parallel, each fit serially inside), with its own checkpoint under `<out>/truth-KK/`: an
interrupted SBC resumes.

    python -m simulation.calibration.sbc write-tiny DIR   # the tiny synthetic case
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.calibration.fit import Problem
from simulation.calibration.posterior import (
    Prior,
    fit_posterior,
    frame_markdown,
    observe,
)
from simulation.calibration.spec import CalibrationSpec, parse_spec
from simulation.calibration.targets import load_targets
from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import run

LEVELS = (0.5, 0.9)


def truth_seeds(spec: CalibrationSpec, k: int) -> list[int]:
    """Replicate seeds of truth k's synthetic data (the fit's seeds under `common`)."""
    if spec.posterior.seeds == "common":
        return list(spec.seeds)
    state = np.random.SeedSequence([spec.posterior.seed, 104729, k]).generate_state(
        spec.replicates)
    return [int(s) for s in state]


def synthetic_targets(spec: CalibrationSpec, truth: np.ndarray, k: int, path: Path,
                      rng: np.random.Generator, noise: bool = True) -> Path:
    """Write the target file of truth k: the spec's targets observed from the model (with
    each target's noise drawn, or, with `noise=False`, exactly the model's values)."""
    problem = Problem.build(spec)
    scen = problem.scenario(truth)
    per = [problem.values(run(scen, s).monthly) for s in truth_seeds(spec, k)]
    data = problem.target_file.model_dump(mode="json", exclude_none=True)
    used = {t.name: t for t in problem.fitted + problem.held_out}
    for row in data["targets"]:
        t = used.get(row["name"])
        if t is None:
            continue
        model = float(np.mean([v[t.name] for v in per]))
        value = float(observe(t, model, rng)) if noise else model
        if t.likelihood == "normal":
            row["uncertainty"] = {"sd": t.sigma, "assumed": True,
                                  "note": "frozen at the original target's sigma (SBC)"}
            row["bound"] = "none"
        if t.unit == "share":
            value = min(max(value, 0.0), 1.0)
        row["value"] = value
        row["notes"] = f"SBC truth {k}: model value {model:.6g} plus the target's noise"
    data["region"] = copy.deepcopy(data["region"]) | {"fictional": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    load_targets(path)  # fail here, not in a worker, if the file is not valid
    return path


def _truth_job(task: Task) -> tuple[Task, dict[str, Any]]:
    """One truth: make its data, fit its posterior serially (runs in a pool/Dask worker)."""
    job = task.tag
    spec = parse_spec(job["spec"], "sbc job")
    k, out = job["k"], Path(job["out"])
    truth = np.array(job["truth"])
    targets = out / "targets.yaml"
    if not targets.is_file():
        rng = np.random.default_rng([spec.posterior.seed, 15485863, k])
        synthetic_targets(spec, truth, k, targets, rng)
    data = spec.model_dump(mode="json") | {"targets": str(targets), "executor": "serial",
                                           "workers": 1, "name": f"{spec.name}-sbc{k:02d}"}
    data["posterior"] = data["posterior"] | {"seed": spec.posterior.seed + 1 + k}
    fit = fit_posterior(parse_spec(data, str(targets)), out)
    x = fit.draws[fit.problem.names].to_numpy()
    w = fit.draws["weight"].to_numpy()
    return task, {"k": k, "truth": truth.tolist(), "draws": x.tolist(), "weights": w.tolist(),
                  "converged": fit.converged, "evaluations": fit.smc.evaluations,
                  "generations": len(fit.smc.steps), "seconds": fit.seconds,
                  "simulated": fit.simulated}


def coverage_table(results: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    """Per parameter: share of truths inside the central 50% and 90% intervals, mean
    normalised rank (0.5 if uniform) and its spread."""
    rows = []
    for j, name in enumerate(names):
        inside = {lv: [] for lv in LEVELS}
        ranks = []
        for r in results:
            x = np.asarray(r["draws"])[:, j]
            w = np.asarray(r["weights"])
            w = w / w.sum()
            truth = r["truth"][j]
            rank = float(w[x < truth].sum() + 0.5 * w[x == truth].sum())
            ranks.append(rank)
            for lv in LEVELS:
                lo, hi = 0.5 - lv / 2, 0.5 + lv / 2
                inside[lv].append(lo <= rank <= hi)
        k = len(results)
        row: dict[str, Any] = {"parameter": name, "truths": k}
        for lv in LEVELS:
            c = float(np.mean(inside[lv]))
            row[f"coverage_{int(lv * 100)}"] = c
            # Binomial band of the share if the intervals were exact (±2 sd).
            row[f"expected_{int(lv * 100)}"] = (f"{lv:.2f} ± "
                                                f"{2 * np.sqrt(lv * (1 - lv) / k):.2f}")
        row["mean_rank"] = float(np.mean(ranks))
        row["rank_sd"] = float(np.std(ranks))  # 0.289 if uniform
        rows.append(row)
    return pd.DataFrame(rows)


def draw_truths(spec: CalibrationSpec, truths: int) -> np.ndarray:
    """The K truths (seeded by the spec's posterior seed): the same on every rerun."""
    return Prior(spec).sample(np.random.default_rng([spec.posterior.seed, 32452843]), truths)


def collect(spec: CalibrationSpec, truths: int, out: str | Path) -> list[dict[str, Any]]:
    """Results of the truths whose fit has finished (its posterior.parquet is written), e.g.
    to read an SBC that is still running or was cut short."""
    out = Path(out)
    xs = draw_truths(spec, truths)
    names = [p.name for p in spec.parameters]
    results = []
    for k in range(truths):
        path = out / f"truth-{k:02d}" / "posterior.parquet"
        if not path.is_file():
            continue
        draws = pd.read_parquet(path)
        summary = json.loads((path.parent / "posterior.json").read_text(encoding="utf-8"))
        results.append({"k": k, "truth": xs[k].tolist(), "draws": draws[names].to_numpy(),
                        "weights": draws["weight"].to_numpy(),
                        "converged": summary["converged"],
                        "evaluations": summary["evaluations"],
                        "generations": summary["generations"],
                        "seconds": summary["seconds"]})
    return results


def write_tables(spec: CalibrationSpec, results: list[dict[str, Any]], out: Path,
                 wall: float | None, workers: int | None) -> pd.DataFrame:
    """sbc.csv, sbc.md, sbc_truths.csv and sbc.json from the finished truths."""
    names = [p.name for p in spec.parameters]
    table = coverage_table(results, names)
    table.to_csv(out / "sbc.csv", index=False)
    per_truth = pd.DataFrame([{"k": r["k"], **dict(zip(names, r["truth"], strict=True)),
                               "converged": r["converged"], "generations": r["generations"],
                               "evaluations": r["evaluations"], "seconds": r["seconds"]}
                              for r in results])
    per_truth.to_csv(out / "sbc_truths.csv", index=False)
    summary = {"name": spec.name, "truths": len(results),
               "particles": spec.posterior.particles,
               "households": spec.households, "replicates": spec.replicates,
               "seeds": spec.posterior.seeds,
               "wall_seconds": round(wall, 1) if wall is not None else None,
               "workers": workers, "evaluations": int(per_truth["evaluations"].sum()),
               "fit_seconds_total": float(per_truth["seconds"].sum()),
               "all_converged": bool(per_truth["converged"].all()),
               "coverage": table.to_dict(orient="records")}
    (out / "sbc.json").write_text(json.dumps(summary, indent=2, default=float),
                                  encoding="utf-8")
    (out / "sbc.md").write_text(frame_markdown(table) + "\n", encoding="utf-8")
    return table


def run_sbc(spec: CalibrationSpec, truths: int, out: str | Path, workers: int | None = None,
            executor: str = "process", restart: bool = False,
            progress: Callable[[dict[str, Any]], None] | None = None) -> pd.DataFrame:
    """Fit `truths` synthetic truths (from the prior, seeded) and write `sbc.csv|md|json`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    Problem.build(spec)  # bad specs fail here, before any worker starts
    xs = draw_truths(spec, truths)
    if restart:
        for p in out.glob("truth-*/targets.yaml"):
            p.unlink()
        for p in out.glob("truth-*/checkpoint.jsonl"):
            p.unlink()
    dump = spec.model_dump(mode="json")
    tasks = [Task({}, k, tag={"spec": dump, "k": k, "truth": xs[k].tolist(),
                              "out": str(out / f"truth-{k:02d}")}) for k in range(truths)]
    started = time.perf_counter()
    results = []
    for _, res in run_tasks(tasks, executor=executor, workers=workers, fn=_truth_job):
        results.append(res)
        if progress:
            progress(res)
    wall = time.perf_counter() - started
    results.sort(key=lambda r: r["k"])
    return write_tables(spec, results, out, wall, workers)


# ---------------------------------------------------------------------- the tiny case
TINY_REGION = {"id": "sbc_tiny", "name": "SBC tiny county", "level": "county",
               "fictional": True,
               "population": {"value": 160000, "unit": "people", "assumed": True,
                              "source": "made up for SBC"},
               "households": {"value": 40000, "unit": "households", "assumed": True,
                              "source": "made up for SBC"},
               "source": "simulation.calibration.sbc (values are replaced per truth)"}


def _tiny_target(name: str, output: str, date: str, value: float, unit: str, basis: str,
                 likelihood: str, uncertainty: dict[str, Any]) -> dict[str, Any]:
    t = {"name": name, "model_output": output,
         "kind": "flow" if output in ("income_pc", "income_growth") else "stock", "date": date,
         "value": value, "unit": unit,
         "population": {"refers_to": "people", "group": "all_rural", "scale": "county",
                        "size": 160000},
         "basis": basis, "uncertainty": uncertainty | {"assumed": True},
         "likelihood": likelihood, "weight": 1.0, "source": "synthetic"}
    if t["kind"] == "flow":
        t["period_start"] = date[:4] + "-01"
    return t


TINY_TARGETS = [
    _tiny_target("survey_incidence_2014", "income_poverty_incidence", "2014-12", 0.15, "share",
                 "survey", "binomial", {"sample_size": 500}),
    _tiny_target("register_incidence_2014", "registered_poor_incidence", "2014-12", 0.15,
                 "share", "register", "normal", {"relative_error": 0.15}),
    _tiny_target("income_2014", "income_pc", "2014-12", 7000.0, "yuan_per_person_year",
                 "survey", "normal", {"relative_error": 0.04}),
]


def write_tiny_case(folder: str | Path, households: int = 300, particles: int = 64,
                    max_moves: int = 3,
                    extra_parameters: list[dict[str, Any]] | None = None) -> Path:
    """A 2-parameter, 1-year case on the demo county (a spec and its target file): income
    level and spread against 2014's survey incidence, register share and income; small
    enough for SBC with tens of truths on 2 cores. Returns the spec's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    targets = folder / "tiny_targets.yaml"
    targets.write_text(yaml.safe_dump({"schema_version": 1, "region": TINY_REGION,
                                       "targets": TINY_TARGETS}, sort_keys=False),
                       encoding="utf-8")
    spec = {"name": "sbc-tiny", "targets": targets.name, "scenario": "demo",
            "households": households, "replicates": 1, "seed_base": 1000,
            "parameters": [
                {"name": "income_median", "path": "population.income_median", "low": 3500,
                 "high": 7500},
                {"name": "income_sigma", "path": "population.income_sigma", "low": 0.4,
                 "high": 1.0}, *(extra_parameters or [])],
            "executor": "serial",
            "posterior": {"particles": particles, "seed": 1, "min_moves": 1,
                          "max_moves": max_moves}}
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "write-tiny":
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    print(write_tiny_case(argv[1]))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
