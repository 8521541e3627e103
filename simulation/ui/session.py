"""What the app runs: per-session models, the policy controls, mid-run changes and exports.

Nothing here imports Solara, so it is tested directly (tests/ui/test_app_components.py).

Mid-run policy changes
----------------------
A change applied mid-run takes effect from the current month (`model.label`, the next month
to be simulated). `AppModel.apply_policy` re-validates `model.config` with the changes
(`with_overrides`) and updates the objects that cached a value at set-up:

- budgets: the new value is the instrument's total budget for the whole run; what was
  already spent stays spent and the remaining money becomes `new budget - spent` (a budget
  below what was spent is raised to the amount spent, so the programme just stops);
  `budget = delivered + overhead + remaining` keeps holding;
- enabled switches: a disabled programme stops spending and acting; its money stays unspent;
- start dates: only for programmes that have not started yet, to this month or later;
- targeting (eligibility), channel intensities, cadre visits per month and assessment
  pressure: read every month from `model.config`, so they act from the next step.

Cadre capacity (the Beta distribution task forces are drawn from) is drawn at set-up, so it
applies to the next run only; the app says so when it is among the changes.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import mesa
import numpy as np
import pandas as pd
import yaml

from simulation.households import PovertyState
from simulation.model import PovertyModel
from simulation.outcomes import NOW
from simulation.scenario import (
    CHANNELS,
    PROGRAMMES,
    Eligibility,
    Instruments,
    Scenario,
    ScenarioError,
    TakeUpInstrument,
    build,
    deep_merge,
    display_order,
    list_bundled,
    load_raw,
    load_scenario,
    overlay_on,
    resolve,
    scenarios_dir,
    with_overrides,
)
from simulation.timeline import month_index

#: Largest sample the app accepts (a step stays well under a second up to ~20,000).
MAX_HOUSEHOLDS = 50_000
MIN_HOUSEHOLDS = 10
DEFAULT_HOUSEHOLDS = 3_000
DEFAULT_SCENARIO = "demo"
#: Options of a side-by-side slot besides the countermeasure files.
BASELINE = "baseline (archetype as is)"
EDITED = "edited (archetype + policy controls)"
MAX_RUNS = 4

M = 1e6


# --------------------------------------------------------------------------- inputs
class InputError(ValueError):
    """A value typed into a field is not acceptable; the message says which and why."""


def parse_households(text: str | int) -> int:
    """The households field: a whole number from MIN_HOUSEHOLDS to MAX_HOUSEHOLDS."""
    expected = f"a whole number from {MIN_HOUSEHOLDS:,} to {MAX_HOUSEHOLDS:,}"
    raw = str(text).strip().replace(",", "").replace("_", "")
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"Households: expected {expected}, got {str(text)!r}") from None
    if not MIN_HOUSEHOLDS <= value <= MAX_HOUSEHOLDS:
        raise InputError(f"Households: expected {expected}, got {value:,}")
    return value


def parse_seed(text: str | int) -> int:
    """The seed field: a whole number >= 0."""
    raw = str(text).strip()
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"Seed: expected a whole number >= 0, got {str(text)!r}") from None
    if value < 0:
        raise InputError(f"Seed: expected a whole number >= 0, got {value}")
    return value


def bundled_names() -> list[str]:
    """Bundled archetype scenarios (not the countermeasure overlays)."""
    root = scenarios_dir()
    return [p.stem for p in list_bundled() if p.parent == root]


def countermeasure_names() -> list[str]:
    """Countermeasure overlays in the library (scenarios/countermeasures/*.yaml)."""
    folder = scenarios_dir() / "countermeasures"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_yaml_text(text: str, name: str = "uploaded.yaml") -> Scenario:
    """A scenario from YAML text (an uploaded file); `extends:` resolves bundled names."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{name}: expected a mapping of fields at the top level, "
                            f"got {type(data).__name__}")
    parents = data.pop("extends", None)
    if parents is not None:
        merged: dict = {}
        for parent in [parents] if isinstance(parents, str) else list(parents):
            merged = deep_merge(merged, load_raw(resolve(str(parent))))
        data = deep_merge(merged, data)
    return build(data, name)


def countermeasure_on(archetype: str | Scenario, countermeasure: str) -> Scenario:
    """A countermeasure overlay deep-merged onto an archetype (as `povsim run --base`)."""
    base = (archetype.model_dump(mode="json") if isinstance(archetype, Scenario)
            else load_raw(resolve(archetype)))
    return build(overlay_on(base, countermeasure),
                 f"{countermeasure} on base {base.get('name', 'base')}")


# ------------------------------------------------------------------- policy controls
Kind = Literal["budget", "month", "choice", "share", "switch", "number"]


@dataclass(frozen=True)
class Control:
    """One policy control: a scenario field (dotted path) and how it is edited."""

    path: str
    label: str
    kind: Kind
    group: str
    mid_run: bool = True
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    choices: tuple[str, ...] = ()


#: Instruments shown in the policy panel, in the order of the panel (every instrument of
#: the schema: those added later come last).
INSTRUMENTS = display_order()
#: The pseudo-path of the cadre-capacity control (mean of the capacity Beta).
CAPACITY = "cadres.capacity.mean"


def _instrument_types() -> dict[str, type]:
    return {k: f.annotation for k, f in Instruments.model_fields.items()}


def controls_for(base: Scenario) -> list[Control]:
    """Every control of the policy panel, budget ranges scaled to the base scenario."""
    types = _instrument_types()
    out: list[Control] = []
    for key in INSTRUMENTS:
        cfg = getattr(base.instruments, key)
        group = f"instrument:{key}"
        hi_m = max(10.0, math.ceil(4 * cfg.budget / M / 10) * 10)
        out += [Control(f"instruments.{key}.enabled", "on", "switch", group),
                Control(f"instruments.{key}.budget", "budget (million yuan)", "budget", group,
                        lo=0.0, hi=hi_m, step=hi_m / 200),
                Control(f"instruments.{key}.start", "start (YYYY-MM)", "month", group)]
        if issubclass(types[key], TakeUpInstrument) or key == "asset_income":
            out.append(Control(f"instruments.{key}.eligibility", "targeting", "choice", group,
                               choices=tuple(e.value for e in Eligibility)))
    for ch in CHANNELS:
        out.append(Control(f"channels.{ch}.intensity", ch.replace("_", " "), "share",
                           "channels", step=0.05))
    out += [Control(CAPACITY, "capacity (mean, next run only)", "share", "cadres",
                    mid_run=False, lo=0.05, hi=0.95, step=0.05),
            Control("cadres.visits_per_month", "visits per task force per month", "number",
                    "cadres", lo=0.0, hi=120.0, step=5.0),
            Control("cadres.assessment_pressure", "assessment pressure", "share", "cadres",
                    step=0.05)]
    return out


def control_by_path(base: Scenario) -> dict[str, Control]:
    return {c.path: c for c in controls_for(base)}


def _dotted(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node[part]
    return node


def current_value(scenario: Scenario, path: str) -> Any:
    """A control's value in a scenario (budgets in yuan, the capacity control as a mean)."""
    if path == CAPACITY:
        return round(scenario.cadres.capacity.mean, 4)
    return _dotted(scenario.model_dump(mode="json"), path)


def to_overrides(scenario: Scenario, edits: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted overrides for `with_overrides` from control edits (capacity as Beta a, b)."""
    out: dict[str, Any] = {}
    for path, value in edits.items():
        if path == CAPACITY:
            conc = scenario.cadres.capacity.a + scenario.cadres.capacity.b
            mean = float(value)
            out["cadres.capacity.a"] = mean * conc
            out["cadres.capacity.b"] = (1.0 - mean) * conc
        else:
            out[path] = value
    return out


def changed_edits(scenario: Scenario, edits: Mapping[str, Any]) -> dict[str, Any]:
    """The edits whose value differs from the scenario's."""
    out = {}
    for path, value in edits.items():
        now = current_value(scenario, path)
        if isinstance(now, float) and isinstance(value, int | float):
            if not math.isclose(now, float(value), rel_tol=1e-9, abs_tol=1e-9):
                out[path] = value
        elif now != value:
            out[path] = value
    return out


def next_scenario(base: Scenario, edits: Mapping[str, Any], households: int) -> Scenario:
    """The scenario of the next run: base + edits + households, validated."""
    overrides = to_overrides(base, changed_edits(base, edits))
    overrides["households"] = households
    return with_overrides(base, overrides)


def describe(path: str, value: Any) -> str:
    """A short human text of one change, e.g. 'microcredit budget = 80.0 M yuan'."""
    parts = path.split(".")
    if parts[0] == "instruments":
        what = f"{parts[1].replace('_', ' ')} {parts[2]}"
    elif parts[0] == "channels":
        what = f"{parts[1].replace('_', ' ')} intensity"
    else:
        what = path.replace("_", " ")
    if parts[-1] == "budget":
        return f"{what} = {float(value) / M:,.1f} M yuan"
    if isinstance(value, float):
        return f"{what} = {value:.3g}"
    return f"{what} = {value}"


# ------------------------------------------------------------------------ the runs
@dataclass
class PolicyChange:
    """A policy change applied mid-run, before month `month` was simulated."""

    month: int
    label: str
    changes: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"{self.label}: " + "; ".join(describe(p, v) for p, v in self.changes.items())


class AppModel(PovertyModel):
    """A PovertyModel that also keeps what the app shows: every household's income and state
    each month, the month each household first heard of each programme, and the policy
    changes applied mid-run.

    Its parameters are named `setup` and `seed` (not `scenario`): Mesa's ModelController
    re-creates the model with `type(model)(**params)` and treats a parameter named
    `scenario` as a Mesa scenario.
    """

    def __init__(self, setup: Scenario, seed: int | None = None):
        super().__init__(setup, seed=seed)
        self.initial_config = setup
        n = self.households.n
        self.first_aware = np.full((n, len(PROGRAMMES)), -1, dtype=np.int16)
        self.income_history: list[np.ndarray] = []
        self.state_history: list[np.ndarray] = []
        self.policy_changes: list[PolicyChange] = []
        #: held while stepping or changing policy (Mesa's play loop steps in a thread)
        self.lock = threading.RLock()

    def step(self) -> None:
        with self.lock:
            month = self.month
            if self.finished:
                self.running = False
                return
            super().step()
            hh = self.households
            newly = (hh.understanding > 0) & (self.first_aware < 0)
            self.first_aware[newly] = month
            self.income_history.append(hh.annual_income.astype(np.float32))
            self.state_history.append(hh.state.copy())

    # -- mid-run policy changes ----------------------------------------------------------
    def apply_policy(self, edits: Mapping[str, Any]) -> PolicyChange | None:
        """Apply control edits from the current month; None when nothing differs.

        All or nothing: on a problem raises ScenarioError (naming the field) and changes
        nothing. Edits that only a new run can apply are left out and named in `notes`.
        """
        with self.lock:
            return self._apply_policy(edits)

    def _apply_policy(self, edits: Mapping[str, Any]) -> PolicyChange | None:
        controls = control_by_path(self.config)
        changes = changed_edits(self.config, edits)
        if not changes:
            return None
        notes = [f"{describe(p, v)}: applies to the next run only (drawn at set-up)"
                 for p, v in changes.items() if p in controls and not controls[p].mid_run]
        now = {p: v for p, v in changes.items() if p not in controls or controls[p].mid_run}
        if not now:
            change = PolicyChange(self.month, self.label, {}, notes)
            return change
        new = with_overrides(self.config, to_overrides(self.config, now))
        start = self.config.start
        updates = []
        for key, inst in self.instruments.items():
            cfg = getattr(new.instruments, key, None)
            if cfg is None:  # an actor with a ledger but no instrument settings
                continue
            first = month_index(cfg.start, start)
            if first != inst.first:
                if inst.first < self.month:
                    raise ScenarioError(
                        f"field 'instruments.{key}.start': {key} started in "
                        f"{inst.cfg.start}, before the current month {self.label}; a start "
                        "date cannot move once a programme has begun (change it for the "
                        "next run instead)")
                if first < self.month:
                    raise ScenarioError(
                        f"field 'instruments.{key}.start': {cfg.start} is before the "
                        f"current month {self.label}; choose {self.label} or later")
            updates.append((inst, cfg, first, month_index(cfg.end, start)))
        for inst, cfg, first, last in updates:
            old = inst.cfg
            inst.cfg, inst.first, inst.last = cfg, first, last
            if cfg.budget != old.budget or cfg.enabled != old.enabled:
                spent = inst.budget - inst.remaining
                total = cfg.budget * self.scale
                if total < spent:
                    notes.append(f"{inst.key} budget raised to the {spent / self.scale / M:,.1f}"
                                 " M yuan already spent")
                    total = spent
                inst.budget = total
                inst.remaining = total - spent
        self.config = new
        for name, ch in new.channels.items():  # publicity recomputes them next month too
            self.intensity[name] = ch.intensity
        change = PolicyChange(self.month, self.label, now, notes)
        self.policy_changes.append(change)
        return change

    # -- what the detail panels show --------------------------------------------------------
    def household_history(self, row: int) -> pd.DataFrame:
        """Month, annual income, poverty line and state of one household so far."""
        series = self.series()
        if not self.income_history:
            return pd.DataFrame(columns=["month", "date", "income", "line", "state"])
        return pd.DataFrame({
            "month": series["month"], "date": series["date"],
            "income": [float(h[row]) for h in self.income_history],
            "line": series["poverty_line"],
            "state": [PovertyState(int(s[row])).name for s in self.state_history]})

    def village_history(self, village: int) -> pd.DataFrame:
        """Month and income-poverty incidence (people-weighted) of one village so far."""
        series = self.series()
        rows = self.households.village == village
        w = self.households.size[rows]
        if not self.income_history or w.sum() == 0:
            return pd.DataFrame(columns=["month", "date", "incidence"])
        lines = series["poverty_line"].to_numpy()
        inc = [float(w[h[rows] < line].sum() / w.sum())
               for h, line in zip(self.income_history, lines, strict=True)]
        return pd.DataFrame({"month": series["month"], "date": series["date"],
                             "incidence": inc})

    def household_info(self, row: int) -> dict[str, Any]:
        """State of one household now (from its Mesa agent view)."""
        info = self.household(row).as_dict()
        info["income_by_source"] = self.household(row).income_by_source
        return info

    def village_info(self, village: int) -> dict[str, Any]:
        """State of one village now."""
        hh, v = self.households, self.villages
        rows = hh.village == village
        w = hh.size[rows]
        poor = hh.annual_income[rows] < self.line
        return {
            "village": village, "households": int(rows.sum()), "people": float(w.sum()),
            "remoteness": float(v.remoteness[village]), "road": float(v.road[village]),
            "internet": float(v.internet[village]), "tourism": float(v.tourism[village]),
            "cadre_capacity": float(self.cadres.capacity[village]),
            "cadre_effort": float(self.cadres.effort[village]),
            "income_poverty_incidence": float(w[poor].sum() / w.sum()) if w.sum() else 0.0,
            "registered": int(hh.registered[rows].sum()),
            "participating": {p: int(hh.participating[rows, k].sum())
                              for k, p in enumerate(PROGRAMMES)},
        }

    def scenario_yaml(self) -> str:
        """The scenario this run started from, as YAML `povsim run FILE` accepts; mid-run
        changes (which no scenario file can express) are listed in a comment."""
        head = [f"# povsim scenario exported by the app (run seed {self.seed_value}).",
                f"# Run it with: povsim run {self.initial_config.name}.yaml --seed "
                f"{self.seed_value}"]
        if self.policy_changes:
            head.append("# Mid-run policy changes in the app, not part of this file:")
            head += [f"#   {c.text}" for c in self.policy_changes]
        return "\n".join(head) + "\n" + self.initial_config.to_yaml()


class ComparisonModel(mesa.Model):
    """Two to four runs stepped in lockstep with the same seed (a Mesa model of models).

    Parameters are named `setups` and `seed` (see AppModel on Mesa's ModelController).
    """

    def __init__(self, setups: Sequence[tuple[str, Scenario]], seed: int = 1):
        super().__init__(rng=seed)
        if not 1 <= len(setups) <= MAX_RUNS:
            raise ValueError(f"expected 1 to {MAX_RUNS} runs, got {len(setups)}")
        self.seed_value = seed
        self.labels = [label for label, _ in setups]
        self.runs = [PovertyModel(s, seed=seed, agent_views=False) for _, s in setups]

    @property
    def month(self) -> int:
        return max(r.month for r in self.runs)

    @property
    def label(self) -> str:
        return max((r for r in self.runs), key=lambda r: r.month).label

    @property
    def finished(self) -> bool:
        return all(r.finished for r in self.runs)

    def step(self) -> None:
        for run in self.runs:
            if not run.finished:
                run.step()
        self.running = not self.finished

    def series(self) -> pd.DataFrame:
        """All runs' monthly series, with a `run` column."""
        frames = [r.series().assign(run=label) for label, r in zip(self.labels, self.runs,
                                                                   strict=True)]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=["run", "month", "date"])
        df = pd.concat(frames, ignore_index=True)
        return df[["run", *[c for c in df.columns if c != "run"]]]

    def scenario_yamls(self) -> dict[str, str]:
        """File name -> YAML of each run's scenario (what `povsim run FILE` accepts)."""
        out = {}
        for i, (label, run) in enumerate(zip(self.labels, self.runs, strict=True), 1):
            stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)[:40]
            out[f"run{i}-{stem.strip('_')}.yaml"] = (
                f"# povsim scenario exported by the app: side-by-side run {i} ({label}),"
                f" seed {self.seed_value}\n" + run.config.to_yaml())
        return out


def comparison_setups(archetype: Scenario, choices: Sequence[str], edits: Mapping[str, Any],
                      households: int) -> list[tuple[str, Scenario]]:
    """(label, scenario) of each chosen slot: baseline, a countermeasure or the edited
    archetype; all with the same number of households. Raises ScenarioError/InputError."""
    if not 2 <= len(choices) <= MAX_RUNS:
        raise InputError(f"Side by side: choose 2 to {MAX_RUNS} runs, got {len(choices)}")
    out: list[tuple[str, Scenario]] = []
    seen: dict[str, int] = {}
    for choice in choices:
        if choice == BASELINE:
            label, s = "baseline", archetype
        elif choice == EDITED:
            label, s = "edited", with_overrides(
                archetype, to_overrides(archetype, changed_edits(archetype, edits)))
        else:
            label, s = choice, countermeasure_on(archetype, choice)
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} #{seen[label]}"
        out.append((label, with_overrides(s, {"households": households})))
    return out


#: Rows of the side-by-side table: (column, label, format), from `simulation.outcomes.NOW`.
COMPARE_ROWS = [(o.key, o.label, o.fmt) for o in NOW]


def difference_table(model: ComparisonModel) -> pd.DataFrame:
    """Each run's value at the current month and its difference from the first run."""
    rows = []
    lasts = [r.series().iloc[-1] if r.month else None for r in model.runs]
    for col, label, fmt in COMPARE_ROWS:
        row: dict[str, Any] = {"outcome": label}
        ref = lasts[0][col] if lasts[0] is not None else None
        for name, last in zip(model.labels, lasts, strict=True):
            if last is None:
                row[name] = "–"
                continue
            value = float(last[col])
            text = fmt.format(value)
            if name != model.labels[0] and ref is not None:
                delta = value - float(ref)
                dtext = (f"{abs(delta) * 100:.1f} pp" if fmt.endswith("%}")
                         else fmt.format(abs(delta)))
                zero = not any(ch in "123456789" for ch in dtext)
                sign = "±" if zero else ("+" if delta > 0 else "−")
                text += f" ({sign}{dtext})"
            row[name] = text
        rows.append(row)
    return pd.DataFrame(rows)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def initial_scenario(name: str = DEFAULT_SCENARIO,
                     households: int = DEFAULT_HOUSEHOLDS) -> Scenario:
    return load_scenario(name, households=households)
