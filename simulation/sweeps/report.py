"""`povsim sweep report`: what a stored sweep says, as tables (CSV, Markdown) and PNGs.

Outputs in the report folder:
- ``distributions.csv``: every outcome per design point (n, mean, sd, 5/50/95th percentiles)
- ``sensitivity.csv``: indices with 95% confidence half-widths (`simulation.sweeps.sensitivity`)
- ``outcome_vs_<param>.png``: each main outcome against each varied parameter (runs as
  dots, point means as a line)
- ``sensitivity.png``: the design's indices per main outcome with error bars
- ``report.md``: the above in one readable page
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.outcomes import SWEPT  # noqa: E402
from simulation.scenario import PROGRAMMES  # noqa: E402
from simulation.sweeps import store  # noqa: E402
from simulation.sweeps.sensitivity import analyse, spec_of  # noqa: E402
from simulation.sweeps.spec import SweepSpec  # noqa: E402

#: Outcomes analysed when the sweep spec names none.
MAIN_OUTCOMES = SWEPT


def main_outcomes(spec: SweepSpec) -> list[str]:
    """The spec's outcomes, else the headline ones plus take-up of any varied programme."""
    if spec.outcomes:
        return list(spec.outcomes)
    extra = []
    for p in PROGRAMMES:
        if any(k.startswith(f"instruments.{p}.") for k in spec.vary):
            extra.append(f"participation_{p}_mean")
    return MAIN_OUTCOMES + extra


@dataclass
class Report:
    sweep_id: str
    spec: SweepSpec
    runs: pd.DataFrame
    outcomes: list[str]
    distributions: pd.DataFrame
    sensitivity: pd.DataFrame | None
    note: str = ""
    files: list[Path] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return int(self.runs[self.outcomes].notna().any(axis=1).sum())


