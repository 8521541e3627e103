"""Writing an attribution: `attribution.csv` (every group and seed, then the summary),
`attribution.md` (the table), `attribution.png` (shares with 95% whiskers) and
`meta.json`; each records model version, scenario name and hash, and seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.attribution.attribute import AttributionResult, is_share  # noqa: E402


def provenance(res: AttributionResult) -> str:
    """One line: model version, scenario, hash, size, seeds, method."""
    m = res.meta
    seeds = ",".join(str(s) for s in m["seeds"])  # type: ignore[attr-defined]
    return (f"povsim {m['model_version']} (git {m['git_commit']}), scenario "
            f"'{m['scenario_name']}' (hash {m['scenario_hash']}), "
            f"{int(m['households']):,} households, seeds {seeds}, "  # type: ignore[call-overload]
            f"method {m['method']}, {m['runs']} runs")


def _scale(res: AttributionResult) -> tuple[float, str]:
    return (100.0, "pp") if is_share(str(res.meta["outcome"])) else (1.0, "")


def fmt_fall(res: AttributionResult, value: float) -> str:
    """A fall in display units (percentage points for shares)."""
    k, unit = _scale(res)
    if value is None or math.isnan(value):
        return "n/a"
    return f"{k * value:.2f}{' ' + unit if unit else ''}"


def fmt_share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0%}"


def fmt_interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "n/a (one seed)"
    return f"{low:.0%} to {high:.0%}"


def csv_frame(res: AttributionResult) -> pd.DataFrame:
    """One row per group per seed (`kind` seed), then the summary rows (`kind` summary)."""
    m = res.meta
    per = res.by_seed.assign(kind="seed")
    summary = res.table.assign(kind="summary", seed=pd.NA)
    cols = ["kind", "seed", "group", "label", "fall", "fall_low", "fall_high", "share",
            "share_low", "share_high", "seeds"]
    out = pd.concat([per, summary], ignore_index=True).reindex(columns=cols)
    seeds = " ".join(str(s) for s in m["seeds"])  # type: ignore[attr-defined]
    return out.assign(outcome=m["outcome"], year_from=m["from"], year_to=m["to"],
                      method=m["method"], scenario=m["scenario_name"],
                      scenario_hash=m["scenario_hash"], households=m["households"],
                      model_version=m["model_version"], git_commit=m["git_commit"],
                      seed_list=seeds)


def markdown(res: AttributionResult) -> str:
    """The summary as a Markdown table with a provenance line."""
    m = res.meta
    _, unit = _scale(res)
    head = f"fall in {m['outcome']}" + (" (percentage points)" if unit else "")
    lines = [f"Fall in `{m['outcome']}` from {m['from']} to {m['to']}; {provenance(res)}.",
             "", f"| group | {head} | share of the total fall | 95% interval of the share |",
             "|---|---:|---:|---|"]
    for r in res.table.to_dict("records"):
        name = f"**{r['group']}**" if r["group"] == "total" else r["group"]
        lines.append(f"| {name} — {r['label']} | {fmt_fall(res, r['fall'])} | "
                     f"{fmt_share(r['share'])} | {fmt_interval(r['share_low'], r['share_high'])} |")
    if res.one_at_a_time is not None:
        t = res.one_at_a_time.set_index("group")
        parts = [f"{g} {fmt_fall(res, t.loc[g, 'fall'])}" for g in t.index
                 if g not in ("remaining", "total")]
        lines += ["", "One at a time, from the same runs (all on minus the group; the "
                  "interaction is what the groups do only together): " + ", ".join(parts)
                  + "."]
    for note in res.notes:
        lines += ["", f"Note: {note}."]
    return "\n".join(lines) + "\n"


def figure(res: AttributionResult, path: Path) -> Path:
    """Horizontal bars of each row's share of the total fall with 95% whiskers."""
    t = res.table[res.table["group"] != "total"]
    y = np.arange(len(t))[::-1]
    share = 100 * t["share"].to_numpy(float)
    err = np.vstack([share - 100 * t["share_low"].to_numpy(float),
                     100 * t["share_high"].to_numpy(float) - share])
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(t) + 1.8))
    colours = ["#888888" if g in ("remaining", "interaction") else "#3b6ea5"
               for g in t["group"]]
    ax.barh(y, share, color=colours, xerr=np.nan_to_num(err), capsize=4)
    ax.set_yticks(y, list(t["group"]))
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"share of the fall in {res.meta['outcome']}, {res.meta['from']} to "
                  f"{res.meta['to']} (%)")
    ax.set_title(f"Attribution ({res.meta['method']}): {res.meta['scenario_name']}",
                 fontsize=11)
    fig.text(0.01, 0.01, provenance(res), fontsize=6, color="#555555")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110, metadata={"Description": provenance(res)})
    plt.close(fig)
    return path


def write(res: AttributionResult, out: str | Path) -> dict[str, Path]:
    """Write the CSV, Markdown table, figure and meta.json into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "attribution.csv", "md": out / "attribution.md",
             "png": out / "attribution.png", "meta": out / "meta.json",
             "coalitions": out / "coalitions.csv"}
    csv_frame(res).to_csv(paths["csv"], index=False)
    paths["md"].write_text(markdown(res), encoding="utf-8")
    figure(res, paths["png"])
    res.coalitions.to_csv(paths["coalitions"], index=False)
    paths["meta"].write_text(json.dumps(res.meta, indent=2, default=str), encoding="utf-8")
    return paths
