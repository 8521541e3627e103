"""The app's Solara components. `Page` is what `simulation/ui/app.py` serves.

Every model lives in per-session state (`use_memo`/`use_reactive` inside `Page`), never at
module level. Step, play, pause and reset are Mesa's `ModelController` (from SolaraViz);
components subscribe to Mesa's `update_counter`, which it bumps after every step.
Settings (scenario, seed, households, policy controls) are applied by Mesa's Reset, which
re-creates the model as `type(model)(**params)`; the policy panel can also apply its
controls mid-run (see `simulation.ui.session` for what changes mid-run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import solara
from mesa.visualization.utils import force_update, update_counter

from simulation.households import PovertyState
from simulation.scenario import (
    PROGRAMMES,
    Scenario,
    ScenarioError,
    load_scenario,
)
from simulation.ui import charts
from simulation.ui.session import (
    DEFAULT_HOUSEHOLDS,
    DEFAULT_SCENARIO,
    INSTRUMENTS,
    AppModel,
    Control,
    InputError,
    bundled_names,
    changed_edits,
    controls_for,
    csv_bytes,
    current_value,
    describe,
    load_yaml_text,
    next_scenario,
    parse_households,
    parse_seed,
)
from simulation.ui.side_by_side import CompareSettings, CompareState, CompareView
from simulation.ui.widgets import Controller, LineCharts, Problems

UPLOADED = "(loaded YAML file)"
TABS = ("Visual run", "Map & network", "Policy controls", "Side by side")
STATE_COLOURS = [charts.STATE_COLOURS[s] for s in PovertyState]


def css_name(path: str) -> str:
    """A CSS class for a control, e.g. 'pv-instruments-microcredit-budget'."""
    return "pv-" + path.replace(".", "-").replace("_", "-")


# ------------------------------------------------------------------------ session state
@dataclass
class RunState:
    """Per-session state of the visual run (reactive variables created per session)."""

    choice: solara.Reactive[str]
    uploaded: solara.Reactive[Scenario | None]
    seed_text: solara.Reactive[str]
    households_text: solara.Reactive[str]
    edits: solara.Reactive[dict[str, Any]]
    model: solara.Reactive[AppModel]
    params: solara.Reactive[dict[str, Any]]
    village: solara.Reactive[int | None]
    household: solara.Reactive[int | None]

    @classmethod
    def create(cls, name: str = DEFAULT_SCENARIO, seed: int = 1,
               households: int = DEFAULT_HOUSEHOLDS) -> RunState:
        scenario = load_scenario(name, households=households)
        return cls(choice=solara.reactive(name), uploaded=solara.reactive(None),
                   seed_text=solara.reactive(str(seed)),
                   households_text=solara.reactive(str(households)),
                   edits=solara.reactive({}),
                   model=solara.reactive(AppModel(scenario, seed)),
                   params=solara.reactive({"setup": scenario, "seed": seed}),
                   village=solara.reactive(None), household=solara.reactive(None))

    def base(self) -> Scenario:
        """The chosen scenario before policy edits (raises ScenarioError)."""
        if self.choice.value == UPLOADED and self.uploaded.value is not None:
            return self.uploaded.value
        return load_scenario(self.choice.value)

    def pending(self) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """(params of the next run, problems by field); params is None on a problem."""
        problems: dict[str, str] = {}
        seed = households = None
        try:
            seed = parse_seed(self.seed_text.value)
        except InputError as exc:
            problems["seed"] = str(exc)
        try:
            households = parse_households(self.households_text.value)
        except InputError as exc:
            problems["households"] = str(exc)
        try:
            base = self.base()
        except ScenarioError as exc:
            problems["scenario"] = str(exc)
            return None, problems
        if households is not None:
            try:
                setup = next_scenario(base, self.edits.value, households)
            except ScenarioError as exc:
                problems["scenario"] = str(exc)
        if problems:
            return None, problems
        return {"setup": setup, "seed": seed}, {}


# ------------------------------------------------------------------------- small parts
def _fmt_detail(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)


@solara.component
def KeyFigures(model: AppModel) -> None:
    """The run's month and headline numbers so far (classes for tests)."""
    update_counter.get()
    series = model.series()
    last = series.iloc[-1] if len(series) else None
    done = f"{model.month} of {model.config.months} months simulated"
    latest = f", latest {series['date'].iloc[-1]}" if last is not None else ""
    with solara.Row(classes=["pv-key-figures"], style={"flex-wrap": "wrap", "gap": "18px"}):
        solara.Text(f"{model.config.name}, seed {model.seed_value}: {done}{latest}",
                    classes=["pv-month"])
        if last is not None:
            solara.Text(f"income-poor {last['income_poverty_incidence']:.1%}",
                        classes=["pv-kpi-incidence"])
            solara.Text(f"registered {last['registered_poor_incidence']:.1%}",
                        classes=["pv-kpi-registered"])
            solara.Text(f"spent {last['cumulative_spending'] / 1e6:,.2f} M yuan",
                        classes=["pv-kpi-spending"])
            solara.Text(f"people lifted {last['people_lifted']:,.0f}",
                        classes=["pv-kpi-lifted"])


