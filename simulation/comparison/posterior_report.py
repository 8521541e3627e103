"""The report of a comparison over a posterior: effects with their intervals and the split
of each interval's variance into parameters and chance, as Markdown, CSV, Parquet and a
figure (`simulation.comparison.posterior`)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.comparison.posterior import PosteriorComparison  # noqa: E402
from simulation.comparison.report import fmt_diff, fmt_level  # noqa: E402


def _share(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.0f}%"


def effects_markdown(effects: pd.DataFrame, level: float) -> str:
    """One row per countermeasure and outcome."""
    head = (f"| countermeasure | outcome | baseline | change | {100 * level:.0f}% interval "
            "over the posterior | sd from parameters | sd from chance | parameters' share |")
    lines = [head, "|---|---|--:|--:|--:|--:|--:|--:|"]
    for r in effects.to_dict("records"):
        u = str(r["unit"])
        lines.append(
            f"| {r['countermeasure']} | {r['label']} | {fmt_level(r['baseline'], u)} | "
            f"{fmt_diff(r['diff'], u)} | {fmt_diff(r['low'], u)} to {fmt_diff(r['high'], u)} | "
            f"{fmt_diff(r['sd_parameters'], u).lstrip('+')} | "
            f"{fmt_diff(r['sd_chance'], u).lstrip('+')} | {_share(r['parameter_share'])} |")
    return "\n".join(lines)


def fig_effects(comp: PosteriorComparison, outcome: str) -> plt.Figure:
    """Left: each draw's effect (dots) and the interval over the posterior; right: how its
    variance splits into parameters and chance."""
    eff = comp["effects"]
    eff = eff[eff["outcome"] == outcome]
    runs = comp["runs"]
    arms = list(eff["countermeasure"])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 0.7 * len(arms) + 1.8),
                                 gridspec_kw={"width_ratios": [3, 1.4]}, squeeze=True)
    base = runs[runs["arm"] == comp.meta["baseline"]].groupby("draw")[outcome].mean()
    scale = 100.0 if eff["unit"].iloc[0] == "share" else 1.0
    legend = False
    for i, r in enumerate(eff.to_dict("records")):
        tau = (runs[runs["arm"] == r["countermeasure"]].groupby("draw")[outcome].mean()
               - base) * scale
        jitter = np.linspace(-0.15, 0.15, len(tau))
        ax.scatter(tau.to_numpy(), i + jitter, s=12, color="#1f77b4", alpha=0.6,
                   label="one draw (mean over seeds)" if i == 0 else None)
        ax.plot([r["low"] * scale, r["high"] * scale], [i, i], color="black", lw=2,
                label="interval over the posterior" if i == 0 else None)
        ax.plot(r["diff"] * scale, i, "D", color="black", ms=6)
        p = r["parameter_share"]
        if not np.isfinite(p):  # the same outcome in every run: nothing to split
            bx.text(0.5, i, "no difference", ha="center", va="center", fontsize=8)
            continue
        bx.barh(i, p, color="#d62728", label="parameters" if not legend else None)
        bx.barh(i, 1 - p, left=p, color="#bbbbbb", label="chance" if not legend else None)
        legend = True
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(arms)), arms)
    ax.set_ylim(len(arms) - 0.5, -0.5)  # first arm on top, both panels on the same rows
    unit = "percentage points" if scale == 100.0 else str(eff["unit"].iloc[0])
    ax.set_xlabel(f"change versus baseline ({unit})")
    ax.set_title(str(eff["label"].iloc[0]))
    ax.legend(fontsize=8, loc="best")
    bx.set_yticks(range(len(arms)), [""] * len(arms))
    bx.set_ylim(len(arms) - 0.5, -0.5)
    bx.set_xlim(0, 1)
    bx.set_xlabel("share of the interval's variance")
    if legend:
        bx.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def write_posterior_report(comp: PosteriorComparison, out: Path, title: str | None = None,
                           outcome: str | None = None) -> dict[str, Path]:
    """report.md, effects.csv, runs.parquet, meta.json and effects.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    meta = comp.meta
    eff = comp["effects"]
    outcome = outcome or f"incidence_{meta['dates'][-1]}"
    paths = {"report": out / "report.md", "effects": out / "effects.csv",
             "runs": out / "runs.parquet", "meta": out / "meta.json",
             "figure": out / "effects.png"}
    eff.to_csv(paths["effects"], index=False)
    comp["runs"].to_parquet(paths["runs"], index=False)
    paths["meta"].write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    figure = ""
    if outcome in set(eff["outcome"]):
        fig = fig_effects(comp, outcome)
        fig.savefig(paths["figure"], dpi=110)
        plt.close(fig)
        figure = f"![{outcome} over the posterior](effects.png)\n"
    level = 1 - float(meta["alpha"])
    converged = meta.get("posterior_converged")
    against = ", ".join(f"`{c}`" for c in meta["countermeasures"])
    lines = [
        f"# {title or 'Countermeasures over the posterior: ' + str(meta['baseline'])}", "",
        f"Baseline `{meta['baseline']}` against {against}; "
        f"{meta['draws']} draws of the posterior `{meta['posterior']}` (parameters "
        f"{', '.join(meta['parameters'])}; rows {meta['posterior_rows']}) x "
        f"{meta['replicates']} seeds ({meta['seeds'][0]}-{meta['seeds'][-1]}, the same in "
        f"every arm and draw), {meta['households']:,} households, {meta['runs']} runs in "
        f"{meta['run_seconds']} s. povsim {meta['model_version']} ({meta['git_commit']}).", "",
        *([] if converged is not False else [
            "**The posterior did not converge** (its sampler stopped before temperature 1): "
            "its draws are too wide, and so are these intervals.", ""]),
        "Each draw's effect is the mean over the seeds of the paired difference with the "
        "baseline. The interval is the spread of those effects over the draws; its variance "
        "splits into the parameters' part (how much the true effect varies over the "
        "posterior) and chance (the seed noise left in each draw's mean: the variance "
        f"within draws / {meta['replicates']}), by a one-way analysis of variance. More "
        "seeds shrink chance; only more data shrink the parameters' part.", "",
        figure,
        effects_markdown(eff, level), "",
    ]
    paths["report"].write_text("\n".join(lines), encoding="utf-8")
    return paths
