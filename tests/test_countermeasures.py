"""The countermeasure library (scenarios/countermeasures/): every overlay cites a seed
passage that exists, applies to every regional archetype and runs; `scale:` and
`per_household:` resolve against the archetype; the CLI `--base` form works."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from simulation.cli import main
from simulation.runs.runner import run
from simulation.scenario import (
    ScenarioError,
    build,
    deep_merge,
    load_raw,
    load_scenario,
    resolve,
    scenarios_dir,
)
from tests.conftest import seeds_dir

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"
OVERLAYS = sorted((scenarios_dir() / "countermeasures").glob("*.yaml"))
ARCHETYPES = ["demo", "liangshan", "changting", "yunnan"]
CITE = re.compile(r'^# Seed: (\d{3})(?: §([\d.]+))? "([^"]+)"(?: \(l\.(\d+)\))?\s*$', re.M)


def norm(text: str) -> str:
    return " ".join(text.replace("*", " ").replace("#", " ").split()).lower()


def on_base(overlay: Path, base: str, households: int = 400):
    data = deep_merge(load_raw(resolve(base)), load_raw(overlay))
    data["households"] = households
    return build(data, f"{overlay} on {base}")


def test_library_covers_every_seed_recommendation():
    prefixes = [p.name[:5] for p in OVERLAYS]
    assert sum(p.startswith("000-5") for p in prefixes) == 4
    assert sum(p.startswith("001-") for p in prefixes) == 4
    assert sum(p.startswith("002-4") for p in prefixes) == 5
    assert sum(p.startswith("003-") for p in prefixes) >= 4
    assert sum(p.startswith("004-4") for p in prefixes) == 8


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.stem for p in OVERLAYS])
def test_header_cites_a_seed_passage_that_exists(overlay):
    text = overlay.read_text(encoding="utf-8")
    found = CITE.findall(text)
    assert found, f"{overlay.name}: no '# Seed: NNN [§x.y] \"heading\" [(l.N)]' line"
    assert re.search(r"^# Assumptions:", text, re.M), f"{overlay.name}: no assumptions line"
    data = yaml.safe_load(text)
    assert data.get("name") and data.get("description"), overlay.name
    assert "extends" not in data, f"{overlay.name}: overlays must not extend an archetype"
    sources = SOURCES.read_text(encoding="utf-8") if SOURCES.exists() else ""
    for seed, section, quote, line in found:
        files = list(seeds_dir().glob(f"{seed}_*.txt"))
        assert len(files) == 1, f"{overlay.name}: no seed file {seed}"
        lines = files[0].read_text(encoding="utf-8").splitlines()
        hits = [i + 1 for i, ln in enumerate(lines) if norm(quote) in norm(ln)]
        assert hits, f"{overlay.name}: {quote!r} is not in seed {seed}"
        if section:
            numbered = [i for i in hits if re.match(rf"^[#* ]*{re.escape(section)}\.?\s",
                                                    lines[i - 1])]
            assert numbered or f"{seed} §{section}" in sources, (
                f"{overlay.name}: §{section} {quote!r} is not a heading of seed {seed}")
        if line:
            assert any(abs(h - int(line)) <= 3 for h in hits), (
                f"{overlay.name}: {quote!r} is not near line {line} of seed {seed}")


@pytest.mark.parametrize("base", ARCHETYPES)
@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.stem for p in OVERLAYS])
def test_overlay_applies_to_every_archetype_and_runs(overlay, base):
    scenario = on_base(overlay, base)
    result = run(scenario, seed=1)
    df = result.monthly
    assert len(df) == scenario.months == 144
    assert df["income_poverty_incidence"].between(0, 1).all()
    assert df["cumulative_spending"].iloc[-1] > 0


def test_scale_and_per_household_resolve_against_the_archetype():
    overlay = {"scale": {"instruments.publicity.budget": 2.0,
                         "cadres.visits_per_month": 1.5},
               "per_household": {"actors.partner_city.budget": 700}}
    for base in ("demo", "liangshan"):
        ref = load_scenario(base)
        got = build(deep_merge(load_raw(resolve(base)), overlay))
        assert got.instruments.publicity.budget == pytest.approx(
            2.0 * ref.instruments.publicity.budget)
        assert got.cadres.visits_per_month == pytest.approx(1.5 * ref.cadres.visits_per_month)
        assert got.actors.partner_city.budget == pytest.approx(
            700 * ref.region.households_represented)


def test_overrides_come_after_scale(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("extends: demo\nscale: {instruments.publicity.budget: 2.0}\n")
    assert load_scenario(path).instruments.publicity.budget == pytest.approx(
        2.0 * load_scenario("demo").instruments.publicity.budget)
    assert load_scenario(path, ["instruments.publicity.budget=5"]).instruments.publicity.budget \
        == 5


@pytest.mark.parametrize(("block", "message"), [
    ({"scale": {"instruments.publicity.budgte": 2}}, "no such field"),
    ({"scale": {"instruments.publicity.budget": "x"}}, "expected a number"),
    ({"scale": {"instruments.publicity.channels": 2}}, "can only adjust a number"),
    ({"per_household": {"actors.partner_city.budget": -1}}, ">= 0"),
    ({"scale": [1, 2]}, "expected a mapping"),
])
def test_adjustment_errors_name_file_and_field(tmp_path, block, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"extends": "demo", **block}))
    with pytest.raises(ScenarioError, match=re.escape(message)) as err:
        load_scenario(path)
    assert "bad.yaml" in str(err.value) and "field '" in str(err.value)


def test_cli_base_form_runs_a_countermeasure_on_an_archetype(tmp_path):
    overlay = scenarios_dir() / "countermeasures" / "002-4.5-east-west-collaboration.yaml"
    out = tmp_path / "run"
    code = main(["run", str(overlay), "--base", "liangshan", "--households", "300",
                 "--seed", "2", "--out", str(out), "--quiet"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total_spending"] > 0
    written = yaml.safe_load((out / "scenario.yaml").read_text())
    assert written["name"] == "cm-002-4.5-east-west@liangshan"
    assert written["actors"]["partner_city"]["budget"] == pytest.approx(700 * 1_200_000)


def test_extends_form_equals_the_base_form(tmp_path):
    overlay = "countermeasures/004-4.8-assistance-synergy"
    path = tmp_path / "combo.yaml"
    path.write_text(f"extends: [liangshan, {overlay}]\nhouseholds: 400\n")
    via_extends = load_scenario(path)
    via_base = on_base(scenarios_dir() / f"{overlay}.yaml", "liangshan")
    assert via_extends.model_dump() == via_base.model_dump()