def shipped_band(name: str) -> tuple[dict[str, pd.DataFrame], str] | None:
    """The shipped posterior band of a bundled scenario (lines, caption), if it has one."""
    from simulation.calibration.band import (
        BAND_COLUMNS,
        BandFileError,
        band_lines,
        bundled_band,
        read_band,
    )

    path = bundled_band(name)
    if path is None:
        return None
    try:
        band, meta = read_band(path)
    except BandFileError:
        return None  # a damaged file: no band rather than no app
    caption = (f"Shaded: the 5-95% posterior predictive band of the shipped {name} "
               f"({meta['draws']} posterior draws, one seed each, "
               f"{meta['households']:,} households; `povsim band`), not of edits made here.")
    return band_lines(band, list(BAND_COLUMNS)), caption


# ----------------------------------------------------------------------- visual run
@solara.component
def RunSettings(state: RunState) -> None:
    """Scenario, YAML file, seed, households and Mesa's run controls."""
    params, problems = state.pending()

    def sync() -> None:
        if params is not None:
            state.params.set(params)

    solara.use_effect(sync, [state.choice.value, state.seed_text.value,
                             state.households_text.value, id(state.uploaded.value),
                             tuple(sorted(state.edits.value.items(), key=str))])
    path_text = solara.use_reactive("")
    upload_error = solara.use_reactive("")

    def take(scenario: Scenario) -> None:
        state.uploaded.set(scenario)
        state.choice.set(UPLOADED)
        state.households_text.set(str(min(scenario.households, 50_000)))
        upload_error.set("")

    def on_file(info: dict[str, Any]) -> None:
        try:
            take(load_yaml_text(info["data"].decode("utf-8", "replace"), info["name"]))
        except ScenarioError as exc:
            upload_error.set(str(exc))

    def load_path() -> None:
        try:
            take(load_scenario(Path(path_text.value.strip())))
        except ScenarioError as exc:
            upload_error.set(str(exc))

    with solara.Card("Run", classes=["pv-run-settings"], margin=0):
        choices = bundled_names() + ([UPLOADED] if state.uploaded.value is not None else [])
        solara.Select("Scenario", values=choices, value=state.choice,
                      classes=["pv-scenario"])
        solara.InputText("Seed", value=state.seed_text, continuous_update=False,
                         error=problems.get("seed", False), classes=["pv-seed"])
        solara.InputText("Households", value=state.households_text, continuous_update=False,
                         error=problems.get("households", False), classes=["pv-households"])
        with solara.Details("Load a scenario YAML file"):
            solara.FileDrop(label="Drop a scenario .yaml here", on_file=on_file, lazy=False)
            with solara.Row():
                solara.InputText("or a path on this machine", value=path_text,
                                 classes=["pv-yaml-path"])
                solara.Button("Load", on_click=load_path, classes=["pv-yaml-load"])
        Problems([upload_error.value] if upload_error.value else [])
        Problems(list(problems.values()),
                 "Not applied (Reset keeps the last valid settings): ")
        running = state.model.value
        with solara.Div():  # always there: the controls below never shift (or remount)
            if params is not None and (
                    params["setup"].content_hash() != running.initial_config.content_hash()
                    or params["seed"] != running.seed_value):
                solara.Info("Settings changed: press Reset to start a run with them.",
                            classes=["pv-pending"], dense=True)
        Controller(state.model, state.params)


