"""The web app's controls and state, server-side (no browser): solara.render + widget tree.

Also the parts of simulation.ui.session that the controls rely on: mid-run policy changes
(what changes, what is refused, the budget ledger), lockstep comparison and the exports.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara
from mesa.visualization.solara_viz import _build_model_init_kwargs

from simulation.scenario import ScenarioError, load_scenario
from simulation.ui import session
from simulation.ui.components import Page, css_name
from simulation.ui.session import (
    BASELINE,
    CAPACITY,
    EDITED,
    AppModel,
    ComparisonModel,
    InputError,
    comparison_setups,
    difference_table,
    parse_households,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# ------------------------------------------------------------------ widget-tree helpers
_contexts: list = []


def render_page():
    box, rc = solara.render(Page(), handle_error=False)
    _contexts.append(rc)
    return rc


def button(rc, text: str, panel: str = "pv-run-panel"):
    """A button; Mesa's Reset/Step/▶ exist in both panels, so those are looked up in one
    (the visual run's unless `panel` says otherwise)."""
    scope = rc.find(v.Html, class_=panel) if text in ("Reset", "Step", "▶") else rc
    found = scope.find(v.Btn, children=[text])
    found.assert_single()
    return found.widget


def text_of(rc, cls: str) -> str:
    found = rc.find(v.Html, class_=cls)
    found.assert_single()
    return found.widget.children[0]


def text_field(rc, label: str, panel: str = "pv-run-panel"):
    found = rc.find(v.Html, class_=panel).find(v.TextField, label=label)
    found.assert_single()
    return found.widget


def type_into(field, value: str) -> None:
    """As a user would: type, then leave the field (InputText updates on focusout)."""
    field.v_model = value
    field.fire_event("focusout", None)


def control(rc, path: str, widget_class=v.Slider):
    box = rc.find(v.Html, class_=f"pv-control {css_name(path)}")
    box.assert_single()
    return box.find(widget_class).widget


def errors(rc) -> list[str]:
    return ["".join(str(c) for c in w.children) for w in rc.find(v.Alert).widgets
            if w.type == "error"]


def switch_tab(rc, index: int) -> None:
    rc.find(v.Tabs).widget.v_model = index


def model_of(rc) -> AppModel:
    """The page's running model: the last AppModel created (see _track_models)."""
    return _models[-1]


_models: list[AppModel] = []


@pytest.fixture(autouse=True)
def _track_models(monkeypatch):
    """Record every AppModel the page creates (the page keeps them in session state)."""
    _models.clear()
    original = AppModel.__init__

    @functools.wraps(original)  # Mesa's reset reads the signature: keep the real one
    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _models.append(self)

    monkeypatch.setattr(AppModel, "__init__", init)
    yield
    # Outside a server every page shares Mesa's update_counter: close them, or a later
    # test's step would re-render every earlier test's page too.
    while _contexts:
        _contexts.pop().close()


# --------------------------------------------------------------------------- the page
def test_step_advances_month_and_redraws_charts():
    rc = render_page()
    assert "0 of 144 months simulated" in text_of(rc, "pv-month")
    panels = _dashboard(rc).panels
    assert len(panels) == 8 and panels[0]["lines"][0]["points"] == ""  # nothing yet
    step = button(rc, "Step")
    step.click()
    step.click()
    assert "2 of 144 months simulated, latest 2014-02" in text_of(rc, "pv-month")
    panels = _dashboard(rc).panels
    assert [p["title"] for p in panels][:2] == ["Poverty incidence (% of people)",
                                                "Income by source (yuan/person/yr)"]
    assert len(panels[0]["lines"][0]["points"].split()) == 2  # two months, two points
    assert len(panels[1]["areas"]) == 6  # income sources stacked (households.Source)
    assert model_of(rc).month == 2


def _dashboard(rc):
    found = [w for w in rc.find(v.Html, class_="pv-dashboard").find(v.VuetifyTemplate).widgets
             if hasattr(w, "panels")]
    assert len(found) == 1
    return found[0]


def test_each_page_has_its_own_model():
    """Two sessions (two rendered pages) never share a run."""
    one, two = render_page(), render_page()
    assert len(_models) == 2 and _models[0] is not _models[1]
    button(one, "Step").click()
    assert _models[0].month == 1 and _models[1].month == 0
    assert "0 of 144" in text_of(two, "pv-month")


def test_slider_change_applies_to_next_run_only():
    rc = render_page()
    first = model_of(rc)
    switch_tab(rc, 2)
    slider = control(rc, "instruments.infrastructure.budget")
    slider.v_model = 0.0
    # the running model is untouched; the panel and the run card say what is pending
    assert first.config.instruments.infrastructure.budget == 250e6
    assert "infrastructure budget = 0.0 M yuan" in text_of(rc, "pv-edit-summary")
    assert rc.find(v.Alert, class_="pv-pending").widgets
    button(rc, "Reset").click()
    second = model_of(rc)
    assert second is not first
    assert second.config.instruments.infrastructure.budget == 0.0
    assert second.instruments["infrastructure"].budget == 0.0
    assert not rc.find(v.Alert, class_="pv-pending").widgets
    for _ in range(3):
        button(rc, "Step").click()
    assert second.series()["spending_infrastructure"].sum() == 0.0
    reference = AppModel(load_scenario("demo", households=3000), 1)
    for _ in range(3):
        reference.step()
    assert reference.series()["spending_infrastructure"].sum() > 0


def test_invalid_households_shows_message_and_app_keeps_working():
    rc = render_page()
    type_into(text_field(rc, "Households"), "abc")
    msgs = errors(rc)
    assert any("Households: expected a whole number from 10 to 50,000, got 'abc'" in m
               for m in msgs), msgs
    assert text_field(rc, "Households").error
    button(rc, "Step").click()  # still steps the current run
    assert "1 of 144" in text_of(rc, "pv-month")
    button(rc, "Reset").click()  # Reset keeps the last valid settings
    assert model_of(rc).households.n == 3000
    type_into(text_field(rc, "Households"), "1,500")
    assert not errors(rc)
    button(rc, "Reset").click()
    assert model_of(rc).households.n == 1500


def test_invalid_start_month_names_the_field_and_nothing_changes():
    rc = render_page()
    switch_tab(rc, 2)
    field = control(rc, "instruments.tourism.start", v.TextField)
    type_into(field, "2016-13")
    msgs = errors(rc)
    assert any("instruments.tourism.start" in m and "month must be 01..12" in m for m in msgs)
    button(rc, "Step").click()
    assert "1 of 144" in text_of(rc, "pv-month")
    before = model_of(rc).config
    button(rc, "Apply now, from 2014-02").click()
    assert model_of(rc).config is before
    assert any("Nothing applied" in m and "instruments.tourism.start" in m
               for m in errors(rc))


def test_apply_now_changes_running_model_and_marks_charts():
    rc = render_page()
    model = model_of(rc)
    for _ in range(3):
        button(rc, "Step").click()
    switch_tab(rc, 2)
    control(rc, "instruments.microcredit.budget").v_model = 100.0
    control(rc, "channels.short_video.intensity").v_model = 0.9
    button(rc, "Apply now, from 2014-04").click()
    assert model_of(rc) is model  # the same run, changed
    assert len(model.policy_changes) == 1
    change = model.policy_changes[0]
    assert change.month == 3 and change.label == "2014-04"
    assert model.config.instruments.microcredit.budget == 100e6
    assert model.instruments["microcredit"].budget == pytest.approx(100e6 * model.scale)
    assert model.config.channels["short_video"].intensity == 0.9
    result = rc.find(v.Alert, class_="pv-apply-result").widget
    assert "microcredit budget = 100.0 M yuan" in str(result.children)
    switch_tab(rc, 0)
    listing = rc.find(v.Html, class_="pv-change-list")
    listing.assert_single()
    assert "2014-04: microcredit budget = 100.0 M yuan" in str(listing.widget.children)
    for p in _dashboard(rc).panels:  # a dashed line at April 2014 on every chart
        assert [m[1] for m in p["markers"]] == ["policy change"]


def test_scenario_choice_and_seed_apply_at_reset():
    rc = render_page()
    rc.find(v.Select, label="Scenario").widget.v_model = "liangshan"
    type_into(text_field(rc, "Seed"), "7")
    assert model_of(rc).config.name == "demo"
    button(rc, "Reset").click()
    model = model_of(rc)
    assert model.config.name == "liangshan" and model.seed_value == 7
    assert model.households.n == 3000


def test_yaml_file_by_path_loads_and_bad_file_is_reported(tmp_path):
    good = tmp_path / "mine.yaml"
    good.write_text("extends: demo\nname: mine\nhouseholds: 800\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: demo\nname: bad\nmonths: -3\n")
    rc = render_page()
    path = text_field(rc, "or a path on this machine")
    type_into(path, str(bad))
    button(rc, "Load").click()
    assert any("field 'months'" in m for m in errors(rc))
    type_into(path, str(good))
    button(rc, "Load").click()
    assert not errors(rc)
    assert rc.find(v.Select, label="Scenario").widget.v_model == "(loaded YAML file)"
    button(rc, "Reset").click()
    assert model_of(rc).config.name == "mine"
    assert model_of(rc).households.n == 800


def test_map_click_shows_household_and_village():
    rc = render_page()
    button(rc, "Step").click()
    switch_tab(rc, 1)
    vue_map = _village_map(rc)
    assert len(vue_map.households) == 3000
    states = {row[3] for row in vue_map.households}
    assert states <= {0, 1, 2, 3} and 1 in states
    vue_map._event_callbacks["select_household"](42)
    village = int(model_of(rc).households.village[42])
    rc.find(v.CardTitle, children=[f"Household 42 (village {village})"]).assert_single()
    vue_map = _village_map(rc)
    assert vue_map.selected_household == 42 and vue_map.selected_village == village
    vue_map._event_callbacks["select_village"](5)
    rc.find(v.CardTitle, children=["Village 5"]).assert_single()
    assert _village_map(rc).selected_village == 5


def _village_map(rc):
    found = [w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "households")]
    assert len(found) == 1, found
    return found[0]


