"""The side-by-side view: two to four runs of one archetype stepped together (same seed),
their curves on shared axes and the table of differences now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import solara
from mesa.visualization.utils import update_counter

from simulation.scenario import (
    ScenarioError,
    load_raw,
    load_scenario,
    resolve,
)
from simulation.ui import charts
from simulation.ui.session import (
    BASELINE,
    DEFAULT_HOUSEHOLDS,
    DEFAULT_SCENARIO,
    EDITED,
    MAX_RUNS,
    ComparisonModel,
    InputError,
    bundled_names,
    comparison_setups,
    countermeasure_names,
    countermeasure_on,
    csv_bytes,
    difference_table,
    parse_households,
    parse_seed,
)
from simulation.ui.widgets import Controller, LineCharts, Problems


@dataclass
class CompareState:
    """Per-session state of the side-by-side view."""

    archetype: solara.Reactive[str]
    chosen: solara.Reactive[list[str]]
    seed_text: solara.Reactive[str]
    households_text: solara.Reactive[str]
    model: solara.Reactive[ComparisonModel | None]
    params: solara.Reactive[dict[str, Any]]

    @classmethod
    def create(cls, name: str = DEFAULT_SCENARIO) -> CompareState:
        chosen = [BASELINE, EDITED]
        archetype = load_scenario(name)
        for option in countermeasure_names():  # the first that applies to the archetype
            try:
                countermeasure_on(archetype, option)
            except ScenarioError:
                continue
            chosen = [BASELINE, option]
            break
        return cls(archetype=solara.reactive(name), chosen=solara.reactive(chosen),
                   seed_text=solara.reactive("1"),
                   households_text=solara.reactive(str(DEFAULT_HOUSEHOLDS)),
                   model=solara.reactive(None), params=solara.reactive({}))

    def pending(self, edits: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        try:
            seed = parse_seed(self.seed_text.value)
            households = parse_households(self.households_text.value)
            archetype = load_scenario(self.archetype.value)
            setups = comparison_setups(archetype, self.chosen.value, edits, households)
        except (InputError, ScenarioError) as exc:
            return None, [str(exc)]
        return {"setups": setups, "seed": seed}, []


# ----------------------------------------------------------------------- side by side
@solara.component
def CompareSettings(state: CompareState, edits: dict[str, Any]) -> None:
    """Archetype, which runs, seed and households; Mesa's controls run them in lockstep."""
    params, problems = state.pending(edits)

    def sync() -> None:
        if params is not None:
            state.params.set(params)
            if state.model.value is None:
                state.model.set(ComparisonModel(**params))

    solara.use_effect(sync, [state.archetype.value, tuple(state.chosen.value),
                             state.seed_text.value, state.households_text.value,
                             tuple(sorted(edits.items(), key=str))])

    with solara.Card("Side by side", classes=["pv-compare-settings"], margin=0):
        solara.Select("Archetype", values=bundled_names(), value=state.archetype,
                      classes=["pv-archetype"])
        solara.SelectMultiple(f"Runs: 2 to {MAX_RUNS} (same seed, stepped together)",
                              values=state.chosen,
                              all_values=[BASELINE, *countermeasure_names(), EDITED],
                              classes=["pv-run-options"])
        with solara.Div(style={"font-size": "12px", "color": "#444"}):
            for option in state.chosen.value:
                solara.Text(f"{option}: {describe_option(option)}",
                            style={"display": "block", "margin-bottom": "4px"})
        solara.InputText("Seed", value=state.seed_text, continuous_update=False,
                         classes=["pv-compare-seed"])
        solara.InputText("Households", value=state.households_text,
                         continuous_update=False, classes=["pv-compare-households"])
        Problems(problems, "Not applied: ")
        running = state.model.value
        with solara.Div():  # always there: the controls below never shift (or remount)
            if params is not None and running is not None and (
                    [s.content_hash() for _, s in params["setups"]]
                    != [r.config.content_hash() for r in running.runs]
                    or params["seed"] != running.seed_value):
                solara.Info("Settings changed: press Reset to run them.", dense=True,
                            classes=["pv-pending"])
        with solara.Div():
            if running is not None:
                Controller(state.model, state.params, play_interval=150)


def describe_option(option: str) -> str:
    """One line on what a side-by-side option is (a countermeasure's description)."""
    if option == BASELINE:
        return "the archetype with no countermeasure"
    if option == EDITED:
        return "the archetype with the edits of the Policy controls tab"
    try:
        raw = load_raw(resolve(option))
    except ScenarioError as exc:
        return str(exc).splitlines()[0]
    text = " ".join(str(raw.get("description", "")).split())
    return text[:160] + ("…" if len(text) > 160 else "")


@solara.component
def CompareView(model: ComparisonModel) -> None:
    """Shared-axes curves, the table of differences now, exports."""
    update_counter.get()
    solara.Text(f"{len(model.runs)} runs in lockstep, seed {model.seed_value}: "
                f"{model.month} months simulated" + (
                    f", latest {model.runs[0].series()['date'].iloc[-1]}"
                    if model.runs[0].month else ""), classes=["pv-compare-month"])
    panels = solara.use_memo(lambda: charts.comparison_panels(model), [id(model), model.month])
    with solara.Div(classes=["pv-compare-chart"]):
        LineCharts(panels=panels)
    table = difference_table(model)
    cell = "style='padding:3px 14px 3px 0;border-bottom:1px solid #e4e4e4;text-align:{}'"
    head = "".join(f"<th {cell.format('left')}>{c}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td {cell.format('left' if i == 0 else 'right')}>{v}</td>"
                                    for i, v in enumerate(row)) + "</tr>"
                   for row in table.itertuples(index=False))
    solara.HTML(tag="div", classes=["pv-compare-table"], unsafe_innerHTML=(
        "<table style='border-collapse:collapse;font-size:14px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "<div style='font-size:12px;color:#555'>In brackets: difference from the first "
        "run at the current month (pp = percentage points).</div>"))
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: csv_bytes(model.series()),
                            filename=f"side-by-side-seed{model.seed_value}.csv",
                            label="Series as CSV")
        for name, text in model.scenario_yamls().items():
            solara.FileDownload(text, filename=name, label=name)
