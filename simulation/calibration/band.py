"""The posterior predictive band of a scenario's monthly series: where a run may go, given
what the record says about the fitted parameters.

K draws are taken from a posterior (`povsim calibrate --method posterior` writes
`posterior.parquet`); each runs the calibration's scenario with the draw's values over the
whole scenario (the fit itself may have stopped at its last target) with its own seed, so
the band holds both the parameters' uncertainty and chance at the posterior's sample size.
For each month and outcome the band is the 5%, 50% and 95% quantile over the draws, written
as `band.parquet` next to the posterior. The app draws it behind a visual run of the same
scenario (docs/app.md); `povsim band` makes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import simulation
from simulation.comparison.posterior import Posterior, load_posterior, pick_draws, with_draw
from simulation.runs.executors import Task, run_tasks
from simulation.runs.runner import git_commit
from simulation.scenario import Scenario, load_scenario

#: Monthly columns the band covers (the app's incidence chart and headline income).
BAND_COLUMNS = ("survey_poverty_incidence", "income_poverty_incidence",
                "registered_poor_incidence", "income_pc")
QUANTILES = (0.05, 0.5, 0.95)
META_KEY = b"povsim_band"


class BandFileError(ValueError):
    """A band file cannot be used: the message names the file and what is wrong."""


def band_scenario(posterior: Posterior, households: int | None = None) -> Scenario:
    """The calibration's scenario with its fixed overrides but the scenario's full length
    (a fit runs only as far as its last target) at `households` (default: the posterior's)."""
    spec = posterior.meta.get("spec") or {}
    overrides = {k: v for k, v in (spec.get("scenario_overrides") or {}).items()
                 if k != "months"}
    hh = households or spec.get("households") or posterior.meta.get("households")
    return load_scenario(posterior.scenario, overrides, hh)


def predictive_band(posterior_path: str | Path, draws: int = 40, households: int | None = None,
                    seed0: int = 1, draw_seed: int = 1, executor: str = "process",
                    workers: int | None = None,
                    progress: Callable[[int, int], None] | None = None
                    ) -> tuple[pd.DataFrame, dict]:
    """(band, meta): one row per month and column with the quantiles over the draws."""
    if draws < 2:
        raise ValueError("--draws must be at least 2 (a band is a spread over draws)")
    posterior = load_posterior(posterior_path)
    base = band_scenario(posterior, households)
    rows = pick_draws(posterior, draws, draw_seed)
    tasks = [Task.of(with_draw(base, posterior.parameters, posterior.values[row]),
                     seed0 + d, d) for d, row in enumerate(rows)]
    started = time.perf_counter()
    series: dict[int, pd.DataFrame] = {}
    for done, (task, res) in enumerate(run_tasks(tasks, executor, workers), 1):
        series[task.tag] = res.monthly  # type: ignore[index]
        if progress is not None:
            progress(done, len(tasks))
    first = series[0]
    out = []
    for column in BAND_COLUMNS:
        values = np.stack([series[d][column].to_numpy(float) for d in range(len(rows))])
        q = np.quantile(values, QUANTILES, axis=0)
        out.append(pd.DataFrame({"month": first["month"].to_numpy(), "date": first["date"],
                                 "column": column, "low": q[0], "median": q[1],
                                 "high": q[2]}))
    meta = {"model_version": simulation.__version__, "git_commit": git_commit(),
            "posterior": str(posterior.path), "scenario": posterior.scenario,
            "posterior_fingerprint": posterior.meta.get("posterior_fingerprint"),
            "code_fingerprint": posterior.meta.get("code_fingerprint"),
            "parameters": posterior.names, "draws": len(rows),
            "posterior_rows": [int(r) for r in rows], "draw_seed": draw_seed,
            "seeds": [seed0 + d for d in range(len(rows))], "households": base.households,
            "start": base.start, "months": base.months, "quantiles": list(QUANTILES),
            "run_seconds": round(time.perf_counter() - started, 2)}
    return pd.concat(out, ignore_index=True), meta


def write_band(band: pd.DataFrame, meta: dict, path: str | Path) -> Path:
    """The band as Parquet, with its meta (what made it) in the file's metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(band, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           META_KEY: json.dumps(meta).encode()})
    pq.write_table(table, path)
    return path


def read_band(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """(band, meta) from a file `write_band` wrote."""
    path = Path(path)
    if not path.is_file():
        raise BandFileError(f"{path}: no such band file (expected the band.parquet that "
                            "`povsim band POSTERIOR` writes)")
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[META_KEY])
    except (KeyError, OSError, ValueError) as exc:
        raise BandFileError(f"{path}: not a povsim band file (expected Parquet with povsim "
                            f"band metadata, as `povsim band` writes): {exc}") from None
    band = table.to_pandas()
    missing = [c for c in ("date", "column", "low", "median", "high") if c not in band]
    if missing:
        raise BandFileError(f"{path}: columns {missing} missing")
    return band, meta


def bundled_band(name: str, root: Path | None = None) -> Path | None:
    """The shipped band of a bundled scenario (calibration/results/NAME/posterior/), if any."""
    root = root or Path(simulation.__file__).resolve().parent.parent
    path = root / "calibration" / "results" / name / "posterior" / "band.parquet"
    return path if path.is_file() else None


def band_lines(band: pd.DataFrame, columns: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Column -> its rows (date, low, median, high) in date order, for the columns present."""
    return {c: band[band["column"] == c].sort_values("date").reset_index(drop=True)
            for c in columns if (band["column"] == c).any()}
