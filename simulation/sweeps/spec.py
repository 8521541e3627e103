"""Sweep designs: which (scenario, parameter point, seed) runs a sweep consists of.

A sweep is declared in YAML (or built from command-line flags) and validated with pydantic,
so a bad spec fails before any run with the file, the field and what was expected. Designs
come from libraries, not hand-written samplers: full grids (itertools), Latin hypercubes
and scrambled Sobol points (scipy.stats.qmc), Saltelli-extended Sobol samples and Morris
trajectories (SALib), each analysable by the matching method in `simulation.sweeps.sensitivity`.

Example (a file such as ``microcredit-sweep.yaml``)::

    name: microcredit
    scenario: demo                 # bundled name or path; or a list of them
    households: 2000
    set: {months: 84}              # fixed overrides for every run
    vary:
      instruments.microcredit.budget: 0:5e8          # a range
      instruments.microcredit.loan_size: {low: 1e4, high: 5e4, log: true}
    design: sobol                  # grid | lhs | qmc | sobol | morris | replicates
    samples: 64                    # lhs/qmc: points; sobol: base N; morris: trajectories
    replicates: 10                 # seeds per point: seed, seed+1, ...
    seed: 1

A grid may also list levels, including text ones:
``instruments.microcredit.delivery: [routine, campaign]``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

import simulation
from simulation.runs.executors import Task
from simulation.scenario import (
    Scenario,
    ScenarioError,
    get_dotted,
    load_scenario,
    parse_override,
    with_overrides,
)
from simulation.validation import Strict, read_yaml, validate_mapping

Design = Literal["grid", "lhs", "qmc", "sobol", "morris", "replicates"]
#: Designs that sample continuous ranges (every varied parameter must be a range).
SAMPLED = ("lhs", "qmc", "sobol", "morris")


class SweepError(ScenarioError):
    """A sweep spec is malformed; the message names the file, field and expectation."""



class Range(Strict):
    """A continuous range [low, high], sampled uniformly (or log-uniformly)."""

    low: float
    high: float
    log: bool = Field(False, description="sample uniformly in log10 space (low must be > 0)")
    levels: int | None = Field(None, ge=2, description="grid levels for this range")

    @model_validator(mode="after")
    def _order(self) -> Range:
        if not self.high > self.low:
            raise ValueError(f"expected high > low, got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"log range needs low > 0, got {self.low}")
        return self


class Levels(Strict):
    """Explicit values (grid designs only); may be numbers, strings or booleans."""

    values: list[Any] = Field(min_length=1)


def parse_vary_value(raw: Any) -> Any:
    """Shorthands: "0:5e8" or "1e4:5e4:log" -> a range; a list or "a,b,c" -> levels."""
    if isinstance(raw, str):
        text = raw.strip()
        if ":" in text:
            parts = text.split(":")
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
                raise ValueError(f"expected LOW:HIGH or LOW:HIGH:log, got {raw!r}")
            try:
                low, high = float(parts[0]), float(parts[1])
            except ValueError:
                raise ValueError(f"range bounds must be numbers, got {raw!r}") from None
            return {"low": low, "high": high, "log": len(parts) == 3}
        return {"values": [yaml.safe_load(v) for v in text.split(",")]}
    if isinstance(raw, list):
        return {"values": raw}
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return {"values": [raw]}
    return raw


def _vary_kind(v: Any) -> str:
    return "levels" if isinstance(v, dict | Levels) and (
        isinstance(v, Levels) or "values" in v) else "range"


VaryEntry = Annotated[Annotated[Range, Tag("range")] | Annotated[Levels, Tag("levels")],
                      Discriminator(_vary_kind)]


class SweepSpec(Strict):
    """A sweep: base scenario(s), fixed overrides, varied parameters, design and seeds."""

    name: str = Field("sweep", pattern=r"^[A-Za-z0-9_.@+-]+$")
    description: str = ""
    scenario: str | list[str] = Field("default", description="bundled name or path, or list")
    households: int | None = Field(None, ge=10)
    set: dict[str, Any] = Field(default_factory=dict, description="dotted overrides")
    vary: dict[str, VaryEntry] = Field(default_factory=dict)
    design: Design | None = Field(None, description="default: replicates without 'vary', "
                                  "grid when every entry lists values, else lhs")
    samples: int = Field(16, ge=1, description="lhs/qmc points; sobol base N; morris "
                         "trajectories")
    levels: int | None = Field(None, ge=2, description="grid levels per range (default 5); "
                               "Morris levels (default 4)")
    replicates: int = Field(1, ge=1, le=100_000)
    seed: int = Field(1, ge=0, description="first seed; replicate r uses seed + r")
    second_order: bool = Field(False, description="sobol: also sample second-order indices")
    outcomes: list[str] | None = Field(None, description="outcomes the report analyses")

    @field_validator("vary", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out = {}
        for k, raw in v.items():
            try:
                out[k] = parse_vary_value(raw)
            except ValueError as exc:
                raise ValueError(f"'{k}': {exc}") from None
        return out

    @model_validator(mode="after")
    def _design_fits(self) -> SweepSpec:
        if self.design is None:
            self.design = ("replicates" if not self.vary else "grid" if any(
                isinstance(r, Levels) for r in self.vary.values()) else "lhs")
        levels = [k for k, r in self.vary.items() if isinstance(r, Levels)]
        if self.design in SAMPLED and levels:
            raise ValueError(f"design '{self.design}' samples ranges, but {levels} list "
                             "values; give LOW:HIGH ranges or use design 'grid'")
        if self.design in SAMPLED and not self.vary:
            raise ValueError(f"design '{self.design}' needs at least one range in 'vary'")
        if self.design == "replicates" and self.vary:
            raise ValueError("design 'replicates' runs the base scenario only; remove 'vary' "
                             "or choose another design")
        if self.design == "morris" and self.morris_levels % 2:
            raise ValueError(f"morris needs an even number of levels, got {self.morris_levels}")
        overlap = sorted(set(self.vary) & set(self.set))
        if overlap:
            raise ValueError(f"{overlap} are both fixed in 'set' and varied in 'vary'")
        return self

    @property
    def scenarios(self) -> list[str]:
        return [self.scenario] if isinstance(self.scenario, str) else list(self.scenario)

    @property
    def grid_levels(self) -> int:
        return self.levels or 5

    @property
    def morris_levels(self) -> int:
        return self.levels or 4


def _location(err: dict) -> str:
    """The field path users see: the union tag of a varied parameter is noise to them."""
    parts = [str(p) for p in err["loc"]]
    if parts[:1] == ["vary"] and len(parts) >= 3 and parts[2] in ("range", "levels"):
        parts.pop(2)
    return ".".join(parts)


def _unknown(err: dict) -> str:
    parts = _location(err).split(".")
    allowed = (SweepSpec.model_fields if len(parts) == 1 else Range.model_fields
               if "values" not in parts else Levels.model_fields)
    return "unknown field (expected one of: " + ", ".join(allowed) + ")"


def parse_spec(data: dict, source: str = "<sweep>") -> SweepSpec:
    """Validate a mapping into a SweepSpec, with errors naming source and field."""
    return validate_mapping(SweepSpec, data, source, SweepError, "sweep spec",
                            "a mapping of sweep fields", _unknown, _location)


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> SweepSpec:
    """Read a sweep YAML file; relative scenario paths are resolved against the file.

    overrides: top-level spec fields to replace (the command line wins over the file).
    """
    path = Path(path)
    data = read_yaml(path, SweepError, "sweep file") or {}
    if isinstance(data, dict):
        scen = data.get("scenario")
        names = [scen] if isinstance(scen, str) else scen if isinstance(scen, list) else []
        fixed = [str((path.parent / n).resolve())
                 if isinstance(n, str) and (path.parent / n).is_file() else n for n in names]
        if names:
            data["scenario"] = fixed[0] if isinstance(scen, str) else fixed
        data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return parse_spec(data, str(path))


# ------------------------------------------------------------------------------ plan
@dataclass
class Plan:
    """Everything a sweep will run, in a fixed order (the same on every resume)."""

    spec: SweepSpec
    sweep_id: str
    params: list[str]
    points: pd.DataFrame  # point_id, scenario, design_index + parameter columns
    tasks: list[Task] = field(default_factory=list)  # tag = (point_id, replicate)
    scenario_hashes: dict[int, str] = field(default_factory=dict)

    @property
    def run_keys(self) -> list[str]:
        from simulation.runs.runner import run_key

        return [run_key(self.scenario_hashes[t.tag[0]], t.seed) for t in self.tasks]

    def sweep_row(self) -> dict:
        return {"sweep_id": self.sweep_id, "name": self.spec.name, "design": self.spec.design,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "model_version": simulation.__version__, "n_points": len(self.points),
                "n_runs": len(self.tasks), "params_json": json.dumps(self.params),
                "spec_yaml": yaml.safe_dump(self.spec.model_dump(mode="json"),
                                            sort_keys=False)}

    def point_rows(self) -> pd.DataFrame:
        rows = []
        for rec in self.points.to_dict("records"):
            for p in self.params or [None]:
                v = rec.get(p) if p else None
                rows.append({"sweep_id": self.sweep_id, "point_id": rec["point_id"],
                             "scenario": rec["scenario"], "param": p,
                             "value": float(v) if _numeric(v) else None,
                             "label": None if p is None else str(_plain(v))})
        return pd.DataFrame(rows, columns=["sweep_id", "point_id", "scenario", "param",
                                           "value", "label"])

    def run_rows(self) -> pd.DataFrame:
        return pd.DataFrame([{"sweep_id": self.sweep_id, "point_id": t.tag[0],
                              "replicate": t.tag[1], "seed": t.seed, "run_key": k,
                              "scenario_hash": self.scenario_hashes[t.tag[0]]}
                             for t, k in zip(self.tasks, self.run_keys, strict=True)])


def salib_problem(spec: SweepSpec) -> dict:
    """SALib's problem dict for the ranges of a spec (log10 bounds for log ranges)."""
    bounds = []
    for p, r in spec.vary.items():
        if not isinstance(r, Range):
            raise SweepError(f"sweep '{spec.name}', field 'vary.{p}': sensitivity needs a range")
        bounds.append([math.log10(r.low), math.log10(r.high)] if r.log else [r.low, r.high])
    return {"num_vars": len(spec.vary), "names": list(spec.vary), "bounds": bounds}