@solara.component
def Dashboard(model: AppModel) -> None:
    """The live charts of the visual run."""
    update_counter.get()
    name = model.initial_config.name
    shipped = solara.use_memo(lambda: shipped_band(name), [name])
    deps = [id(model), model.month, len(model.policy_changes), id(shipped)]
    panels = solara.use_memo(lambda: charts.dashboard_panels(
        model.series(), model.config.start, model.config.months, model.policy_changes,
        shipped[0] if shipped else None), deps)
    with solara.Div(classes=["pv-dashboard"]):
        LineCharts(panels=panels)
    if shipped:
        solara.Text(shipped[1], classes=["pv-band-caption"],
                    style={"display": "block", "font-size": "13px", "color": "#555"})
    with solara.Div():
        if model.policy_changes:
            with solara.Div(classes=["pv-change-list"]):
                solara.Text("Mid-run policy changes (dashed lines):")
                for change in model.policy_changes:
                    solara.Text(change.text, style={"display": "block", "font-size": "13px"})
    with solara.Row():
        solara.FileDownload(lambda: csv_bytes(model.series()),
                            filename=f"{model.config.name}-seed{model.seed_value}-monthly.csv",
                            label="Series as CSV")
        solara.FileDownload(model.scenario_yaml,
                            filename=f"{model.initial_config.name}.yaml",
                            label="Scenario as YAML")


@solara.component_vue("village_map.vue")
def VillageMap(villages: list, households: list, colors: list, size: float,
               selected_village: int | None, selected_household: int | None,
               event_select_village: Callable[[int], None],
               event_select_household: Callable[[int], None]) -> None:
    """Villages around the county town, households coloured by state (clickable SVG)."""


@solara.component
def Detail(model: AppModel, village: int | None, household: int | None) -> None:
    """State and history of the clicked household or village."""
    update_counter.get()
    if household is not None and 0 <= household < model.households.n:
        info = model.household_info(household)
        history = model.household_history(household)
        with solara.Card(f"Household {household} (village {info['village']})",
                         classes=["pv-detail", "pv-detail-household"], margin=0):
            sources = info.pop("income_by_source")
            aware = {k[6:]: v for k, v in info.items() if k.startswith("aware_")}
            taking = [k[3:] for k, v in info.items() if k.startswith("in_") and v]
            plain = {k: v for k, v in info.items() if not k.startswith(("aware_", "in_"))}
            solara.Markdown("\n".join(f"- **{k.replace('_', ' ')}**: {_fmt_detail(v)}"
                                      for k, v in plain.items()))
            solara.Text("taking part in: " + (", ".join(taking) or "nothing"),
                        style={"display": "block"})
            heard = ", ".join(f"{k} {v:.2f}" for k, v in aware.items() if v > 0)
            solara.Text(f"understands (0-1): {heard or 'nothing yet'}",
                        style={"display": "block"})
            solara.Text("income this month by source: " + ", ".join(
                f"{k} {v:,.0f}" for k, v in sources.items()), style={"display": "block"})
            fig = charts.history(history, model.config.start, model.config.months, "income",
                                 "Annual income per person (yuan)", line="line")
            solara.FigureMatplotlib(fig, dependencies=[id(model), model.month, household],
                                    format="png")
            if len(history):
                changes = [f"{a}→{b} in {d}" for a, b, d in zip(
                    history["state"][:-1], history["state"][1:], history["date"][1:],
                    strict=True) if a != b]
                solara.Text("state changes: " + ("; ".join(changes) or "none"),
                            style={"display": "block", "font-size": "13px"})
    elif village is not None and 0 <= village < model.villages.n:
        info = model.village_info(village)
        with solara.Card(f"Village {village}", classes=["pv-detail", "pv-detail-village"],
                         margin=0):
            taking = info.pop("participating")
            solara.Markdown("\n".join(f"- **{k.replace('_', ' ')}**: {_fmt_detail(v)}"
                                      for k, v in info.items()))
            solara.Text("taking part: " + ", ".join(f"{k} {v}" for k, v in taking.items()),
                        style={"display": "block"})
            fig = charts.history(model.village_history(village), model.config.start,
                                 model.config.months, "incidence",
                                 "Income-poverty incidence (%)", percent=True)
            solara.FigureMatplotlib(fig, dependencies=[id(model), model.month, village],
                                    format="png")
    else:
        solara.Info("Click a village or a household on the map.", dense=True)