def distributions(runs: pd.DataFrame, params: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Per design point and outcome: n, mean, sd and 5/50/95th percentiles over seeds."""
    keys = ["scenario", "point_id", *params]
    long = runs.melt(id_vars=keys, value_vars=outcomes, var_name="outcome")
    g = long.groupby([*keys, "outcome"], sort=True, dropna=False)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    q = g.quantile([0.05, 0.5, 0.95]).unstack()
    q.columns = ["p05", "p50", "p95"]
    return out.merge(q.reset_index(), on=[*keys, "outcome"])


def build(path: str | Path, sweep: str | None = None, outcomes: list[str] | None = None
          ) -> Report:
    """Load a sweep and compute distributions and (if complete) sensitivity indices."""
    sid = store.resolve_sweep(path, sweep)
    with store.connect(path) as con:
        spec_yaml = con.execute("SELECT spec_yaml FROM sweeps WHERE sweep_id = ?",
                                [sid]).fetchone()[0]
    spec = spec_of(spec_yaml)
    runs = store.load_runs(path, sid)
    outs = outcomes or main_outcomes(spec)
    unknown = [o for o in outs if o not in runs]
    if unknown:
        known = sorted(c for c in runs.columns if c not in spec.vary and c not in
                       {"sweep_id", "point_id", "replicate", "seed", "run_key",
                        "scenario_hash", "scenario", "model_version"})
        raise LookupError(f"unknown outcome(s) {unknown}; stored outcomes: {', '.join(known)}")
    if outcomes is None:  # drop defaults a short run cannot define (e.g. a 2020-12 figure)
        outs = [o for o in outs if runs[o].notna().any() or runs[outs].isna().all().all()]
    params = list(spec.vary)
    dist = distributions(runs, params, outs)
    complete = runs[outs].notna().any(axis=1).all()
    sens, note = None, ""
    if not params:
        note = "no parameters varied: no sensitivity analysis"
    elif not complete:
        missing = int((~runs[outs].notna().any(axis=1)).sum())
        note = (f"sweep incomplete ({missing} of {len(runs)} runs missing): sensitivity "
                "skipped; run the same sweep command again to resume")
    else:
        sens = analyse(runs, spec, outs)
        note = _sobol_note(sens, spec)
    return Report(sid, spec, runs, outs, dist, sens, note)


def _sobol_note(sens: pd.DataFrame | None, spec) -> str:
    """A warning when Sobol indices are out of [0, 1] by more than noise: too few samples."""
    if sens is None or spec.design != "sobol" or "method" not in sens:
        return ""
    s = sens[(sens["method"] == "sobol") & sens["index"].isin(["S1", "ST"])]
    bad = s[(s["value"] > 1.05) | (s["value"] < -0.05)]
    if bad.empty and spec.samples >= 64:
        return ""
    return (f"Sobol indices from a base sample of {spec.samples} are unreliable "
            f"({len(bad)} index(es) outside [0, 1]); rerun with --samples 64 or more")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def plot_vs_params(report: Report, out: Path) -> list[Path]:
    """One PNG per varied numeric parameter: a panel per outcome."""
    files = []
    runs = report.runs
    for p in report.spec.vary:
        x = pd.to_numeric(runs[p], errors="coerce")
        categorical = x.isna().all()
        n = len(report.outcomes)
        cols = min(3, n)
        rows = int(np.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
        for ax, outcome in zip(axes.flat, report.outcomes, strict=False):
            for scen, g in runs.groupby("scenario", sort=False):
                xs = g[p].astype(str) if categorical else pd.to_numeric(g[p])
                ax.scatter(xs, g[outcome], s=8, alpha=0.35, label=str(scen))
                means = g.groupby(p, sort=True)[outcome].mean()
                if len(means) <= 30 or categorical:
                    ax.plot(means.index.astype(str) if categorical else means.index,
                            means.to_numpy(), lw=1.2)
            ax.set_title(outcome, fontsize=9)
            ax.set_xlabel(p, fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        if runs["scenario"].nunique() > 1:
            axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"{report.sweep_id}: outcomes vs {p}", fontsize=10)
        fig.tight_layout()
        path = out / f"outcome_vs_{_slug(p)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files


def plot_sensitivity(report: Report, out: Path) -> Path | None:
    """Bars of the design's main index per outcome and parameter, with confidence bars."""
    sens = report.sensitivity
    if sens is None or sens.empty:
        return None
    main = sens[sens["method"] != "spearman"]
    if main.empty:
        main = sens
    n = len(report.outcomes)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, outcome in zip(axes.flat, report.outcomes, strict=False):
        d = main[(main["outcome"] == outcome) & (main["scenario"] == main["scenario"].iloc[0])]
        idx = [i for i in d["index"].unique() if i not in ("sigma", "constant")]
        width = 0.8 / max(1, len(idx))
        params = list(report.spec.vary)
        for k, name in enumerate(idx):
            di = d[d["index"] == name].set_index("param").reindex(params)
            ax.bar(np.arange(len(params)) + k * width, di["value"], width,
                   yerr=di["conf"].fillna(0), capsize=2, label=name)
        ax.set_xticks(np.arange(len(params)) + width * (len(idx) - 1) / 2)
        ax.set_xticklabels([p.split(".")[-2] + "." + p.split(".")[-1] if "." in p else p
                            for p in params], fontsize=7, rotation=20)
        ax.set_title(outcome, fontsize=9)
        if idx:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{report.sweep_id}: sensitivity ({report.spec.design})", fontsize=10)
    fig.tight_layout()
    path = out / "sensitivity.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(report: Report, out: str | Path) -> list[Path]:
    """Write CSVs, PNGs and report.md into `out`; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "distributions.csv"]
    report.distributions.to_csv(files[0], index=False)
    if report.sensitivity is not None:
        files.append(out / "sensitivity.csv")
        report.sensitivity.to_csv(files[-1], index=False)
    files += plot_vs_params(report, out)
    png = plot_sensitivity(report, out)
    if png:
        files.append(png)
    md = out / "report.md"
    md.write_text(markdown(report, [f.name for f in files]), encoding="utf-8")
    files.append(md)
    report.files = files
    return files


def markdown(report: Report, names: list[str]) -> str:
    spec = report.spec
    lines = [f"# Sweep {report.sweep_id}", "",
             f"Design **{spec.design}** over {', '.join(spec.vary) or 'no parameters'}; "
             f"scenario(s) {', '.join(spec.scenarios)}; {spec.replicates} replicate(s) from "
             f"seed {spec.seed}; {report.stored} of {len(report.runs)} runs stored.", ""]
    if report.note:
        lines += [f"> {report.note}", ""]
    overall = report.runs[report.outcomes].describe(percentiles=[0.05, 0.5, 0.95]).T
    lines += ["## Outcomes over all runs", "", _table(overall), ""]
    if report.sensitivity is not None:
        s = report.sensitivity.copy()
        s["estimate"] = [f"{v:.3g} ± {c:.2g}" if np.isfinite(c) else f"{v:.3g}"
                         for v, c in zip(s["value"], s["conf"], strict=True)]
        wide = s.pivot_table(index=["scenario", "outcome", "param"],
                             columns=["method", "index"], values="estimate", aggfunc="first")
        lines += ["## Sensitivity (95% confidence half-widths)", "", _table(wide), ""]
    lines += ["## Files", ""] + [f"- `{n}`" for n in names]
    return "\n".join(lines) + "\n"


def _table(df: pd.DataFrame) -> str:
    """Markdown via tabulate when installed, else a fixed-width block."""
    try:
        return df.to_markdown()
    except ImportError:
        return "```\n" + df.to_string() + "\n```"
