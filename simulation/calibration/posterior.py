"""A Bayesian posterior over a calibration's parameters (`povsim calibrate --method posterior`).

The posterior is prior(θ) · exp(−loss(θ)), where loss is the fit's own weighted negative
log-likelihood of the targets (`simulation.calibration.likelihood`) at the replicate-mean
model values: with target weights of 1 this is the targets' likelihood itself, so the
posterior says what the reported values and their stated noise allow. It is sampled by the
tempered SMC of `simulation.calibration.smc` (an ABC-SMC whose acceptance kernel is that
likelihood, raised to a rising temperature), with every batch of particles run through
`simulation.runs.executors.run_tasks` (serial, process pool or Dask) and appended to a
checkpoint; a rerun replays the seeded sampler and reads evaluated points from it, so an
interrupted posterior resumes and ends exactly where an uninterrupted one would.

Seeds (`posterior.seeds`): `common` runs every point with the spec's replicate seeds, like
the optimizer (a smooth surface; the posterior is that of the model at those seeds);
`fresh` gives each evaluation its own seeds (a pseudo-marginal sampler: the model's own
noise is integrated out, at the cost of stickier moves when that noise is large).

Outputs: `posterior.parquet` (the draws: one column per parameter and `weight`; the model
version, spec and code fingerprints in the file's metadata), `predictive.csv|md` (every
target against its posterior predictive band), `identifiability.csv|md` and
`correlations.csv`, `posterior.json` (trace, cost, summary), `report.md`, `checkpoint.jsonl`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

import simulation
from simulation.calibration import likelihood
from simulation.calibration.fit import Problem
from simulation.calibration.identifiability import identifiability_table, markdown_table
from simulation.calibration.smc import SMCResult, Step, tempered_smc
from simulation.calibration.spec import CalibrationError, CalibrationSpec, PosteriorSettings
from simulation.calibration.targets import Target
from simulation.fingerprint import calibration_fingerprint, fingerprint_of
from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import git_commit

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------- priors
class Prior:
    """Independent priors on the box of the parameters' bounds: uniform unless the spec's
    `posterior.priors` documents another (loguniform, or normal truncated to the box)."""

    def __init__(self, spec: CalibrationSpec):
        self.names = [p.name for p in spec.parameters]
        self.low = np.array([p.low for p in spec.parameters])
        self.high = np.array([p.high for p in spec.parameters])
        self.kinds: list[str] = []
        self.dists: list[Any] = []
        for p in spec.parameters:
            pr = spec.posterior.priors.get(p.name)
            kind = pr.kind if pr is not None else "uniform"
            if kind == "uniform":
                dist = stats.uniform(p.low, p.high - p.low)
            elif kind == "loguniform":
                dist = stats.loguniform(p.low, p.high)
            else:
                a, b = (p.low - pr.mean) / pr.sd, (p.high - pr.mean) / pr.sd
                dist = stats.truncnorm(a, b, loc=pr.mean, scale=pr.sd)
            self.kinds.append(kind)
            self.dists.append(dist)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        u = rng.uniform(size=(n, len(self.names)))
        return np.column_stack([d.ppf(u[:, j]) for j, d in enumerate(self.dists)])

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        out = np.zeros(len(x))
        for j, d in enumerate(self.dists):
            inside = (x[:, j] >= self.low[j]) & (x[:, j] <= self.high[j])
            with np.errstate(divide="ignore"):
                out += np.where(inside, d.logpdf(np.clip(x[:, j], self.low[j], self.high[j])),
                                -np.inf)
        return out

    @property
    def mean(self) -> np.ndarray:
        return np.array([float(d.mean()) for d in self.dists])

    @property
    def sd(self) -> np.ndarray:
        return np.array([float(d.std()) for d in self.dists])

    def quantile(self, q: float) -> np.ndarray:
        return np.array([float(d.ppf(q)) for d in self.dists])


# ---------------------------------------------------------------------- evaluation
@dataclass
class Draw:
    """One evaluated point: its parameters, seeds, loss and per-replicate model values."""

    x: list[float]
    seeds: list[int]
    loss: float
    components: dict[str, float]
    held_out: dict[str, float]
    values: dict[str, list[float]]
    seconds: float

    @property
    def loglik(self) -> float:
        return -self.loss

    def mean_values(self) -> dict[str, float]:
        return {k: float(np.mean(v)) for k, v in self.values.items()}


def _key(x: list[float] | np.ndarray, seeds: list[int]) -> str:
    return ",".join(float(v).hex() for v in x) + "|" + ",".join(str(s) for s in seeds)


def code_fingerprint() -> str:
    """The fit's loss code and the model, plus this sampler's code."""
    return fingerprint_of([HERE / "smc.py", HERE / "posterior.py"], HERE,
                          extra=calibration_fingerprint())


def posterior_fingerprint(problem: Problem) -> str:
    """Hash of everything that determines the draws (not the executor or pool size)."""
    payload = {"problem": problem.fingerprint(),
               "posterior": problem.spec.posterior.model_dump(mode="json"),
               "code": code_fingerprint()}
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class PosteriorEvaluator:
    """Scores batches of particles through `run_tasks`, with a JSONL checkpoint as cache."""

    def __init__(self, problem: Problem, checkpoint: Path | None, restart: bool = False,
                 on_batch: Callable[[int, list[Draw]], None] | None = None,
                 executor: str | None = None, workers: int | None = None):
        self.problem = problem
        self.settings: PosteriorSettings = problem.spec.posterior
        self.checkpoint = checkpoint
        self.on_batch = on_batch
        self.executor = executor or problem.spec.executor
        self.workers = workers if workers is not None else problem.spec.workers
        self.cache: dict[str, Draw] = {}
        self.batches = self.simulated = self.reused = self.runs = 0
        self.fingerprint = posterior_fingerprint(problem)
        if checkpoint is not None:
            self._open(checkpoint, restart)

    def _open(self, path: Path, restart: bool) -> None:
        if path.exists() and not restart:
            lines = path.read_text(encoding="utf-8").splitlines()
            header = json.loads(lines[0]) if lines else {}
            if header.get("fingerprint") != self.fingerprint:
                raise CalibrationError(
                    f"{path}: checkpoint belongs to another posterior (spec, posterior "
                    f"settings, scenario, targets, model version or code differ: "
                    f"{header.get('fingerprint')} != {self.fingerprint}); use --restart to "
                    "discard it or choose another --out")
            for line in lines[1:]:
                try:
                    draw = Draw(**json.loads(line))
                except (json.JSONDecodeError, TypeError):
                    break  # a batch cut off mid-write: it is simply re-run
                self.cache[_key(draw.x, draw.seeds)] = draw
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"fingerprint": self.fingerprint,
                                    "name": self.problem.spec.name, "kind": "posterior",
                                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime())}) + "\n")

    def seeds_for(self, eval_id: int) -> list[int]:
        """The replicate seeds of evaluation `eval_id` (fixed, or its own in fresh mode)."""
        if self.settings.seeds == "common":
            return list(self.problem.spec.seeds)
        state = np.random.SeedSequence([self.settings.seed, int(eval_id)]).generate_state(
            self.problem.spec.replicates)
        return [int(s) for s in state]

    def _simulate(self, points: list[tuple[np.ndarray, list[int]]]) -> list[Draw]:
        p = self.problem
        tasks = [Task.of(p.scenario(x), s, tag=(i, r)) for i, (x, seeds) in enumerate(points)
                 for r, s in enumerate(seeds)]
        values: dict[tuple[int, int], dict[str, float]] = {}
        started = time.perf_counter()
        for task, result in run_tasks(tasks, executor=self.executor, workers=self.workers):
            values[task.tag] = p.values(result.monthly)
        self.runs += len(tasks)
        secs = (time.perf_counter() - started) / max(len(points), 1)
        out = []
        for i, (x, seeds) in enumerate(points):
            per = [values[(i, r)] for r in range(len(seeds))]
            vals = {k: [v[k] for v in per] for k in per[0]}
            means = {k: float(np.mean(v)) for k, v in vals.items()}
            comps = likelihood.weighted_components(p.fitted, means, p.weights)
            held = likelihood.weighted_components(p.held_out, means, p.weights)
            out.append(Draw([float(v) for v in x], seeds, likelihood.total(comps), comps, held,
                            vals, secs))
        return out

    def __call__(self, xs: np.ndarray, ids: np.ndarray) -> list[Draw]:
        keys, todo, queued = [], [], set()
        for x, i in zip(xs, ids, strict=True):
            seeds = self.seeds_for(int(i))
            k = _key(x, seeds)
            keys.append(k)
            if k not in self.cache and k not in queued:
                todo.append((np.asarray(x, dtype=float), seeds))
                queued.add(k)
        new = self._simulate(todo) if todo else []
        for d in new:
            self.cache[_key(d.x, d.seeds)] = d
        if new and self.checkpoint is not None:
            with self.checkpoint.open("a", encoding="utf-8") as fh:
                for d in new:
                    fh.write(json.dumps(asdict(d)) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        self.simulated += len(new)
        self.reused += len(keys) - len(new)
        self.batches += 1
        if self.on_batch is not None:
            self.on_batch(self.batches, new)
        return [self.cache[k] for k in keys]


# ---------------------------------------------------------------------- the posterior
@dataclass
class PosteriorResult:
    problem: Problem
    prior: Prior
    draws: pd.DataFrame  # one row per particle: parameters and weight
    particles: list[Draw]  # the evaluation behind each draw
    smc: SMCResult
    seconds: float
    simulated: int
    reused: int
    runs: int
    fingerprint: str
    out: Path | None = None

    @property
    def converged(self) -> bool:
        return self.smc.converged


def fit_posterior(spec: CalibrationSpec, out: str | Path | None = None, restart: bool = False,
                  on_batch: Callable[[int, list[Draw]], None] | None = None,
                  on_step: Callable[[Step], None] | None = None,
                  progress: Callable[[str], None] | None = None,
                  executor: str | None = None, workers: int | None = None) -> PosteriorResult:
    """Sample (or resume) the posterior of `spec`; write the outputs to `out` if given."""
    problem = Problem.build(spec)
    settings = spec.posterior
    out_path = Path(out) if out is not None else None
    ckpt = out_path / "checkpoint.jsonl" if out_path is not None else None
    ev = PosteriorEvaluator(problem, ckpt, restart, on_batch, executor, workers)
    prior = Prior(spec)
    if progress:
        progress(f"{spec.name}: posterior of {problem.names} given {len(problem.fitted)} "
                 f"targets ({len(problem.held_out)} held out, {len(problem.skipped)} skipped); "
                 f"{settings.particles} particles, {spec.replicates} replicate(s) per point "
                 f"({settings.seeds} seeds); {len(ev.cache)} evaluation(s) in the checkpoint")
    started = time.perf_counter()
    res = tempered_smc(prior, ev, settings.particles, settings.seed,
                       ess_fraction=settings.ess_fraction, min_moves=settings.min_moves,
                       max_moves=settings.max_moves, max_generations=settings.max_generations,
                       floor=1e-6 * prior.sd, on_step=on_step)
    seconds = time.perf_counter() - started
    draws = pd.DataFrame(res.x, columns=problem.names)
    draws["weight"] = 1.0 / len(draws)
    result = PosteriorResult(problem, prior, draws, list(res.records), res, seconds,
                             ev.simulated, ev.reused, ev.runs, ev.fingerprint, out_path)
    if out_path is not None:
        write_outputs(result, out_path)
    return result


# ---------------------------------------------------------------------- predictive check
def observe(target: Target, model: float, rng: np.random.Generator, size: int | None = None
            ) -> np.ndarray:
    """Reported values the target's own noise model would give around model value `model`:
    normal (σ as the target states it), binomial or beta-binomial counts over sample_size."""
    if target.likelihood == "normal":
        return model + target.sigma * rng.standard_normal(size)
    n = max(int(round(target.uncertainty.sample_size)), 1)
    m = min(max(float(model), likelihood.EPS), 1 - likelihood.EPS)
    if target.likelihood == "binomial":
        return rng.binomial(n, m, size) / n
    rho = float(target.uncertainty.overdispersion)
    a, b = m * (1 - rho) / rho, (1 - m) * (1 - rho) / rho
    return rng.binomial(n, rng.beta(a, b, size)) / n


def predictive_table(result: PosteriorResult, seed: int | None = None) -> pd.DataFrame:
    """Every fitted and held-out target: observed value, the model's value over the draws
    and the posterior predictive band (model value plus the target's noise), 5-95%."""
    p = result.problem
    rng = np.random.default_rng([result.problem.spec.posterior.seed if seed is None else seed,
                                 7919])
    rows = []
    roles = [(t, "fitted") for t in p.fitted] + [(t, "held out") for t in p.held_out]
    for t, role in roles:
        m = np.array([d.mean_values()[t.name] for d in result.particles])
        y = np.array([observe(t, float(v), rng) for v in m], dtype=float)
        q = np.quantile(y, [0.05, 0.5, 0.95])
        if t.bound == "lower":
            covered = bool(q[2] >= t.value)
        elif t.bound == "upper":
            covered = bool(q[0] <= t.value)
        else:
            covered = bool(q[0] <= t.value <= q[2])
        rows.append({"target": t.name, "role": role, "unit": t.unit, "bound": t.bound,
                     "observed": t.value, "sigma": t.sigma,
                     "model_median": float(np.median(m)),
                     "model_q05": float(np.quantile(m, 0.05)),
                     "model_q95": float(np.quantile(m, 0.95)),
                     "predictive_median": float(q[1]), "predictive_q05": float(q[0]),
                     "predictive_q95": float(q[2]),
                     "predictive_pvalue": float(np.mean(y <= t.value)), "covered": covered})
    return pd.DataFrame(rows)


def _fmt(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def frame_markdown(df: pd.DataFrame, columns: list[str] | None = None) -> str:
    cols = columns or list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) for c in cols) + " |")
    return "\n".join(lines)


