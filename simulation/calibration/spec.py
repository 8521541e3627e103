"""The calibration spec: target file, scenario, parameters to fit with their bounds,
replicates and optimizer (YAML, or built from the command line). `fit` runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from simulation.timeline import parse_month
from simulation.validation import Strict, describe_errors, read_yaml


class CalibrationError(ValueError):
    """A calibration spec is malformed, or a checkpoint belongs to another spec."""



#: `--params budget_scale=LOW:HIGH` multiplies every instrument budget.
BUILTIN_SCALES = {"budget_scale": ["instruments.*.budget"]}


class Parameter(Strict):
    """One fitted parameter: a dotted scenario path set to the value, or a multiplier of
    the base values of every path matching `scale` (`*` matches one level)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")]
    path: str | None = None
    scale: list[str] | None = None
    low: float
    high: float
    start: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if self.path is None and self.scale is None:
            if self.name in BUILTIN_SCALES:
                self.scale = list(BUILTIN_SCALES[self.name])
            else:
                self.path = self.name
        if self.path is not None and self.scale is not None:
            raise ValueError("give either path (set a value) or scale (multiply base values), "
                             "not both")
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.start is not None and not self.low <= self.start <= self.high:
            raise ValueError(f"start {self.start} is outside [{self.low}, {self.high}]")
        return self


class Optimizer(Strict):
    method: Literal["differential_evolution", "nelder-mead", "powell"] = (
        "differential_evolution")
    seed: int = 1
    maxiter: Annotated[int, Field(ge=1)] = 20
    popsize: Annotated[int, Field(ge=2)] = 8
    tol: Annotated[float, Field(ge=0)] = 0.01
    mutation: float | tuple[float, float] = (0.5, 1.0)
    recombination: Annotated[float, Field(ge=0, le=1)] = 0.7
    init: Literal["latinhypercube", "sobol", "halton", "random"] = "latinhypercube"
    max_evaluations: Annotated[int, Field(ge=1)] | None = None


class Prior(Strict):
    """A documented non-uniform prior for one parameter, truncated to its [low, high]."""

    kind: Literal["uniform", "loguniform", "normal"] = "uniform"
    mean: float | None = None  # normal only
    sd: Annotated[float, Field(gt=0)] | None = None  # normal only

    @model_validator(mode="after")
    def _check(self) -> Prior:
        if self.kind == "normal" and (self.mean is None or self.sd is None):
            raise ValueError("a normal prior needs mean and sd (it is truncated to the "
                             "parameter's low..high)")
        if self.kind != "normal" and (self.mean is not None or self.sd is not None):
            raise ValueError(f"mean and sd are for kind 'normal', not {self.kind!r}")
        return self


class PosteriorSettings(Strict):
    """`posterior:` of a calibration spec: the tempered SMC sampler of
    `simulation.calibration.posterior` (docs/calibration.md, "Posterior")."""

    particles: Annotated[int, Field(ge=20)] = 500
    seed: Annotated[int, Field(ge=0)] = 1
    #: Each tempering step keeps this fraction of the particles' effective sample size.
    ess_fraction: Annotated[float, Field(gt=0.05, lt=1)] = 0.5
    #: Metropolis moves after each resampling: at least min_moves, more (up to max_moves)
    #: until ~90% of the particles are expected to have moved.
    min_moves: Annotated[int, Field(ge=1)] = 2
    max_moves: Annotated[int, Field(ge=1)] = 8
    #: Stopping rule: the posterior is reached when the temperature hits 1; a run that needs
    #: more tempering steps than this stops with a tempered (too wide) sample, flagged.
    max_generations: Annotated[int, Field(ge=1)] = 40
    #: common: every evaluation uses the spec's replicate seeds (the fit's surface);
    #: fresh: new seeds per evaluation (pseudo-marginal: the model's noise is integrated).
    seeds: Literal["common", "fresh"] = "common"
    #: Per-parameter priors; parameters not named here are uniform on [low, high].
    priors: dict[str, Prior] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _moves(self) -> PosteriorSettings:
        if self.max_moves < self.min_moves:
            raise ValueError(f"max_moves ({self.max_moves}) must be at least min_moves "
                             f"({self.min_moves})")
        return self


