"""Fit chosen scenario parameters to reported targets.

A calibration is a spec (YAML or built from the command line): a target file, a scenario,
the parameters to fit with their bounds, replicates and an optimizer. Each parameter point
is run with the *same* replicate seeds (common random numbers, so the loss surface is not
re-drawn at every point), the replicate mean of every target's model value is scored by
its likelihood (`simulation.calibration.likelihood`), and the weighted sum is minimised by a seeded
scipy optimizer (differential evolution by default). Every batch of evaluations goes
through `simulation.runs.executors.run_tasks` (serial, process pool or Dask) and is appended
to a checkpoint; a rerun replays the optimizer deterministically, reading evaluated points
from the checkpoint instead of simulating them, so an interrupted fit resumes where it
stopped and ends where an uninterrupted one would.

Outputs (in the output folder): `best.yaml` (a scenario overlay that `extends:` the
calibrated scenario), `history.csv` (every evaluation), `fit.json` (best parameters, loss by
component, near-best parameter ranges, held-out errors, run time) and `checkpoint.jsonl`.
`simulation.calibration.report` turns them into figures and an HTML page.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, stats

import simulation
from simulation.calibration import likelihood
from simulation.calibration.spec import (
    CalibrationError,
    CalibrationSpec,
    Parameter,
)
from simulation.calibration.targets import (
    Target,
    TargetFile,
    Window,
    load_targets,
    model_value,
    months_needed,
    split_usable,
)
from simulation.fingerprint import calibration_fingerprint
from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import git_commit
from simulation.scenario import (
    Scenario,
    ScenarioError,
    get_dotted,
    load_scenario,
    resolve,
    with_overrides,
)
from simulation.timeline import month_index


# ---------------------------------------------------------------------- the problem
def expand_paths(data: dict, pattern: str, prefix: str = "") -> list[str]:
    """Dotted paths in `data` matching `pattern` (`*` matches one level)."""
    head, _, rest = pattern.partition(".")
    if not isinstance(data, dict):
        return []
    out: list[str] = []
    for key in sorted(data):
        if fnmatch.fnmatchcase(str(key), head):
            path = f"{prefix}{key}"
            if rest:
                out += expand_paths(data[key], rest, path + ".")
            elif isinstance(data[key], int | float) and not isinstance(data[key], bool):
                out.append(path)
    return out


@dataclass
class Problem:
    """A calibration ready to evaluate: base scenario, targets, parameters, seeds."""

    spec: CalibrationSpec
    base: Scenario
    target_file: TargetFile
    fitted: list[Target]
    held_out: list[Target]
    skipped: dict[str, str]
    scale_bases: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def build(cls, spec: CalibrationSpec) -> Problem:
        tf = load_targets(spec.targets)
        unknown = sorted((set(spec.exclude) | set(spec.weights)) - set(tf.by_name()))
        if unknown:
            raise CalibrationError(f"calibration {spec.name!r}: exclude/weights name unknown "
                                   f"target(s) {unknown}; {spec.targets} has "
                                   f"{sorted(tf.by_name())}")
        base = load_scenario(spec.scenario, dict(spec.scenario_overrides), spec.households)
        window = Window(base.start, base.months)
        wanted = [t for t in tf.targets if t.name not in spec.exclude]
        usable, skipped = split_usable(wanted, window)
        weights = {t.name: spec.weights.get(t.name, t.weight) for t in usable}
        usable = [t for t in usable if weights[t.name] > 0]
        if spec.fit_until:
            fitted = [t for t in usable if month_index(t.date, spec.fit_until) <= 0]
            held = [t for t in usable if month_index(t.date, spec.fit_until) > 0]
        else:
            fitted, held = usable, []
        if not fitted:
            raise CalibrationError(
                f"calibration {spec.name!r}: no target of {spec.targets} can be fitted "
                f"(skipped: {skipped or 'none'}; fit_until: {spec.fit_until})")
        # Simulate only as far as the last target needs (results before it are unchanged).
        last = max(month_index(months_needed(t)[1], base.start) for t in fitted + held)
        base = with_overrides(base, {"months": last + 1})
        dump = base.model_dump(mode="json")
        scale_bases: dict[str, dict[str, float]] = {}
        for p in spec.parameters:
            if p.path is not None:
                try:
                    get_dotted(dump, p.path)
                except KeyError:
                    raise CalibrationError(
                        f"calibration {spec.name!r}: parameter {p.name!r}: scenario has no "
                        f"field {p.path!r} (see docs/parameters.md)") from None
            else:
                paths = [q for pat in p.scale for q in expand_paths(dump, pat)]
                if not paths:
                    raise CalibrationError(f"calibration {spec.name!r}: parameter {p.name!r}: "
                                           f"scale patterns {p.scale} match no numeric field")
                scale_bases[p.name] = {q: float(get_dotted(dump, q)) for q in paths}
        problem = cls(spec, base, tf, fitted, held, skipped, scale_bases)
        for end in ("low", "high"):  # both corners of the box must give valid scenarios
            problem.scenario(np.array([getattr(p, end) for p in spec.parameters]))
        return problem

    @property
    def parameters(self) -> list[Parameter]:
        return self.spec.parameters

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [(p.low, p.high) for p in self.parameters]

    @property
    def weights(self) -> dict[str, float]:
        return {t.name: self.spec.weights.get(t.name, t.weight)
                for t in self.fitted + self.held_out}

    def overrides(self, x: np.ndarray) -> dict[str, float]:
        """Dotted overrides for parameter vector `x`."""
        out: dict[str, float] = {}
        for p, v in zip(self.parameters, x, strict=True):
            if p.path is not None:
                out[p.path] = float(v)
            else:
                for q, base in self.scale_bases[p.name].items():
                    out[q] = base * float(v)
        return out

    def scenario(self, x: np.ndarray) -> Scenario:
        try:
            return with_overrides(self.base, self.overrides(x))
        except ScenarioError as exc:
            raise CalibrationError(f"calibration {self.spec.name!r}: parameter values "
                                   f"{dict(zip(self.names, x, strict=True))} give an invalid "
                                   f"scenario (check the bounds):\n{exc}") from None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def values(self, monthly: pd.DataFrame) -> dict[str, float]:
        """Model value of every fitted and held-out target from one run."""
        infl = self.base.economy.inflation
        hh = float(self.base.region.households_represented)
        region_people = self.target_file.region.population.value
        return {t.name: model_value(t, monthly, hh, infl, region_people)
                for t in self.fitted + self.held_out}

    def fingerprint(self) -> str:
        """Hash of everything that determines the losses (checkpoints are keyed by it)."""
        payload = {"spec": self.spec.fingerprint(), "scenario": self.base.content_hash(),
                   "targets": self.target_file.model_dump(mode="json"),
                   "model_version": simulation.__version__,
                   "code": calibration_fingerprint()}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------- evaluation
def _key(x: Iterable[float]) -> str:
    return ",".join(float(v).hex() for v in x)


@dataclass
class Evaluation:
    x: list[float]
    loss: float
    components: dict[str, float]  # fitted targets only (weighted)
    held_out: dict[str, float]  # held-out targets (weighted), not in the loss
    values: dict[str, list[float]]  # target -> model value per replicate
    batch: int
    index: int
    seconds: float

    def mean_values(self) -> dict[str, float]:
        return {k: float(np.mean(v)) for k, v in self.values.items()}


class EvaluationBudget(Exception):
    """`optimizer.max_evaluations` distinct points are evaluated: the fit stops there."""


class Evaluator:
    """Scores parameter points in batches, with a checkpoint file as a cache.

    `optimizer.max_evaluations` is a hard cap on distinct points (checkpoint included): a
    batch that would pass it is cut at the cap and `EvaluationBudget` is raised.
    """

    def __init__(self, problem: Problem, checkpoint: Path | None, restart: bool = False,
                 on_batch: Callable[[int, list[Evaluation]], None] | None = None):
        self.problem = problem
        self.checkpoint = checkpoint
        self.on_batch = on_batch
        self.cache: dict[str, Evaluation] = {}
        self.history: list[Evaluation] = []
        self.batches = 0
        self.simulated = 0  # points simulated in this session (not read from the cache)
        self.reused = 0
        self.runs = 0
        if checkpoint is not None:
            self._open(checkpoint, restart)

    def _open(self, path: Path, restart: bool) -> None:
        fp = self.problem.fingerprint()
        if path.exists() and not restart:
            lines = path.read_text(encoding="utf-8").splitlines()
            header = json.loads(lines[0]) if lines else {}
            if header.get("fingerprint") != fp:
                raise CalibrationError(
                    f"{path}: checkpoint belongs to another calibration (spec, scenario, "
                    f"targets, model version or model code differ: "
                    f"{header.get('fingerprint')} != {fp}); "
                    "use --restart to discard it or choose another --out")
            for line in lines[1:]:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    break  # a batch cut off mid-write: it is simply re-run
                ev = Evaluation(**rec)
                self.cache[_key(ev.x)] = ev
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"fingerprint": fp, "name": self.problem.spec.name,
                                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime())}) + "\n")

    def _simulate(self, xs: list[np.ndarray]) -> list[tuple[dict[str, list[float]], float]]:
        p = self.problem
        seeds = p.spec.seeds
        tasks = [Task.of(p.scenario(x), s, tag=(i, r)) for i, x in enumerate(xs)
                 for r, s in enumerate(seeds)]
        values: dict[tuple[int, int], dict[str, float]] = {}
        started = time.perf_counter()
        for task, result in run_tasks(tasks, executor=p.spec.executor, workers=p.spec.workers):
            values[task.tag] = p.values(result.monthly)
        self.runs += len(tasks)
        seconds = (time.perf_counter() - started) / max(len(xs), 1)
        out = []
        for i in range(len(xs)):
            per = [values[(i, r)] for r in range(len(seeds))]
            out.append(({k: [v[k] for v in per] for k in per[0]}, seconds))
        return out

    def batch(self, xs: list[np.ndarray]) -> list[float]:
        """Losses of a batch of points (simulating only those not in the checkpoint)."""
        p = self.problem
        xs = [np.asarray(x, dtype=float) for x in xs]
        todo, queued = [], set()
        for i, x in enumerate(xs):  # a population may hold the same point twice
            k = _key(x)
            if k not in self.cache and k not in queued:
                todo.append(i)
                queued.add(k)
        cap = p.spec.optimizer.max_evaluations
        capped = cap is not None and len(self.cache) + len(todo) > cap
        if capped:
            todo = todo[:max(0, cap - len(self.cache))]
        fresh = self._simulate([xs[i] for i in todo]) if todo else []
        new: list[Evaluation] = []
        for i, (vals, secs) in zip(todo, fresh, strict=True):
            means = {k: float(np.mean(v)) for k, v in vals.items()}
            comps = likelihood.weighted_components(p.fitted, means, p.weights)
            held = likelihood.weighted_components(p.held_out, means, p.weights)
            ev = Evaluation(x=[float(v) for v in xs[i]], loss=likelihood.total(comps),
                            components=comps, held_out=held, values=vals,
                            batch=self.batches, index=len(self.cache), seconds=secs)
            self.cache[_key(xs[i])] = ev
            new.append(ev)
        if new and self.checkpoint is not None:
            with self.checkpoint.open("a", encoding="utf-8") as fh:
                for ev in new:
                    fh.write(json.dumps(ev.__dict__) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        self.simulated += len(new)
        if capped:
            self.history.extend(self.cache[_key(x)] for x in xs if _key(x) in self.cache)
            raise EvaluationBudget(cap)
        self.reused += len(xs) - len(todo)
        evs = [self.cache[_key(x)] for x in xs]
        self.history.extend(evs)
        self.batches += 1
        if self.on_batch is not None:
            self.on_batch(self.batches, new)
        return [ev.loss for ev in evs]

    def map(self, func: Callable, iterable: Iterable) -> list[float]:
        """A `workers=` map for scipy: the whole population is one batch."""
        return self.batch(list(iterable))

    def __call__(self, x: np.ndarray) -> float:
        return self.batch([x])[0]


# ---------------------------------------------------------------------- the fit
@dataclass
class FitResult:
    problem: Problem
    best: Evaluation
    evaluations: list[Evaluation]  # unique points, in evaluation order
    optimizer_message: str
    seconds: float
    simulated: int
    reused: int
    runs: int
    uncertainty: dict[str, dict[str, float]]
    out: Path | None = None

    @property
    def best_params(self) -> dict[str, float]:
        return dict(zip(self.problem.names, self.best.x, strict=True))


def near_best(evaluations: list[Evaluation], names: list[str], level: float
              ) -> tuple[float, dict[str, dict[str, float]]]:
    """Parameter ranges over evaluated points within a likelihood-ratio threshold of the
    best loss: Δ = χ²_k(level)/2 with k parameters (a profile-like spread, not a posterior;
    with target weights ≠ 1 it is indicative only)."""
    losses = np.array([e.loss for e in evaluations])
    xs = np.array([e.x for e in evaluations])
    delta = float(stats.chi2.ppf(level, df=len(names)) / 2.0)
    ok = losses <= losses.min() + delta
    best = xs[int(np.argmin(losses))]
    out = {}
    for j, n in enumerate(names):
        out[n] = {"best": float(best[j]), "low": float(xs[ok, j].min()),
                  "high": float(xs[ok, j].max()), "points": int(ok.sum()),
                  "delta_loss": delta}
    return delta, out


def calibrate(spec: CalibrationSpec, out: str | Path | None = None, restart: bool = False,
              on_batch: Callable[[int, list[Evaluation]], None] | None = None,
              progress: Callable[[str], None] | None = None) -> FitResult:
    """Run (or resume) the fit; write best.yaml, history.csv and fit.json to `out`."""
    problem = Problem.build(spec)
    out_path = Path(out) if out is not None else None
    ckpt = out_path / "checkpoint.jsonl" if out_path is not None else None
    ev = Evaluator(problem, ckpt, restart=restart, on_batch=on_batch)
    opt = spec.optimizer
    started = time.perf_counter()
    x0 = np.array([p.start if p.start is not None else (p.low + p.high) / 2
                   for p in problem.parameters])
    has_start = any(p.start is not None for p in problem.parameters)
    if progress:
        progress(f"{spec.name}: fitting {problem.names} to {len(problem.fitted)} targets "
                 f"({len(problem.held_out)} held out, {len(problem.skipped)} skipped), "
                 f"{spec.replicates} replicate(s) per point; {len(ev.cache)} point(s) in the "
                 "checkpoint")
        for name, why in problem.skipped.items():
            progress(f"  skipped {name}: {why}")
    if opt.method == "differential_evolution":
        maxiter = opt.maxiter
        if opt.max_evaluations:
            per_gen = max(5, opt.popsize * len(problem.names))  # scipy's minimum is 5
            maxiter = min(maxiter, max(1, opt.max_evaluations // per_gen - 1))

        def report(intermediate_result: optimize.OptimizeResult) -> None:
            if progress:
                progress(f"  generation {ev.batches - 1}: best loss "
                         f"{intermediate_result.fun:.4g} at {intermediate_result.x.round(5)}")

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*workers.*", category=UserWarning)
            try:
                res = optimize.differential_evolution(
                    lambda x: ev(x), problem.bounds, maxiter=maxiter, popsize=opt.popsize,
                    tol=opt.tol, mutation=opt.mutation, recombination=opt.recombination,
                    rng=np.random.default_rng(opt.seed), init=opt.init, polish=False,
                    updating="deferred", workers=ev.map, x0=x0 if has_start else None,
                    callback=report)
                message = str(res.message)
            except EvaluationBudget:
                message = f"stopped at max_evaluations = {opt.max_evaluations} points"
    else:
        method = "Nelder-Mead" if opt.method == "nelder-mead" else "Powell"
        options: dict[str, Any] = {"maxiter": opt.maxiter * 10,
                                   "maxfev": opt.max_evaluations or opt.maxiter * 10}
        if method == "Nelder-Mead":
            options |= {"xatol": 1e-4, "fatol": max(opt.tol, 1e-6)}
        else:
            options |= {"xtol": 1e-4, "ftol": max(opt.tol, 1e-6)}
        try:
            res = optimize.minimize(ev, x0, method=method, bounds=problem.bounds,
                                    options=options)
            message = str(res.message)
        except EvaluationBudget:
            message = f"stopped at max_evaluations = {opt.max_evaluations} points"
    seconds = time.perf_counter() - started
    unique = sorted(ev.cache.values(), key=lambda e: e.index)
    seen = {_key(e.x) for e in ev.history}
    unique = [e for e in unique if _key(e.x) in seen]
    best = min(unique, key=lambda e: (e.loss, e.index))
    _, unc = near_best(unique, problem.names, spec.uncertainty_level)
    result = FitResult(problem, best, unique, message, seconds, ev.simulated, ev.reused,
                       ev.runs, unc, out_path)
    if out_path is not None:
        write_outputs(result, out_path)
    return result


# ---------------------------------------------------------------------- outputs
def _nest(flat: dict[str, Any]) -> dict:
    out: dict = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _extends_ref(scenario: str, out: Path) -> str:
    """How best.yaml refers to the calibrated scenario: a bundled name stays a name, a file
    becomes a path relative to the overlay (absolute if on another drive)."""
    p = Path(scenario)
    if p.suffix not in (".yaml", ".yml") and not p.exists():
        return scenario
    target = resolve(scenario).resolve()
    try:
        return os.path.relpath(target, out.resolve())
    except ValueError:
        return str(target)


def overlay(result: FitResult, out: Path) -> str:
    """best.yaml text: extends the calibrated scenario and sets the fitted values."""
    p = result.problem
    flat = dict(p.spec.scenario_overrides) | p.overrides(np.array(result.best.x))
    body = {"extends": _extends_ref(p.spec.scenario, out),
            "name": f"{p.base.name}-calibrated",
            "description": f"{p.base.name} with parameters fitted by `povsim calibrate` "
                           f"({p.spec.name}) to {Path(p.spec.targets).name}."} | _nest(flat)
    lines = [f"# Calibrated overlay written by povsim calibrate ({p.spec.name}).",
             f"# Loss {result.best.loss:.4g} over {len(p.fitted)} fitted target(s); "
             f"{len(result.evaluations)} points evaluated, {p.spec.replicates} replicate(s) "
             "each (common random numbers).",
             f"# Fitted with {p.base.households} simulated households; near-best ranges are "
             "in fit.json.", ""]
    return "\n".join(lines) + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def history_frame(result: FitResult) -> pd.DataFrame:
    rows = []
    names = result.problem.names
    for e in result.evaluations:
        row: dict[str, Any] = {"index": e.index, "batch": e.batch, "loss": e.loss}
        row |= dict(zip(names, e.x, strict=True))
        row |= {f"loss:{k}": v for k, v in e.components.items()}
        row |= {f"heldout:{k}": v for k, v in e.held_out.items()}
        rows.append(row)
    return pd.DataFrame(rows)


def target_table(result: FitResult) -> pd.DataFrame:
    """Every used target: value, band, model mean and spread, loss, fitted or held out."""
    p = result.problem
    rows = []
    for t, role in [(t, "fitted") for t in p.fitted] + [(t, "held out") for t in p.held_out]:
        vals = np.array(result.best.values[t.name])
        mean = float(vals.mean())
        comp = (result.best.components if role == "fitted" else result.best.held_out)[t.name]
        rows.append({"target": t.name, "role": role, "model_output": t.model_output,
                     "date": t.date, "period_start": t.period_start, "unit": t.unit,
                     "value": t.value, "sigma": t.sigma, "likelihood": t.likelihood,
                     "weight": p.weights[t.name], "model": mean,
                     "model_min": float(vals.min()), "model_max": float(vals.max()),
                     "error": mean - t.value,
                     "relative_error": (mean - t.value) / t.value if t.value else math.nan,
                     "z": (mean - t.value) / t.sigma, "loss": comp})
    return pd.DataFrame(rows)


def write_outputs(result: FitResult, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    p = result.problem
    paths = {"overlay": out / "best.yaml", "history": out / "history.csv",
             "fit": out / "fit.json", "targets": out / "targets.csv"}
    paths["overlay"].write_text(overlay(result, out), encoding="utf-8")
    history_frame(result).to_csv(paths["history"], index=False)
    table = target_table(result)
    table.to_csv(paths["targets"], index=False)
    held = table[table["role"] == "held out"]
    fit = {
        "name": p.spec.name, "targets_file": p.spec.targets, "scenario": p.spec.scenario,
        "households": p.base.households, "months_simulated": p.base.months,
        "best_parameters": result.best_params, "best_loss": result.best.loss,
        "components": result.best.components, "held_out_components": result.best.held_out,
        "held_out_summary": {
            "fit_until": p.spec.fit_until, "targets": len(held),
            "mean_abs_relative_error": float(held["relative_error"].abs().mean())
            if len(held) else None,
            "median_abs_relative_error": float(held["relative_error"].abs().median())
            if len(held) else None,
            "mean_abs_z": float(held["z"].abs().mean()) if len(held) else None,
            "median_abs_z": float(held["z"].abs().median()) if len(held) else None,
            "mean_abs_error": float(held["error"].abs().mean()) if len(held) else None,
            "loss": float(held["loss"].sum()) if len(held) else None},
        "uncertainty": {"method": "evaluated points within chi2(level, k)/2 of the best loss",
                        "level": p.spec.uncertainty_level, "parameters": result.uncertainty},
        "skipped_targets": p.skipped, "fitted_targets": [t.name for t in p.fitted],
        "held_out_targets": [t.name for t in p.held_out],
        "evaluations": len(result.evaluations), "simulated_this_session": result.simulated,
        "reused_from_checkpoint": result.reused, "runs_this_session": result.runs,
        "seconds": round(result.seconds, 2), "optimizer_message": result.optimizer_message,
        "spec": p.spec.model_dump(mode="json"), "fingerprint": p.fingerprint(),
        "model_version": simulation.__version__, "git_commit": git_commit(),
    }
    paths["fit"].write_text(json.dumps(fit, indent=2, default=float), encoding="utf-8")
    return paths