PREDICTIVE_COLUMNS = ["target", "role", "observed", "predictive_median", "predictive_q05",
                      "predictive_q95", "model_median", "predictive_pvalue", "covered"]


# ---------------------------------------------------------------------- outputs
def metadata(result: PosteriorResult) -> dict[str, Any]:
    p = result.problem
    return {"name": p.spec.name, "model_version": simulation.__version__,
            "git_commit": git_commit(), "spec_fingerprint": p.fingerprint(),
            "posterior_fingerprint": result.fingerprint, "code_fingerprint": code_fingerprint(),
            "parameters": p.names, "households": p.base.households,
            "converged": result.converged, "beta": result.smc.beta,
            "spec": p.spec.model_dump(mode="json")}


def write_draws(result: PosteriorResult, path: Path) -> Path:
    """posterior.parquet: the draws, with the provenance in the file's key-value metadata."""
    table = pa.Table.from_pandas(result.draws, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"povsim"] = json.dumps(metadata(result), default=str).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The povsim provenance stored in a posterior.parquet."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[b"povsim"])


def assumptions_markdown(assumptions: list[str]) -> list[str]:
    """The report's 'What was assumed' section (nothing when the spec lists none)."""
    if not assumptions:
        return []
    return ["## What was assumed", "", *(f"- {a}" for a in assumptions), ""]


