"""`povsim compare` end to end: the report, its stored tables and its provenance agree."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.comparison.report import display_scale, parse_display, read_tables


class TableParser(HTMLParser):
    """Cells of every <table id="table-NAME" data-source=...> as dicts of attributes+text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table: dict | None = None
        self._row: list | None = None
        self._cell: dict | None = None
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-source" in a:
            self._table = {"source": a["data-source"], "rows": []}
            self.tables[a["id"].removeprefix("table-")] = self._table
        elif tag == "tr" and self._table is not None and "data-row" in a:
            self._row = []
            self._table["rows"].append((int(a["data-row"]), self._row))
        elif tag == "td" and self._row is not None:
            self._cell = {**a, "text": ""}
        elif tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(self._cell)  # type: ignore[union-attr]
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        self.text.append(data)


def check_table_against_csv(name: str, rows: list, csv: pd.DataFrame) -> int:
    """Every cell's stored value equals the CSV; its displayed text rounds to it."""
    assert len(rows) == len(csv), name
    checked = 0
    for i, cells in rows:
        record = csv.iloc[i]
        for cell in cells:
            col, kind, value = cell["data-col"], cell["data-kind"], cell["data-value"]
            stored = record[col]
            if kind == "text":
                expected = "nan" if pd.isna(stored) else str(stored)
                assert value == expected or (pd.isna(stored) and value in ("nan", "None")), \
                    (name, i, col, value, stored)
                continue
            if kind == "bool":
                assert value == str(bool(stored)), (name, i, col)
                continue
            v = float(value)
            if pd.isna(stored):
                assert math.isnan(v) and cell["text"] == "n/a", (name, i, col)
                continue
            assert v == pytest.approx(float(stored), rel=1e-12, abs=1e-12), (name, i, col)
            shown = parse_display(cell["text"])
            if kind == "p":
                tol = 1e-4 if cell["text"].startswith("<") else 0.5e-4
                assert abs(shown - v) <= tol + 1e-12 or (v < 1e-4 and shown == 0.0)
            else:
                scale = display_scale(cell["data-unit"])
                decimals = len(cell["text"].split(".")[1].rstrip("%p ")) if "." in \
                    cell["text"] else 0
                assert abs(shown - v * scale) <= 0.5 * 10 ** -decimals + 1e-9 * abs(v * scale), \
                    (name, i, col, cell["text"], v)
            checked += 1
    return checked


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("compare")
    a = tmp / "more_credit.yaml"
    a.write_text("name: more_credit\ninstruments:\n  microcredit: {budget: 1.0e8}\n")
    b = tmp / "late_training.yaml"
    b.write_text("name: late_training\ninstruments:\n  skills_training:\n"
                 "    budget: 5.0e7\n    start: '2016-01'\n")
    out = tmp / "report"
    code = main(["compare", "demo", str(a), str(b), "--replicates", "3", "--households",
                 "400", "--set", "months=96", "--executor", "serial", "--out", str(out),
                 "--quiet"])
    assert code == 0
    return out


def test_report_tables_match_stored_csv_and_parquet(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    parser = TableParser()
    parser.feed(html)
    csv = read_tables(report, "csv")
    parquet = read_tables(report, "parquet")
    assert set(csv) == set(parquet) >= {"headline", "periods", "deciles", "winners_losers",
                                        "groups", "ranking", "cost_effectiveness",
                                        "trajectories", "replicates", "arms"}
    for name in csv:
        pd.testing.assert_frame_equal(csv[name], parquet[name], check_dtype=False,
                                      check_exact=False, rtol=1e-12, obj=name)
    assert {"headline", "periods", "deciles", "winners_losers", "groups", "ranking",
            "cost_effectiveness", "arms", "replicates"} <= set(parser.tables)
    total = 0
    for name, table in parser.tables.items():
        assert table["source"] == f"tables/{name}.csv"
        total += check_table_against_csv(name, table["rows"], csv[name])
    assert total > 300
    # figures are embedded, not linked
    assert len(parser.images) == 4 and all(s.startswith("data:image/png;base64,")
                                           for s in parser.images)
    for png in ("trajectories", "smith", "cost_effectiveness", "deciles"):
        assert (report / "figures" / f"{png}.png").stat().st_size > 10_000


def test_report_records_version_scenarios_and_seeds(report):
    meta = json.loads((report / "meta.json").read_text())
    html = (report / "report.html").read_text(encoding="utf-8")
    assert meta["seeds"] == [1, 2, 3] and meta["pairing"] == "crn"
    assert meta["model_version"] and meta["model_version"] in html
    assert "Seeds: 1, 2, 3" in html
    arms = pd.read_csv(report / "tables" / "arms.csv")
    assert list(arms["arm"]) == ["demo", "more_credit", "late_training"]
    for h in arms["scenario_hash"]:
        assert h in html
    for arm in arms["arm"]:
        text = (report / "scenarios" / f"{arm}.yaml").read_text()
        assert "instruments:" in text
    assert "budget: 100000000.0" in (report / "scenarios" / "more_credit.yaml").read_text()
    # the periods table separates the push to 2020 from the transition after it
    periods = pd.read_csv(report / "tables" / "periods.csv")
    assert set(periods["period"]) == {"push to 2020", "transition"}
    assert "Criterion:" in html and "lower is better" in html


def test_compare_cli_with_base_and_errors(tmp_path, capsys):
    cm = tmp_path / "cm.yaml"
    cm.write_text("instruments:\n  publicity: {budget: 2.0e7}\n")
    out = tmp_path / "r"
    assert main(["compare", "--base", "demo", str(cm), "--replicates", "2", "--households",
                 "300", "--set", "months=30", "--executor", "serial", "--out", str(out),
                 "--quiet", "--rank-by", "income_pc_end"]) == 0
    ranking = pd.read_csv(out / "tables" / "ranking.csv")
    assert list(ranking["countermeasure"]) == ["cm"]
    assert ranking["criterion"].iloc[0] == "income_pc_end"
    assert "Ranking by Per-capita income" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("instruments:\n  microcredit: {budget: lots}\n")
    assert main(["compare", "demo", str(bad), "--replicates", "2", "--quiet"]) == 2
    said = capsys.readouterr().err
    assert "bad.yaml" in said and "instruments.microcredit.budget" in said
    assert main(["compare", "demo", "--replicates", "2", "--quiet"]) == 2
    assert main(["compare", "--base", "demo", str(cm), "--replicates", "2", "--quiet",
                 "--dates", "1999-01", "--executor", "serial", "--households", "200",
                 "--set", "months=12"]) == 2
    assert "outside the run" in capsys.readouterr().err


def test_compare_library_overlays_on_an_archetype(tmp_path):
    """The library's overlays apply to an archetype through --base (two of them, tiny)."""
    library = sorted(Path("scenarios/countermeasures").glob("003-transition-*.yaml"))
    assert len(library) >= 2, "the countermeasure library's transition overlays are missing"
    out = tmp_path / "lib"
    assert main(["compare", "--base", "liangshan", *map(str, library[:2]), "--replicates",
                 "2", "--households", "300", "--executor", "serial", "--out", str(out),
                 "--quiet"]) == 0
    arms = pd.read_csv(out / "tables" / "arms.csv")
    assert list(arms["role"]) == ["baseline"] + ["countermeasure"] * 2
    assert arms["scenario_hash"].nunique() == 3  # the overlays really changed the scenario
    periods = pd.read_csv(out / "tables" / "periods.csv")
    assert set(periods["period"]) == {"push to 2020", "transition"}
    assert (arms["households"] == 300).all()
