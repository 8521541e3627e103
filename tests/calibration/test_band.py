"""`povsim band`: the posterior predictive band of a scenario's monthly series, and the app
chart that shades it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.calibration.band import (
    BAND_COLUMNS,
    BandFileError,
    band_lines,
    band_scenario,
    predictive_band,
    read_band,
    write_band,
)
from simulation.cli import main
from simulation.comparison.posterior import load_posterior, with_draw
from simulation.runs.runner import run
from simulation.ui import charts
from tests.comparison.test_compare_posterior import write_posterior

PARAMS = [{"name": "income_median", "path": "population.income_median", "low": 2500.0,
           "high": 9000.0},
          {"name": "budgets", "scale": ["instruments.*.budget"], "low": 0.2, "high": 2.0}]


@pytest.fixture
def posterior(tmp_path):
    path = write_posterior(tmp_path / "posterior.parquet", PARAMS,
                           {"income_median": [3000.0, 6000.0, 4500.0],
                            "budgets": [1.0, 1.5, 1.2]})
    return path


def test_band_is_the_quantiles_of_the_draws_runs_over_the_whole_scenario(posterior, tmp_path):
    band, meta = predictive_band(posterior, draws=3, households=150, executor="serial")
    assert meta["draws"] == 3 and meta["households"] == 150 and meta["seeds"] == [1, 2, 3]
    post = load_posterior(posterior)
    base = band_scenario(post, 150)
    assert meta["months"] == base.months == 144  # the whole scenario, not a fit's window
    # rebuild the band from the three runs themselves
    runs = [run(with_draw(base, post.parameters, post.values[row]), seed=seed).monthly
            for row, seed in zip(meta["posterior_rows"], meta["seeds"], strict=True)]
    for column in BAND_COLUMNS:
        rows = band[band["column"] == column].sort_values("month")
        values = np.stack([r[column].to_numpy(float) for r in runs])
        np.testing.assert_allclose(rows["low"], np.quantile(values, 0.05, axis=0))
        np.testing.assert_allclose(rows["median"], np.median(values, axis=0))
        np.testing.assert_allclose(rows["high"], np.quantile(values, 0.95, axis=0))
        assert (rows["low"] <= rows["median"]).all() and (rows["median"] <= rows["high"]).all()
    # draws that differ in income give a band with width
    inc = band[band["column"] == "income_pc"]
    assert (inc["high"] - inc["low"]).min() > 0
    # written and read back, with what made it
    path = write_band(band, meta, tmp_path / "band.parquet")
    again, meta2 = read_band(path)
    pd.testing.assert_frame_equal(again, band)
    assert meta2["posterior_rows"] == meta["posterior_rows"]


def test_band_cli_writes_next_to_the_posterior_and_refuses_bad_files(posterior, tmp_path,
                                                                    capsys):
    assert main(["band", str(posterior), "--draws", "2", "--households", "100",
                 "--executor", "serial"]) == 0
    band, meta = read_band(posterior.with_name("band.parquet"))
    assert meta["draws"] == 2 and set(band["column"]) == set(BAND_COLUMNS)
    capsys.readouterr()
    missing = tmp_path / "nope.parquet"
    assert main(["band", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "nope.parquet" in err and "no such posterior file" in err
    with pytest.raises(BandFileError, match="not a povsim band file"):
        read_band(posterior)  # a posterior, not a band


def test_incidence_chart_shades_the_band_behind_its_lines():
    dates = [f"2014-{m:02d}" for m in range(1, 13)]
    band = pd.DataFrame({"date": dates * 2, "month": list(range(12)) * 2,
                         "column": ["income_poverty_incidence"] * 12
                         + ["registered_poor_incidence"] * 12,
                         "low": [0.1] * 24, "median": [0.2] * 24, "high": [0.6] * 24})
    series = pd.DataFrame({"month": [0, 1], "date": dates[:2],
                           **{c: [0.1, 0.1] for c in ("income_poverty_incidence",
                                                      "registered_poor_incidence")}})
    plain = charts.dashboard_panels(_full(series), "2014-01", 24)
    shaded = charts.dashboard_panels(_full(series), "2014-01", 24,
                                     band=band_lines(band, BAND_COLUMNS))
    assert plain[0]["bands"] == [] and len(shaded[0]["bands"]) == 2
    assert all(p["bands"] == [] for p in shaded[1:])  # only the incidence chart
    assert len(shaded[0]["bands"][0]["points"].split()) == 24  # 12 months up, 12 back
    # the axis makes room for the band's top (60%), not only the lines' (10%)
    top = max(float(t[1].rstrip("%")) for t in shaded[0]["yticks"])
    assert top >= 60 > max(float(t[1].rstrip("%")) for t in plain[0]["yticks"])


def _full(series: pd.DataFrame) -> pd.DataFrame:
    """`series` with every column the dashboard reads (zeros where not given)."""
    from simulation.households import PovertyState, Source
    from simulation.scenario import CHANNELS, PROGRAMMES

    cols = ([f"income_{s.name.lower()}" for s in Source]
            + [f"awareness_{p}" for p in PROGRAMMES] + [f"participation_{p}" for p in PROGRAMMES]
            + [f"contacts_{c}" for c in CHANNELS]
            + [f"smith_{k}" for k in ("policy", "agency", "target", "environment")]
            + [f"share_{s.name.lower()}" for s in PovertyState])
    return series.assign(**{c: 0.0 for c in cols if c not in series})