def test_side_by_side_runs_in_lockstep_with_a_table():
    rc = render_page()
    switch_tab(rc, 3)
    assert rc.find(v.Html, class_="pv-run-panel").widget.style_ == "display:none;"
    month = rc.find(v.Html, class_="pv-compare-month")
    month.assert_single()
    assert "2 runs in lockstep, seed 1: 0 months" in month.widget.children[0]
    button(rc, "Step", "pv-compare-panel").click()
    button(rc, "Step", "pv-compare-panel").click()
    assert model_of(rc).month == 0  # the visual run did not move
    assert "2 months simulated, latest 2014-02" in (
        rc.find(v.Html, class_="pv-compare-month").widget.children[0])
    tables = [w for w in rc.find(solara.widgets.HTML).widgets
              if w.attributes.get("class") == "pv-compare-table"]
    assert len(tables) == 1
    html = tables[0].unsafe_innerHTML
    assert "<th style='padding:3px 14px 3px 0;border-bottom:1px solid #e4e4e4;text-align:left'>" \
        "baseline</th>" in html
    assert html.count("<tr>") == 1 + len(session.COMPARE_ROWS)
    assert "Income-poverty incidence" in html
    assert "(+" in html or "(−" in html or "(±" in html  # differences from the first run


# ----------------------------------------------------------------- session functions
def test_parse_households_messages():
    assert parse_households(" 2,500 ") == 2500
    for bad, expect in (("abc", "got 'abc'"), ("5", "got 5"), ("2.5", "got '2.5'"),
                        ("60000", "got 60,000")):
        with pytest.raises(InputError, match="Households: expected a whole number") as e:
            parse_households(bad)
        assert expect in str(e.value)


