"""A joint fit across regions: behavioural parameters shared by every region, regional ones
per region, fitted together (docs/calibration.md, "A joint fit").

Fitted one at a time, each region sets its own value of what is the same behaviour
everywhere (how far cadres misjudge income, say), and a parameter one region cannot pin is
left to chance. A joint spec names the member calibrations (their own YAML files, each
with its targets, scenario and parameters) and the parameters they share. The joint vector
is the shared parameters, then each member's own parameters (a member's parameter with the
path of a shared one is replaced by it; a shared path the member does not fit is set in its
scenario all the same). A point's loss is the sum of the members' losses, each computed as
the member's own fit computes it (same targets, weights, seeds and likelihoods), so a joint
fit with nothing shared has the same optimum as the separate fits.

    povsim calibrate calibration/joint.yaml --workers 2

writes joint.json (the best point, each member's loss and target values), history.csv,
targets.csv and one overlay per member (`<member>.yaml`, extending the member's scenario);
a checkpoint makes it resumable, like a single fit's.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, model_validator
from scipy import optimize

import simulation
from simulation.calibration import likelihood
from simulation.calibration.checkpoint import append_records, open_checkpoint
from simulation.calibration.fit import Problem, _nest
from simulation.calibration.spec import (
    CalibrationError,
    Optimizer,
    Parameter,
    load_spec,
)
from simulation.fingerprint import calibration_fingerprint
from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import git_commit
from simulation.scenario import get_dotted, with_overrides
from simulation.validation import Strict, describe_errors, read_yaml


class JointSpec(Strict):
    """A joint calibration YAML has exactly these fields."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    #: Member calibration specs (paths relative to the joint file).
    members: Annotated[list[str], Field(min_length=2)]
    #: Parameters every member shares: dotted scenario paths (not multipliers).
    shared: Annotated[list[Parameter], Field(min_length=1)]
    #: Override every member's households and replicates (default: each member's own).
    households: Annotated[int, Field(ge=10)] | None = None
    replicates: Annotated[int, Field(ge=1)] | None = None
    optimizer: Optimizer = Field(default_factory=Optimizer)
    executor: str = "process"
    workers: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _check(self) -> JointSpec:
        for p in self.shared:
            if p.path is None:
                raise ValueError(f"shared parameter {p.name!r}: give a path (a shared "
                                 "multiplier would scale each region's own values; fit it "
                                 "per region instead)")
        names = [p.name for p in self.shared]
        if len(set(names)) != len(names):
            raise ValueError(f"shared parameter names must be unique, got {names}")
        return self


def load_joint(path: str | Path, overrides: dict[str, Any] | None = None
               ) -> tuple[JointSpec, list[Problem]]:
    """The joint spec (its fields updated by `overrides`: households, replicates, workers,
    executor, optimizer) and its members' problems (with the joint overrides applied)."""
    path = Path(path)
    data = read_yaml(path, CalibrationError, "joint calibration spec")
    if isinstance(data, dict):
        for key, value in (overrides or {}).items():
            if key == "optimizer":
                data["optimizer"] = {**(data.get("optimizer") or {}), **value}
            else:
                data[key] = value
    try:
        spec = JointSpec.model_validate(data)
    except ValidationError as exc:
        raise CalibrationError(describe_errors(str(path), exc, "joint calibration spec",
                                               "unknown field (see docs/calibration.md)")
                               ) from None
    problems = []
    for member in spec.members:
        member_path = (path.parent / member) if not Path(member).is_absolute() else Path(member)
        if not member_path.is_file():
            raise CalibrationError(f"{path}: members: {member}: no such calibration spec "
                                   f"(looked for {member_path})")
        m = load_spec(member_path)
        update: dict[str, Any] = {}
        if spec.households is not None:
            update["households"] = spec.households
        if spec.replicates is not None:
            update["replicates"] = spec.replicates
        problem = Problem.build(m.model_copy(update=update))
        dump = problem.base.model_dump(mode="json")
        for p in spec.shared:
            try:
                get_dotted(dump, p.path)
            except KeyError:
                raise CalibrationError(
                    f"{path}: shared: {p.name}: member {member} ({m.scenario}) has no "
                    f"field {p.path!r} (see docs/parameters.md)") from None
        problems.append(problem)
    names = [p.spec.name for p in problems]
    if len(set(names)) != len(names):
        raise CalibrationError(f"{path}: members: two members have the same name ({names})")
    return spec, problems