@solara.component
def MapView(state: RunState) -> None:
    """The village map, the clicked item's detail and information spread on the network."""
    update_counter.get()
    model = state.model.value
    layout = solara.use_memo(lambda: charts.map_layout(model), [id(model)])
    villages, rows = solara.use_memo(lambda: charts.map_data(model, layout),
                                     [id(model), model.month])
    programme = solara.use_reactive("microcredit")
    village = state.village.value
    if village is None or village >= model.villages.n:
        village = int(model.households.village[state.household.value]) if (
            state.household.value is not None
            and state.household.value < model.households.n) else 0

    def pick_village(v: int) -> None:
        state.village.set(int(v))
        state.household.set(None)

    def pick_household(row: int) -> None:
        state.household.set(int(row))
        state.village.set(int(model.households.village[int(row)]))

    with solara.Columns([3, 2]):
        with solara.Column():
            solara.Text("Villages by remoteness (distance from the county town); households "
                        "coloured by poverty state, larger when taking part in more "
                        "programmes, ringed when registered. Village fill: redder = more "
                        "income-poor.", style={"font-size": "13px"})
            with solara.Row(style={"gap": "12px", "font-size": "13px"}):
                for s in PovertyState:
                    solara.Text(f"● {s.name.lower().replace('_', '-')}",
                                style={"color": charts.STATE_COLOURS[s]})
            VillageMap(villages=villages, households=rows, colors=STATE_COLOURS,
                       size=charts.MAP_SIZE, selected_village=state.village.value,
                       selected_household=state.household.value,
                       event_select_village=pick_village,
                       event_select_household=pick_household)
        with solara.Column():
            Detail(model, state.village.value, state.household.value)
    nodes = solara.use_memo(lambda: charts.network_nodes(model, village), [id(model), village])
    positions = solara.use_memo(lambda: charts.network_layout(model, nodes),
                                [id(model), village])
    solara.Select("Programme spreading", values=list(PROGRAMMES), value=programme,
                  classes=["pv-network-programme"])
    deps = [id(model), model.month, village, programme.value]
    fig = solara.use_memo(lambda: charts.network_figure(model, nodes, positions,
                                                        programme.value, village), deps)
    with solara.Div(classes=["pv-network"]):
        solara.FigureMatplotlib(fig, dependencies=deps, format="png")


# ------------------------------------------------------------------- policy controls
@solara.component
def ControlInput(control: Control, value: Any, on_value: Callable[[Any], None]) -> None:
    """One control: slider, switch, select or month field."""
    with solara.Div(classes=["pv-control", css_name(control.path)]):
        if control.kind == "budget":
            solara.SliderFloat(f"{control.label}: {float(value) / 1e6:,.1f}",
                               value=float(value) / 1e6, min=control.lo,
                               max=max(control.hi, float(value) / 1e6), step=control.step,
                               on_value=lambda v: on_value(round(float(v), 6) * 1e6),
                               thumb_label=True)
        elif control.kind in ("share", "number"):
            solara.SliderFloat(f"{control.label}: {float(value):g}", value=float(value),
                               min=control.lo,
                               max=control.hi, step=control.step,
                               on_value=lambda v: on_value(round(float(v), 6)),
                               thumb_label=True)
        elif control.kind == "switch":
            solara.Switch(label=control.label, value=bool(value), on_value=on_value)
        elif control.kind == "choice":
            solara.Select(control.label, values=list(control.choices), value=str(value),
                          on_value=on_value)
        else:  # a month, typed
            solara.InputText(control.label, value=str(value), on_value=on_value,
                             continuous_update=False)