def test_dropped_yaml_text_resolves_extends_and_reports_errors():
    """What the file drop zone does with a file's bytes (load_yaml_text)."""
    s = session.load_yaml_text("extends: liangshan\nname: dropped\nhouseholds: 700\n",
                               "dropped.yaml")
    assert s.name == "dropped" and s.households == 700
    assert s.region.villages == load_scenario("liangshan").region.villages
    with pytest.raises(ScenarioError, match=r"dropped\.yaml: not valid YAML"):
        session.load_yaml_text("households: [1, 2", "dropped.yaml")
    with pytest.raises(ScenarioError, match="field 'households'"):
        session.load_yaml_text("households: lots\n", "dropped.yaml")


def test_mid_run_budget_keeps_the_ledger_and_clamps_to_spent():
    model = AppModel(load_scenario("demo", households=1000), 3)
    for _ in range(20):
        model.step()
    inst = model.instruments["infrastructure"]
    spent = inst.budget - inst.remaining
    assert spent > 0
    change = model.apply_policy({"instruments.infrastructure.budget": 1.0})  # 1 yuan
    assert inst.budget == pytest.approx(spent) and inst.remaining == pytest.approx(0.0)
    assert any("already spent" in n for n in change.notes)
    for _ in range(3):
        model.step()
    assert inst.budget == pytest.approx(inst.delivered + inst.overhead + inst.remaining)
    assert model.series()["spending_infrastructure"].iloc[-3:].sum() == 0.0