@dataclass
class JointProblem:
    """The members' problems and how the joint vector maps onto each."""

    spec: JointSpec
    members: list[Problem]

    def __post_init__(self) -> None:
        shared_paths = {p.path: i for i, p in enumerate(self.spec.shared)}
        self.parameters: list[Parameter] = list(self.spec.shared)
        #: for each member, per own parameter: ("shared", i) or ("own", index in the vector)
        self.slots: list[list[tuple[str, int]]] = []
        for m in self.members:
            slots = []
            for p in m.parameters:
                if p.path in shared_paths:
                    slots.append(("shared", shared_paths[p.path]))
                else:
                    slots.append(("own", len(self.parameters)))
                    self.parameters.append(p.model_copy(update={"name":
                                                                f"{m.spec.name}.{p.name}"}))
            self.slots.append(slots)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [(p.low, p.high) for p in self.parameters]

    def start(self) -> np.ndarray:
        """Where the search starts: each member's own parameters at its scenario's values
        (a bundled region ships its separate fit), a shared one at the mean of the
        members' values for it; a parameter's `start:` wins; all inside the bounds."""
        dumps = [m.base.model_dump(mode="json") for m in self.members]
        own = {}
        for k, m in enumerate(self.members):
            for p, (kind, i) in zip(m.parameters, self.slots[k], strict=True):
                if kind == "own" and p.path is not None:
                    own[i] = float(get_dotted(dumps[k], p.path))
        x = []
        for i, p in enumerate(self.parameters):
            if p.start is not None:
                value = p.start
            elif i < len(self.spec.shared):
                value = float(np.mean([get_dotted(d, p.path) for d in dumps]))
            else:
                value = own.get(i, (p.low + p.high) / 2)
            x.append(min(max(value, p.low), p.high))
        return np.array(x, dtype=float)

    def member_x(self, k: int, x: np.ndarray) -> np.ndarray:
        """Member k's own parameter vector at joint point x."""
        return np.array([x[i] for _, i in self.slots[k]], dtype=float)

    def member_scenario(self, k: int, x: np.ndarray):
        m = self.members[k]
        shared = {p.path: float(x[i]) for i, p in enumerate(self.spec.shared)}
        return with_overrides(m.scenario(self.member_x(k, x)), shared)

    def member_overrides(self, k: int, x: np.ndarray) -> dict[str, float]:
        """What member k's overlay sets: its fitted values and the shared ones."""
        m = self.members[k]
        return (dict(m.spec.scenario_overrides) | m.overrides(self.member_x(k, x))
                | {p.path: float(x[i]) for i, p in enumerate(self.spec.shared)})

    def fingerprint(self) -> str:
        payload = {"spec": self.spec.model_dump(mode="json", exclude={"executor", "workers"}),
                   "members": [m.fingerprint() for m in self.members],
                   "code": calibration_fingerprint(), "version": simulation.__version__}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class JointEvaluation:
    x: list[float]
    loss: float
    losses: dict[str, float]  # member -> its loss (the member fit's)
    components: dict[str, dict[str, float]]  # member -> target -> weighted loss
    values: dict[str, dict[str, list[float]]]  # member -> target -> value per replicate
    index: int


class JointEvaluator:
    """Scores batches of joint points; each member's runs as its own fit would run them."""

    def __init__(self, problem: JointProblem, checkpoint: Path | None, restart: bool = False):
        self.problem, self.checkpoint = problem, checkpoint
        self.cache: dict[str, JointEvaluation] = {}
        self.simulated = self.runs = 0
        if checkpoint is not None:
            for rec in open_checkpoint(checkpoint, problem.fingerprint(), restart,
                                       "joint fit", {"name": problem.spec.name}):
                try:
                    ev = JointEvaluation(**rec)
                except TypeError:
                    break  # not a complete record: re-run from here
                self.cache[_key(ev.x)] = ev

    def batch(self, xs: list[np.ndarray]) -> list[float]:
        p = self.problem
        xs = [np.asarray(x, dtype=float) for x in xs]
        todo = list({_key(x): x for x in xs if _key(x) not in self.cache}.values())
        tasks = [Task.of(p.member_scenario(k, x), s, tag=(i, k, r))
                 for i, x in enumerate(todo) for k, m in enumerate(p.members)
                 for r, s in enumerate(m.spec.seeds)]
        values: dict[tuple[int, int, int], dict[str, float]] = {}
        for task, result in run_tasks(tasks, executor=p.spec.executor,
                                      workers=p.spec.workers):
            i, k, r = task.tag  # type: ignore[misc]
            values[(i, k, r)] = p.members[k].values(result.monthly)
        self.runs += len(tasks)
        new = []
        for i, x in enumerate(todo):
            losses, comps, vals = {}, {}, {}
            for k, m in enumerate(p.members):
                per = [values[(i, k, r)] for r in range(len(m.spec.seeds))]
                member_vals = {t: [v[t] for v in per] for t in per[0]}
                means = {t: float(np.mean(v)) for t, v in member_vals.items()}
                c = likelihood.weighted_components(m.fitted, means, m.weights)
                losses[m.spec.name] = likelihood.total(c)
                comps[m.spec.name], vals[m.spec.name] = c, member_vals
            ev = JointEvaluation([float(v) for v in x], float(sum(losses.values())), losses,
                                 comps, vals, len(self.cache))
            self.cache[_key(x)] = ev
            new.append(ev)
        if new and self.checkpoint is not None:
            append_records(self.checkpoint, (ev.__dict__ for ev in new))
        self.simulated += len(new)
        return [self.cache[_key(x)].loss for x in xs]

    def map(self, func: Callable, iterable) -> list[float]:
        return self.batch(list(iterable))