@solara.component
def PolicyPanel(state: RunState) -> None:
    """Policy controls: they apply to the next run (Reset), or now via 'Apply now'."""
    update_counter.get()
    try:
        base = state.base()
    except ScenarioError as exc:
        Problems([str(exc)])
        return
    model = state.model.value
    edits = state.edits.value
    controls = controls_for(base)
    feedback = solara.use_reactive(("", ""))  # (kind, text)

    def set_edit(path: str, value: Any) -> None:
        state.edits.set({**state.edits.value, path: value})

    def apply_now() -> None:
        try:
            with model.lock:
                change = model.apply_policy(state.edits.value)
        except ScenarioError as exc:
            feedback.set(("error", f"Nothing applied: {exc}"))
            return
        if change is None:
            feedback.set(("info", "No control differs from the running model."))
            return
        parts = [change.text] if change.changes else []
        feedback.set(("ok", " ".join([*parts, *(f"({n})" for n in change.notes)])
                      or "Nothing applied."))
        force_update()

    pending = changed_edits(base, edits)
    with solara.Row(style={"align-items": "center", "gap": "12px", "flex-wrap": "wrap"}):
        solara.Button(f"Apply now, from {model.label}", on_click=apply_now, color="warning",
                      disabled=model.finished, classes=["pv-apply-now"])
        solara.Button("Clear edits", on_click=lambda: state.edits.set({}),
                      classes=["pv-clear-edits"])
        solara.Text(("Edited: " + "; ".join(describe(p, v) for p, v in pending.items()))
                    if pending else "No edits: controls show the scenario's values.",
                    classes=["pv-edit-summary"], style={"font-size": "13px"})
    kind, text = feedback.value
    if kind == "error":
        Problems([text])
    elif text:
        solara.Success(text, classes=["pv-apply-result"], dense=True)
    solara.Text("Controls apply to the next run when you press Reset. 'Apply now' changes "
                "the running model from the current month: budgets (what was spent stays "
                "spent), on/off, start dates of programmes not yet started, targeting, "
                "channel intensities and cadre visits/pressure; cadre capacity is drawn at "
                "set-up, so only the next run gets it.", style={"font-size": "13px"})

    def value(c: Control) -> Any:
        return edits.get(c.path, current_value(base, c.path))

    with solara.Columns([1, 1, 1]):
        for col in range(3):
            with solara.Column():
                for key in INSTRUMENTS[col::3]:
                    with solara.Card(key.replace("_", " "), margin=0,
                                     classes=[f"pv-instrument-{key.replace('_', '-')}"]):
                        for c in controls:
                            if c.group == f"instrument:{key}":
                                ControlInput(c, value(c), lambda v, p=c.path: set_edit(p, v))
    with solara.Columns([1, 1]):
        with solara.Card("Channel mix (intensity)", margin=0):
            for c in controls:
                if c.group == "channels":
                    ControlInput(c, value(c), lambda v, p=c.path: set_edit(p, v))
        with solara.Card("Cadres", margin=0):
            for c in controls:
                if c.group == "cadres":
                    ControlInput(c, value(c), lambda v, p=c.path: set_edit(p, v))


# ------------------------------------------------------------------------------ page
@solara.component
def Page() -> None:
    """The whole app: tabs for the visual run, the map, the policy panel, side by side."""
    run = solara.use_memo(RunState.create, [])
    compare = solara.use_memo(CompareState.create, [])
    tab = solara.use_reactive(0)
    solara.Title("povsim")
    with solara.Column(style={"padding": "8px 12px"}, classes=["pv-app"]):
        with solara.Row(style={"align-items": "baseline", "gap": "16px"}):
            solara.Text("povsim", style={"font-size": "22px", "font-weight": "600"})
            solara.Text("poverty-alleviation policy: rollout, take-up and sustainability",
                        style={"color": "#555"})
        with solara.v.Tabs(v_model=tab.value, on_v_model=tab.set, class_="pv-tabs"):
            for name in TABS:
                solara.v.Tab(children=[name])
        with solara.Row(style={"align-items": "flex-start", "gap": "12px"}):
            with solara.Column(style={"width": "330px", "min-width": "330px"}):
                # Both panels stay mounted (the other one hidden): unmounting Mesa's
                # controller while it plays would leave its play loop running unseen.
                hidden = {"display": "none"}
                with solara.Div(classes=["pv-run-panel"], style=hidden if tab.value == 3 else {}):
                    RunSettings(run)
                with solara.Div(classes=["pv-compare-panel"],
                                style={} if tab.value == 3 else hidden):
                    CompareSettings(compare, run.edits.value)
            with solara.Column(style={"flex": "1", "min-width": "0"}):
                if tab.value < 3:
                    KeyFigures(run.model.value)
                if tab.value == 0:
                    Dashboard(run.model.value)
                elif tab.value == 1:
                    MapView(run)
                elif tab.value == 2:
                    PolicyPanel(run)
                elif compare.model.value is not None:
                    CompareView(compare.model.value)
                else:
                    solara.Info("Choose two to four runs.")