def test_mid_run_refusals_change_nothing():
    model = AppModel(load_scenario("demo", households=500), 1)
    for _ in range(14):  # microcredit starts 2015-01 = month 12: already begun
        model.step()
    config = model.config
    with pytest.raises(ScenarioError, match="cannot move once a programme has begun"):
        model.apply_policy({"instruments.microcredit.start": "2016-01",
                            "instruments.tourism.budget": 1e6})
    with pytest.raises(ScenarioError, match="before the current month 2015-03"):
        model.apply_policy({"instruments.tourism.start": "2015-01"})
    assert model.config is config and not model.policy_changes
    change = model.apply_policy({"instruments.tourism.start": "2015-06", CAPACITY: 0.9})
    assert model.instruments["tourism"].first == 17
    assert "next run only" in change.notes[0]
    assert model.config.cadres.capacity == config.cadres.capacity
    assert model.apply_policy({"instruments.tourism.start": "2015-06"}) is None


def test_mid_run_change_only_affects_later_months():
    """Common random numbers: up to the change both runs are identical, then they part."""
    a = AppModel(load_scenario("demo", households=800), 5)
    b = AppModel(load_scenario("demo", households=800), 5)
    for _ in range(12):
        a.step()
        b.step()
    b.apply_policy({"instruments.minimum_living.enabled": False})
    for _ in range(12):
        a.step()
        b.step()
    sa, sb = a.series(), b.series()
    np.testing.assert_array_equal(sa["income_pc"][:12], sb["income_pc"][:12])
    assert sb["spending_minimum_living"].iloc[12:].sum() == 0
    assert sa["spending_minimum_living"].iloc[12:].sum() > 0


def test_mesa_reset_recreates_the_app_models_from_params():
    """Mesa's ModelController resets with type(model)(**kwargs); our names survive it."""
    scenario = load_scenario("demo", households=300)
    model = AppModel(scenario, 2)
    kwargs = _build_model_init_kwargs(model, {"setup": scenario, "seed": 4},
                                      add_scenario_when_empty=True,
                                      require_model_accepts_scenario=True)
    assert type(model)(**kwargs).seed_value == 4
    setups = comparison_setups(scenario, [BASELINE, EDITED], {}, 300)
    cmp = ComparisonModel(setups, 1)
    kwargs = _build_model_init_kwargs(cmp, {"setups": setups, "seed": 3},
                                      add_scenario_when_empty=True,
                                      require_model_accepts_scenario=True)
    assert type(cmp)(**kwargs).seed_value == 3


