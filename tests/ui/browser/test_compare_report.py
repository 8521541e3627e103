"""The comparison report opens in headless Chromium without errors, its figures decode and
the tables the browser shows are the stored tables (tables/*.csv)."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from simulation.comparison.compare import compare
from simulation.comparison.report import read_tables, write_report
from tests.comparison.test_compare_report import check_table_against_csv
from tests.conftest import small

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("compare_report_browser")]

# The DOM of every report table: stored value, kind, unit and text per cell (textContent,
# since the replicates table sits in a closed <details> and innerText skips hidden cells).
TABLES_JS = """() => Array.from(document.querySelectorAll('table[data-source]')).map(t => ({
    name: t.id.replace('table-', ''), source: t.dataset.source,
    rows: Array.from(t.querySelectorAll('tbody tr')).map(tr => [Number(tr.dataset.row),
        Array.from(tr.querySelectorAll('td')).map(td => ({
            'data-col': td.dataset.col, 'data-kind': td.dataset.kind,
            'data-unit': td.dataset.unit, 'data-value': td.dataset.value,
            text: td.textContent.trim()}))])}))"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def served_report(tmp_path_factory):
    """A small comparison's report, served from 127.0.0.1 (the page fixture blocks file://)."""
    out: Path = tmp_path_factory.mktemp("compare-browser") / "report"
    base = small(households=400, months=96)
    cms = [small({"name": "more_credit", "instruments.microcredit.budget": 1e8},
                 households=400, months=96),
           small({"name": "more_assistance", "instruments.minimum_living.budget": 1.2e9},
                 households=400, months=96)]
    write_report(compare(base, cms, replicates=3, executor="serial"), out)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_report_opens_without_errors_and_tables_match(served_report, page, page_problems,
                                                      save_screenshot):
    out, url = served_report
    page.goto(f"{url}/report.html", wait_until="load")
    assert page.title().startswith("Countermeasures compared with demo")
    # every embedded figure decoded to a real image
    sizes = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(sizes) == 4 and all(c and w > 500 and h > 300 for c, w, h in sizes), sizes
    # the ranking states its criterion, the page names the seeds and the model version
    body = page.inner_text("body")
    assert "Criterion:" in body and "Seeds: 1, 2, 3" in body and "povsim " in body
    tables = page.evaluate(TABLES_JS)
    stored = read_tables(out, "csv")
    names = {t["name"] for t in tables}
    assert {"ranking", "headline", "periods", "deciles", "winners_losers", "groups",
            "cost_effectiveness", "arms", "replicates"} <= names
    checked = 0
    for t in tables:
        assert t["source"] == f"tables/{t['name']}.csv"
        rows = [(i, cells) for i, cells in t["rows"]]
        checked += check_table_against_csv(t["name"], rows, stored[t["name"]])
    assert checked > 300
    # the headline as shown agrees with the Parquet copy as well
    headline = pd.read_parquet(out / "tables" / "headline.parquet")
    shown = next(t for t in tables if t["name"] == "headline")
    assert len(shown["rows"]) == len(headline)
    save_screenshot(page, "compare-report")
    page_problems.assert_none(f"on {url}/report.html")