def write_outputs(result: PosteriorResult, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    p = result.problem
    paths = {"draws": out / "posterior.parquet", "predictive": out / "predictive.csv",
             "identifiability": out / "identifiability.csv",
             "correlations": out / "correlations.csv", "summary": out / "posterior.json",
             "report": out / "report.md"}
    write_draws(result, paths["draws"])
    pred = predictive_table(result)
    pred.to_csv(paths["predictive"], index=False)
    (out / "predictive.md").write_text(frame_markdown(pred, PREDICTIVE_COLUMNS) + "\n",
                                       encoding="utf-8")
    ident, corr = identifiability_table(result.draws[p.names].to_numpy(),
                                        result.draws["weight"].to_numpy(), p.names,
                                        result.prior.mean, result.prior.sd, result.prior.kinds)
    ident.to_csv(paths["identifiability"], index=False)
    corr.to_csv(paths["correlations"])
    ident_md = markdown_table(ident, corr)
    (out / "identifiability.md").write_text(ident_md + "\n", encoding="utf-8")
    trace = [asdict(s) for s in result.smc.steps]
    summary = metadata(result) | {
        "particles": len(result.draws), "generations": len(trace),
        "log_evidence": trace[-1]["log_evidence"] if trace else 0.0,
        "evaluations": result.smc.evaluations, "simulated_this_session": result.simulated,
        "reused_from_checkpoint": result.reused, "runs_this_session": result.runs,
        "seconds": round(result.seconds, 2), "trace": trace,
        "fitted_targets": [t.name for t in p.fitted],
        "held_out_targets": [t.name for t in p.held_out], "skipped_targets": p.skipped,
        "predictive_coverage": float(pred["covered"].mean()) if len(pred) else None,
        "summary": ident.set_index("parameter")[["posterior_mean", "posterior_sd", "q05",
                                                  "q50", "q95"]].to_dict(orient="index")}
    paths["summary"].write_text(json.dumps(summary, indent=2, default=float), encoding="utf-8")
    status = ("the temperature reached 1: these are posterior draws" if result.converged else
              f"**stopped at temperature {result.smc.beta:.3g} < 1 after max_generations "
              f"= {p.spec.posterior.max_generations}: the sample is wider than the posterior**")
    report = [f"# Posterior: {p.spec.name}", "",
              f"{len(result.draws)} draws of {', '.join(p.names)} given {len(p.fitted)} "
              f"fitted target(s) ({len(p.held_out)} held out), {p.base.households} simulated "
              f"households, {p.spec.replicates} replicate(s) per point "
              f"({p.spec.posterior.seeds} seeds); {len(trace)} tempering step(s), "
              f"{result.smc.evaluations} evaluations; {status}.", "",
              *assumptions_markdown(p.spec.assumptions),
              "## Identifiability", "", ident_md, "",
              "## Posterior predictive check", "",
              "Observed value against the model value plus the target's noise over the draws "
              "(5-95%); `predictive_pvalue` is the share of predictive values at or below "
              "the observed one.", "", frame_markdown(pred, PREDICTIVE_COLUMNS), "",
              "## Tempering trace", "",
              frame_markdown(pd.DataFrame(trace)) if trace else "(no step: β = 1 at once)", ""]
    paths["report"].write_text("\n".join(report), encoding="utf-8")
    return paths


def cost_probe(spec: CalibrationSpec, particles: int, executor: str | None = None,
               workers: int | None = None) -> dict[str, float]:
    """Seconds per evaluation (all replicates of one point) over a batch of prior draws: what
    one tempering move costs is particles × this. For planning a region's posterior."""
    problem = Problem.build(spec)
    ev = PosteriorEvaluator(problem, None, executor=executor, workers=workers)
    prior = Prior(spec)
    xs = prior.sample(np.random.default_rng(spec.posterior.seed), particles)
    started = time.perf_counter()
    ev(xs, np.arange(particles))
    wall = time.perf_counter() - started
    return {"particles": particles, "replicates": spec.replicates,
            "households": problem.base.households, "months": problem.base.months,
            "wall_seconds": wall, "seconds_per_evaluation": wall / particles,
            "runs": ev.runs}