def test_lockstep_same_policy_gives_identical_runs_and_zero_differences():
    demo = load_scenario("demo")
    setups = comparison_setups(demo, [BASELINE, EDITED], {}, 600)
    cmp = ComparisonModel(setups, 9)
    for _ in range(6):
        cmp.step()
    assert [r.month for r in cmp.runs] == [6, 6]
    s0, s1 = (r.series() for r in cmp.runs)
    np.testing.assert_array_equal(s0["income_pc"], s1["income_pc"])
    table = difference_table(cmp)
    assert all("(±0" in cell for cell in table["edited"])
    edited = comparison_setups(demo, [BASELINE, EDITED],
                               {"instruments.minimum_living.budget": 0.0}, 600)
    cmp2 = ComparisonModel(edited, 9)
    for _ in range(6):
        cmp2.step()
    row = difference_table(cmp2).set_index("outcome").loc["Spending so far (yuan)"]
    assert "(−" in row["edited"]


def test_exports_are_yaml_the_cli_accepts_and_csv(tmp_path):
    demo = load_scenario("demo")
    setups = comparison_setups(demo, [BASELINE, EDITED],
                               {"instruments.microcredit.budget": 5e6}, 400)
    cmp = ComparisonModel(setups, 2)
    for _ in range(3):
        cmp.step()
    for name, text in cmp.scenario_yamls().items():
        path = tmp_path / name
        path.write_text(text)
        proc = subprocess.run([sys.executable, "-m", "simulation.cli", "validate", str(path)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        loaded = load_scenario(path)
        assert loaded.content_hash() in {s.content_hash() for _, s in setups}
    assert load_scenario(tmp_path / "run2-edited.yaml").instruments.microcredit.budget == 5e6
    csv = session.csv_bytes(cmp.series()).decode()
    assert csv.splitlines()[0].startswith("run,month,date")
    assert len(csv.splitlines()) == 1 + 2 * 3
    model = AppModel(load_scenario("demo", households=300), 1)
    model.step()
    model.apply_policy({"instruments.tourism.budget": 2e6})
    text = model.scenario_yaml()
    assert "#   2014-02: tourism budget = 2.0 M yuan" in text
    (tmp_path / "run.yaml").write_text(text)
    assert load_scenario(tmp_path / "run.yaml").content_hash() == (
        model.initial_config.content_hash())


def test_povsim_app_command_targets_localhost():  # served in tests/ui/browser/test_app.py
    from simulation.cli import build_parser
    from simulation.ui.cli import APP, command

    args = build_parser().parse_args(["app"])
    assert args.host == "127.0.0.1" and args.func.__name__ == "cmd_app"
    cmd = command(args.host, args.port)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and str(APP) in cmd
    assert APP.is_file()


def test_step_render_time_at_3000_households():
    """A step and the re-render of the visual run's charts, measured server-side."""
    rc = render_page()
    step = button(rc, "Step")
    step.click()  # warm-up: fonts, first figure
    walls, cpus = [], []
    for _ in range(8):
        w, c = time.perf_counter(), time.thread_time()
        step.click()
        cpus.append(time.thread_time() - c)
        walls.append(time.perf_counter() - w)
    assert model_of(rc).households.n == 3000
    report = (f"step + chart render at 3,000 households (demo), 8 steps: median wall "
              f"{np.median(walls):.3f} s, median CPU {np.median(cpus):.3f} s, max wall "
              f"{max(walls):.3f} s\n")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "app-step-timing.txt").write_text(report)
    print(report)
    assert np.median(cpus) < 0.25, report