def _numeric(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _field_kind(dump: dict, path: str) -> type | None:
    """Python type of the current value at a dotted path of a dumped scenario, or None."""
    try:
        return type(get_dotted(dump, path))
    except KeyError:
        return None


def _unit_design(spec: SweepSpec, d: int) -> np.ndarray:
    """Design points in [0, 1]^d (lhs/qmc) or SALib coordinates are made elsewhere."""
    from scipy.stats import qmc

    if spec.design == "lhs":
        return qmc.LatinHypercube(d=d, seed=spec.seed).random(spec.samples)
    sampler = qmc.Sobol(d=d, scramble=True, seed=spec.seed)
    return sampler.random(spec.samples)  # qmc: scrambled Sobol' sequence (not Saltelli)


def sample_unit(spec: SweepSpec) -> np.ndarray:
    """The sampled design in SALib coordinates (log10 for log ranges), rows in run order.

    Seeded by the spec, so the report can regenerate exactly the matrix the sweep ran
    (before integer fields were rounded), which Morris analysis needs.
    """
    problem = salib_problem(spec)
    if spec.design == "sobol":
        from SALib.sample import sobol as sobol_sample
        return sobol_sample.sample(problem, spec.samples, calc_second_order=spec.second_order,
                                   seed=spec.seed)
    if spec.design == "morris":
        from SALib.sample import morris as morris_sample
        return morris_sample.sample(problem, spec.samples, num_levels=spec.morris_levels,
                                    seed=spec.seed)
    if spec.design in ("lhs", "qmc"):
        u = _unit_design(spec, len(spec.vary))
        lo = np.array([b[0] for b in problem["bounds"]])
        hi = np.array([b[1] for b in problem["bounds"]])
        return lo + u * (hi - lo)
    raise SweepError(f"sweep '{spec.name}': design '{spec.design}' is not sampled")


def make_plan(spec: SweepSpec) -> Plan:
    """Expand a spec into scenarios, design points and tasks (seeded: always the same)."""
    bases: dict[str, Scenario] = {}
    for name in spec.scenarios:
        try:
            bases[name] = load_scenario(name, spec.set or None, spec.households)
        except ScenarioError as exc:
            raise SweepError(f"sweep '{spec.name}', field 'scenario'/'set': {exc}") from None
    params = list(spec.vary)
    first = next(iter(bases.values()))
    kinds: dict[str, type | None] = {}
    first_dump = first.model_dump(mode="json")
    for p in params:
        kinds[p] = _field_kind(first_dump, p)
        if kinds[p] is None:
            raise SweepError(f"sweep '{spec.name}', field 'vary.{p}': not a scenario field "
                             "(expected a dotted path such as instruments.microcredit.budget;"
                             " see docs/parameters.md)")
        if kinds[p] in (dict, list) or (isinstance(spec.vary[p], Range)
                                         and kinds[p] in (str, bool)):
            raise SweepError(f"sweep '{spec.name}', field 'vary.{p}': a range needs a numeric "
                             f"field, but {p} holds a {kinds[p].__name__}")
        r = spec.vary[p]
        ends = r.values if isinstance(r, Levels) else [r.low, r.high]
        for v in ends:  # fail before any run if a bound is outside what the schema allows
            v = int(round(v)) if kinds[p] is int and _numeric(v) else v
            try:
                with_overrides(first, {p: v})
            except ScenarioError as exc:
                detail = str(exc).splitlines()[-1].strip()
                raise SweepError(f"sweep '{spec.name}', field 'vary.{p}': value {v!r} is not "
                                 f"allowed for this scenario field: {detail}") from None

    unit: np.ndarray | None = None
    if spec.design == "grid":
        axes = []
        for p in params:
            r = spec.vary[p]
            if isinstance(r, Levels):
                axes.append(list(r.values))
            else:
                n = r.levels or spec.grid_levels
                axes.append(list(np.geomspace(r.low, r.high, n) if r.log
                                 else np.linspace(r.low, r.high, n)))
        values = np.array(list(itertools.product(*axes)), dtype=object) if params \
            else np.empty((1, 0), dtype=object)
    elif spec.design == "replicates":
        values = np.empty((1, 0), dtype=object)
    else:
        unit = sample_unit(spec)
        actual = unit.copy()
        for j, p in enumerate(params):
            r = spec.vary[p]
            if isinstance(r, Range) and r.log:
                actual[:, j] = 10.0 ** unit[:, j]
        values = actual.astype(object)

    for j, p in enumerate(params):  # integer fields get integer values
        if kinds[p] is int:
            values[:, j] = [int(round(float(v))) for v in values[:, j]]
        elif kinds[p] is float:
            values[:, j] = [float(v) for v in values[:, j]]
    design = pd.DataFrame(values, columns=params)
    design.insert(0, "design_index", range(len(design)))

    rows, tasks, hashes = [], [], {}
    nd = len(design)
    for s_idx, (label, base) in enumerate(bases.items()):
        for rec in design.to_dict("records"):
            pid = s_idx * nd + int(rec["design_index"])
            over = {p: _plain(rec[p]) for p in params}
            try:
                scen = with_overrides(base, over) if over else base
            except ScenarioError as exc:
                raise SweepError(f"sweep '{spec.name}', field 'vary' at point {pid} "
                                 f"({over}): {exc}") from None
            hashes[pid] = scen.content_hash()
            rows.append({"point_id": pid, "scenario": label, **rec})
            data = scen.model_dump(mode="json")  # once per point, shared by its replicates
            for r in range(spec.replicates):
                tasks.append(Task(data, spec.seed + r, (pid, r)))
    points = pd.DataFrame(rows)
    ident = json.dumps({"spec": spec.model_dump(mode="json"),
                        "bases": {k: v.content_hash() for k, v in bases.items()}},
                       sort_keys=True)
    sweep_id = f"{spec.name}-{hashlib.sha256(ident.encode()).hexdigest()[:10]}"
    return Plan(spec, sweep_id, params, points, tasks, hashes)


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def spec_from_args(scenario: str | None, vary: list[str], sets: list[str], **fields: Any
                   ) -> SweepSpec:
    """A spec from command-line flags (`--vary path=0:5e8`, `--set path=value`)."""
    data: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if scenario is not None:
        data["scenario"] = scenario
    data["vary"] = {}
    for text in vary:
        if "=" not in text:
            raise SweepError(f"--vary {text!r}: expected PATH=LOW:HIGH or PATH=v1,v2,...")
        key, raw = text.split("=", 1)
        data["vary"][key.strip()] = raw
    data["set"] = dict(parse_override(o) for o in sets)
    return parse_spec(data, "command line")


# ------------------------------------------------------------------------- execution
@dataclass
class SweepStatus:
    """What a call to `run_sweep` did: runs planned, found already stored, run now."""

    sweep_id: str
    planned: int
    unique: int
    already: int
    ran: int = 0
    seconds: float = 0.0
    #: Runs of the same scenario and seed stored by other model code (rerun, not reused).
    stale: int = 0
    code: str = ""

    @property
    def complete(self) -> bool:
        return self.already + self.ran == self.unique


def run_sweep(plan: Plan, store, executor: str = "process", workers: int | None = None,
              resume: bool = True,
              on_start: Callable[[SweepStatus], None] | None = None,
              on_stored: Callable[[SweepStatus, str], None] | None = None) -> SweepStatus:
    """Run every run of `plan` not yet in `store`, writing each one as it finishes.

    The plan is registered first, so even a sweep killed before its first run knows what it
    was. Identical runs (same scenario hash and seed) are run once. With resume=False every
    run is redone and replaces its stored copy. Interrupting (Ctrl-C) leaves every finished
    run stored; calling again with the same plan finishes the rest.
    """
    import time

    from simulation.runs.executors import run_tasks

    store.register_sweep(plan.sweep_row(), plan.point_rows(), plan.run_rows())
    unique: dict[str, Task] = {}
    for task, key in zip(plan.tasks, plan.run_keys, strict=True):
        unique.setdefault(key, task)
    from simulation.fingerprint import code_fingerprint

    done = store.done_keys() if resume else set()
    todo = [t for k, t in unique.items() if k not in done]
    # Same scenario and seed, made by other code: rerun, and say so.
    other = ({k.rsplit("-", 1)[0] for k in store.done_keys("*") if k not in unique}
             if resume else set())
    stale = sum(1 for k in unique if k not in done and k.rsplit("-", 1)[0] in other)
    status = SweepStatus(plan.sweep_id, len(plan.tasks), len(unique), len(unique) - len(todo),
                         stale=stale, code=code_fingerprint())
    if on_start:
        on_start(status)
    started = time.perf_counter()
    for _task, result in run_tasks(todo, executor, workers):
        if result.meta.get("model_version") != simulation.__version__:
            # A Dask worker with another installed povsim: its runs would never count as
            # done here, and mixing versions silently would be worse.
            raise SweepError(f"a worker ran model version {result.meta.get('model_version')}"
                             f" but this is {simulation.__version__}; install the same povsim "
                             "on every worker")
        if result.meta.get("code_fingerprint") != status.code:
            raise SweepError(f"a worker ran model code {result.meta.get('code_fingerprint')} "
                             f"but this is {status.code}; the same povsim version with "
                             "different source files (run the same checkout on every worker)")
        store.write_run(result)
        status.ran += 1
        status.seconds = time.perf_counter() - started
        if on_stored:
            on_stored(status, str(result.meta["run_key"]))
    status.seconds = time.perf_counter() - started
    return status