def _key(x) -> str:
    return ",".join(float(v).hex() for v in x)


@dataclass
class JointResult:
    problem: JointProblem
    best: JointEvaluation
    evaluations: list[JointEvaluation]
    message: str
    seconds: float
    simulated: int


def calibrate_joint(path: str | Path, out: str | Path, restart: bool = False,
                    overrides: dict[str, Any] | None = None,
                    progress: Callable[[str], None] | None = None) -> JointResult:
    """Run (or resume) a joint fit with differential evolution; write its outputs to out.
    `overrides`: joint spec fields to replace (see `load_joint`)."""
    spec, members = load_joint(path, overrides)
    problem = JointProblem(spec, members)
    out = Path(out)
    ev = JointEvaluator(problem, out / "checkpoint.jsonl", restart)
    if progress:
        progress(f"{spec.name}: joint fit of {[m.spec.name for m in members]}; shared "
                 f"{[p.name for p in spec.shared]}; {len(problem.names)} parameters; "
                 f"{len(ev.cache)} point(s) in the checkpoint")
    opt = spec.optimizer
    started = time.perf_counter()
    generation = [0]

    def report(intermediate_result: optimize.OptimizeResult) -> None:
        generation[0] += 1
        if progress:
            progress(f"  generation {generation[0]}: best loss {intermediate_result.fun:.4g}")

    res = optimize.differential_evolution(
        lambda x: ev.batch([x])[0], problem.bounds, maxiter=opt.maxiter, popsize=opt.popsize,
        tol=opt.tol, mutation=opt.mutation, recombination=opt.recombination,
        rng=np.random.default_rng(opt.seed), init=opt.init, polish=False,
        updating="deferred", workers=ev.map, x0=problem.start(), callback=report)
    unique = sorted(ev.cache.values(), key=lambda e: e.index)
    best = min(unique, key=lambda e: (e.loss, e.index))
    result = JointResult(problem, best, unique, str(res.message),
                         time.perf_counter() - started, ev.simulated)
    write_joint(result, out)
    return result


def target_rows(result: JointResult) -> pd.DataFrame:
    """Every member's fitted targets at the best point: value, model, z and loss."""
    rows = []
    for m in result.problem.members:
        name = m.spec.name
        for t in m.fitted:
            model = float(np.mean(result.best.values[name][t.name]))
            rows.append({"member": name, "target": t.name, "date": t.date, "unit": t.unit,
                         "value": t.value, "sigma": t.sigma, "model": model,
                         "z": (model - t.value) / t.sigma,
                         "loss": result.best.components[name][t.name]})
    return pd.DataFrame(rows)


def write_joint(result: JointResult, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    p = result.problem
    x = np.array(result.best.x)
    paths = {"joint": out / "joint.json", "history": out / "history.csv",
             "targets": out / "targets.csv"}
    for k, m in enumerate(p.members):
        body = {"extends": m.spec.scenario, "name": f"{m.base.name}-joint",
                "description": f"{m.base.name} with the values of the joint fit "
                               f"{p.spec.name}."} | _nest(p.member_overrides(k, x))
        paths[m.spec.name] = out / f"{m.spec.name}.yaml"
        paths[m.spec.name].write_text(
            f"# Overlay written by the joint fit {p.spec.name} (loss {result.best.loss:.4g} "
            "summed over its members).\n" + yaml.safe_dump(body, sort_keys=False),
            encoding="utf-8")
    pd.DataFrame([{"index": e.index, "loss": e.loss, **dict(zip(p.names, e.x, strict=True)),
                   **{f"loss:{k}": v for k, v in e.losses.items()}}
                  for e in result.evaluations]).to_csv(paths["history"], index=False)
    target_rows(result).to_csv(paths["targets"], index=False)
    summary = {"name": p.spec.name, "members": [m.spec.name for m in p.members],
               "shared": [q.name for q in p.spec.shared],
               "best_parameters": dict(zip(p.names, result.best.x, strict=True)),
               "best_loss": result.best.loss, "member_losses": result.best.losses,
               "evaluations": len(result.evaluations), "simulated_this_session":
               result.simulated, "seconds": round(result.seconds, 2),
               "optimizer_message": result.message,
               "households": {m.spec.name: m.base.households for m in p.members},
               "replicates": {m.spec.name: m.spec.replicates for m in p.members},
               "spec": p.spec.model_dump(mode="json"), "fingerprint": p.fingerprint(),
               "model_version": simulation.__version__, "git_commit": git_commit()}
    paths["joint"].write_text(json.dumps(summary, indent=2, default=float), encoding="utf-8")
    return paths