class CalibrationSpec(Strict):
    """What to fit, to what, and how (a calibration YAML has exactly these fields)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    targets: str
    scenario: str
    households: Annotated[int, Field(ge=10)] | None = None
    scenario_overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    replicates: Annotated[int, Field(ge=1)] = 2
    seed_base: Annotated[int, Field(ge=0)] = 1000
    fit_until: str | None = None
    weights: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    optimizer: Optimizer = Field(default_factory=Optimizer)
    executor: str = "process"
    workers: Annotated[int, Field(ge=1)] | None = None
    report_replicates: Annotated[int, Field(ge=1)] = 6
    uncertainty_level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    posterior: PosteriorSettings = Field(default_factory=PosteriorSettings)
    #: What the scenario and targets assume where the data are silent (`povsim region init`
    #: writes them from the card); the reports show them. Not part of the fit's numbers.
    assumptions: list[str] = Field(default_factory=list)

    @field_validator("fit_until")
    @classmethod
    def _month(cls, v: str | None) -> str | None:
        if v is not None:
            parse_month(v)
        return v

    @model_validator(mode="after")
    def _unique(self) -> CalibrationSpec:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names must be unique, got {names}")
        unknown = sorted(set(self.posterior.priors) - set(names))
        if unknown:
            raise ValueError(f"posterior.priors names unknown parameter(s) {unknown}; "
                             f"parameters are {names}")
        for p in self.parameters:
            prior = self.posterior.priors.get(p.name)
            if prior is not None and prior.kind == "loguniform" and p.low <= 0:
                raise ValueError(f"posterior.priors.{p.name}: a loguniform prior needs "
                                 f"low > 0 (got {p.low})")
        return self

    @property
    def seeds(self) -> list[int]:
        return [self.seed_base + r for r in range(self.replicates)]

    def fingerprint(self) -> dict:
        """What determines the fit's numbers (not where or how fast it runs). The posterior
        settings are left out: they do not change an optimizer fit (the posterior's own
        checkpoint adds them), nor are the assumptions (notes for the reader)."""
        return self.model_dump(mode="json", exclude={"executor", "workers", "posterior",
                                                      "assumptions"})


def _format(source: str, exc: ValidationError, what: str) -> str:
    return describe_errors(source, exc, what, "unknown field (see docs/calibration.md)")


def parse_spec(data: Any, source: str = "<calibration>", base_dir: Path | None = None
               ) -> CalibrationSpec:
    """Validate a calibration mapping; relative file paths are taken from `base_dir`."""
    if not isinstance(data, dict):
        raise CalibrationError(f"{source}: expected a mapping of fields, got "
                               f"{type(data).__name__}")
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        raise CalibrationError(_format(source, exc, "calibration spec")) from None
    if base_dir is not None:
        t = Path(spec.targets)
        if not t.is_absolute() and (base_dir / t).is_file():
            spec.targets = str((base_dir / t).resolve())
        s = Path(spec.scenario)
        if s.suffix in (".yaml", ".yml") and not s.is_absolute() and (base_dir / s).is_file():
            spec.scenario = str((base_dir / s).resolve())
    return spec


def load_spec(path: str | Path) -> CalibrationSpec:
    path = Path(path)
    data = read_yaml(path, CalibrationError, "calibration spec")
    return parse_spec(data, str(path), path.parent)


def parse_param(text: str) -> Parameter:
    """'name=low:high' or 'name=low:high:start' (name a dotted path or 'budget_scale')."""
    if "=" not in text or text.count(":") not in (1, 2):
        raise CalibrationError(f"--params {text!r}: expected NAME=LOW:HIGH (optionally "
                               ":START), e.g. population.income_median=3000:6000")
    name, rng = text.split("=", 1)
    try:
        nums = [float(x) for x in rng.split(":")]
    except ValueError:
        raise CalibrationError(f"--params {text!r}: LOW, HIGH and START must be numbers"
                               ) from None
    data = {"name": name.strip(), "low": nums[0], "high": nums[1]}
    if len(nums) == 3:
        data["start"] = nums[2]
    try:
        return Parameter.model_validate(data)
    except ValidationError as exc:
        raise CalibrationError(_format(f"--params {text!r}", exc, "parameter")) from None
