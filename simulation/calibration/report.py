"""The fit report: target versus model with bands, loss by component, parameter trace and
profile, and the out-of-sample check, as PNG figures and one HTML page.

The best parameters are re-run with `report_replicates` seeds (the fit's seeds first), so
the model band is the spread over replicates at the best point, drawn next to the target's
own band (±2 standard errors from its stated uncertainty).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.calibration.fit import FitResult, history_frame, target_table  # noqa: E402
from simulation.calibration.targets import Target, model_band_series  # noqa: E402
from simulation.runs import html as report_html  # noqa: E402
from simulation.runs.executors import Task, run_tasks  # noqa: E402


def _dt(month: str) -> pd.Timestamp:
    return pd.Timestamp(f"{month}-01")


def best_runs(result: FitResult) -> list[pd.DataFrame]:
    """Monthly tables of the best point, one per report replicate."""
    p = result.problem
    scen = p.scenario(np.array(result.best.x))
    seeds = [p.spec.seed_base + r for r in range(max(p.spec.report_replicates,
                                                       p.spec.replicates))]
    tasks = [Task.of(scen, s, tag=k) for k, s in enumerate(seeds)]
    frames: dict[int, pd.DataFrame] = {}
    for task, res in run_tasks(tasks, executor=p.spec.executor, workers=p.spec.workers):
        frames[task.tag] = res.monthly
    return [frames[k] for k in range(len(seeds))]


def _scale(t: Target) -> tuple[float, str]:
    if t.unit == "share":
        return 100.0, "%"
    if t.unit == "fraction_per_year":
        return 100.0, "% per year"
    return 1.0, t.unit.replace("_", " ")


def target_figure(result: FitResult, runs: list[pd.DataFrame], per: pd.DataFrame,
                  path: Path) -> Path:
    """One panel per target: model (band over replicates) and target (±2 s.e.).

    `per`: the model value of every target in each of `runs` (one row per run)."""
    p = result.problem
    targets = [(t, "fitted") for t in p.fitted] + [(t, "held out") for t in p.held_out]
    ncol = min(3, len(targets))
    nrow = math.ceil(len(targets) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.4 * nrow), squeeze=False,
                             constrained_layout=True)
    for ax in axes.flat[len(targets):]:
        ax.axis("off")
    for ax, (t, role) in zip(axes.flat, targets, strict=False):
        k, unit = _scale(t)
        colour = "tab:blue" if role == "fitted" else "tab:orange"
        values = per[t.name].to_numpy() * k
        series = [model_band_series(t, m) for m in runs]
        if series[0] is not None:
            x = pd.to_datetime(runs[0]["date"], format="%Y-%m")
            arr = np.vstack([s.to_numpy() for s in series]) * k
            ax.fill_between(x, arr.min(0), arr.max(0), color="grey", alpha=0.3,
                            label="model, replicate range")
            ax.plot(x, arr.mean(0), color="black", lw=1, label="model, mean")
            tx = _dt(t.date)
            ax.errorbar([tx], [t.value * k], yerr=[[2 * t.sigma * k]], fmt="o", color=colour,
                        capsize=4, label=f"target ±2 s.e. ({role})")
        else:
            x0, x1 = _dt(t.period_start), _dt(t.date) + pd.offsets.MonthEnd(0)
            ax.fill_between([x0, x1], values.min(), values.max(), color="grey", alpha=0.3,
                            label="model, replicate range")
            ax.hlines(values.mean(), x0, x1, color="black", lw=1.5, label="model, mean")
            ax.fill_between([x0, x1], (t.value - 2 * t.sigma) * k, (t.value + 2 * t.sigma) * k,
                            color=colour, alpha=0.2)
            ax.hlines(t.value * k, x0, x1, color=colour, lw=2, ls="--",
                      label=f"target ±2 s.e. ({role})")
            pad = (x1 - x0) * 0.6 + pd.Timedelta(days=90)
            ax.set_xlim(x0 - pad, x1 + pad)
        if t.bound != "none":
            ax.text(0.02, 0.04, f"{t.bound} bound", transform=ax.transAxes, fontsize=8)
        ax.set_title(f"{t.name}\n{t.model_output} ({t.kind}, {t.basis})", fontsize=9)
        ax.set_ylabel(unit)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"{p.spec.name}: targets and model at the best parameters "
                 f"({len(runs)} replicates)")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def loss_figure(table: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(table) + 1.5), constrained_layout=True)
    colours = ["tab:blue" if r == "fitted" else "tab:orange" for r in table["role"]]
    ax.barh(table["target"], table["loss"], color=colours)
    ax.invert_yaxis()
    ax.set_xlabel("weighted negative log-likelihood (0 = perfect fit)")
    ax.set_title("Loss by target at the best parameters (orange: held out, not in the fit)")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def trace_figure(result: FitResult, hist: pd.DataFrame, path: Path) -> Path:
    """Each parameter over the evaluations (`hist`: calibrate.history_frame), and the best
    loss so far."""
    names = result.problem.names
    fig, axes = plt.subplots(len(names) + 1, 1, figsize=(8, 2.2 * (len(names) + 1)),
                             sharex=True, constrained_layout=True)
    loss = hist["loss"].clip(upper=hist["loss"].quantile(0.9) if len(hist) > 5 else None)
    for ax, n in zip(axes[:-1], names, strict=True):
        sc = ax.scatter(hist["index"], hist[n], c=loss, cmap="viridis_r", s=12)
        ax.axhline(result.best_params[n], color="red", lw=1)
        ax.set_ylabel(n, fontsize=8)
    fig.colorbar(sc, ax=axes[:-1], label="loss (clipped at 90th pct)")
    axes[-1].plot(hist["index"], hist["loss"].cummin(), color="black")
    axes[-1].set_yscale("log")
    axes[-1].set_ylabel("best loss so far")
    axes[-1].set_xlabel("evaluation")
    fig.suptitle("Parameter trace (red: best)")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def profile_figure(result: FitResult, hist: pd.DataFrame, path: Path) -> Path:
    """Lowest loss found in bins of each parameter: a profile read off the optimizer's
    sample (`hist`), with the near-best threshold."""
    names = result.problem.names
    delta = next(iter(result.uncertainty.values()))["delta_loss"]
    best = float(hist["loss"].min())
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.4), squeeze=False,
                             constrained_layout=True)
    for ax, n, prm in zip(axes[0], names, result.problem.parameters, strict=True):
        bins = np.linspace(prm.low, prm.high, 16)
        idx = np.clip(np.digitize(hist[n], bins) - 1, 0, len(bins) - 2)
        prof = hist.groupby(idx)["loss"].min()
        mids = (bins[:-1] + bins[1:]) / 2
        ax.plot(mids[prof.index], prof.to_numpy() - best, "o-", color="black", ms=3)
        ax.axhline(delta, color="red", ls="--", lw=1, label=f"Δ = {delta:.2f}")
        u = result.uncertainty[n]
        ax.axvspan(u["low"], u["high"], color="red", alpha=0.1, label="near-best range")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(n, fontsize=8)
        ax.set_ylabel("loss − best (lowest in bin)")
        ax.legend(fontsize=7)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _table_html(df: pd.DataFrame) -> str:
    def fmt(v: object) -> str:
        if isinstance(v, float):
            if math.isnan(v):
                return ""
            return f"{v:.4g}"
        return str(v) if v is not None else ""
    head = [(str(c), None) for c in df.columns]
    rows = [([(fmt(v), None) for v in row], None) for row in df.itertuples(index=False)]
    return report_html.table(head, rows, sections=False)


def _assumed_html(assumptions: list[str]) -> str:
    if not assumptions:
        return ""
    items = "".join(f"<li>{html.escape(a)}</li>" for a in assumptions)
    return f"<h2>What was assumed</h2><ul>{items}</ul>\n"


def write_report(result: FitResult, out: Path | None = None) -> Path:
    """Figures and index.html under `out/report` (default: the fit's output folder)."""
    out = Path(out or result.out or ".")
    rep = out / "report"
    rep.mkdir(parents=True, exist_ok=True)
    p = result.problem
    runs = best_runs(result)
    table = target_table(result)
    # Bands of the model value over the report replicates.
    per = pd.DataFrame([p.values(m) for m in runs])
    table["model_report_mean"] = [float(per[n].mean()) for n in table["target"]]
    table["model_report_lo"] = [float(per[n].min()) for n in table["target"]]
    table["model_report_hi"] = [float(per[n].max()) for n in table["target"]]
    table.to_csv(rep / "targets.csv", index=False)
    hist = history_frame(result)
    figs = {"targets": target_figure(result, runs, per, rep / "targets.png"),
            "loss": loss_figure(table, rep / "loss_components.png"),
            "trace": trace_figure(result, hist, rep / "trace.png"),
            "profile": profile_figure(result, hist, rep / "profile.png")}
    held = table[table["role"] == "held out"]
    params = pd.DataFrame([{"parameter": n, "low bound": prm.low, "high bound": prm.high,
                            "best": u["best"], "near-best low": u["low"],
                            "near-best high": u["high"], "points": u["points"]}
                           for (n, u), prm in zip(result.uncertainty.items(), p.parameters,
                                                  strict=True)])
    skipped = pd.DataFrame([{"target": k, "reason": v} for k, v in p.skipped.items()])
    cols = ["target", "role", "date", "period_start", "unit", "value", "sigma", "likelihood",
            "weight", "model", "model_report_lo", "model_report_hi", "relative_error", "z",
            "loss"]
    oos = "<p>No held-out targets (set <code>fit_until</code> to hold out later years).</p>"
    if len(held):
        oos = (f"<p>Fitted on targets dated up to {html.escape(str(p.spec.fit_until))}; the "
               f"{len(held)} later target(s) were not used in the fit. Mean absolute relative "
               f"error on them: {held['relative_error'].abs().mean():.1%}; mean |z|: "
               f"{held['z'].abs().mean():.2f}; their loss would be "
               f"{held['loss'].sum():.3g} (fitted targets: {result.best.loss:.3g}).</p>"
               + _table_html(held[cols]))
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Calibration {html.escape(p.spec.name)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto}}table{{border-collapse:collapse;
font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}
img{{max-width:100%}}</style></head><body>
<h1>Calibration: {html.escape(p.spec.name)}</h1>
<p>Scenario <code>{html.escape(p.spec.scenario)}</code> ({p.base.households} simulated households,
{p.base.months} months from {p.base.start}); targets <code>{html.escape(p.spec.targets)}</code>.
{len(p.fitted)} target(s) fitted, {len(p.held_out)} held out, {len(p.skipped)} skipped.
{len(result.evaluations)} parameter points, {p.spec.replicates} replicate(s) each with common
random numbers (seeds {p.spec.seeds}); optimizer {p.spec.optimizer.method}
(seed {p.spec.optimizer.seed}): {html.escape(result.optimizer_message)}.
Fit time {result.seconds:.1f} s this session; best loss
{result.best.loss:.4g}. Overlay: <code>best.yaml</code>.</p>
{_assumed_html(p.spec.assumptions)}<h2>Parameters</h2>
<p>Near-best range: evaluated points within Δ = χ²<sub>k</sub>({p.spec.uncertainty_level})/2
= {next(iter(result.uncertainty.values()))['delta_loss']:.2f} of the best loss (a profile-like
spread read off the optimizer's sample, not a posterior; with target weights ≠ 1 it is
indicative).</p>
{_table_html(params)}
<h2>Targets and model</h2><img src="targets.png" alt="targets">
{_table_html(table[cols])}
<h2>Loss by component</h2><img src="loss_components.png" alt="loss">
<h2>Out-of-sample check</h2>{oos}
<h2>Parameter trace and profile</h2><img src="trace.png" alt="trace">
<img src="profile.png" alt="profile">
<h2>Skipped targets</h2>
{_table_html(skipped) if len(skipped) else '<p>None.</p>'}
</body></html>"""
    index = rep / "index.html"
    index.write_text(page, encoding="utf-8")
    missing = [k for k, f in figs.items() if not f.is_file()]
    if missing:
        raise RuntimeError(f"report figures not written: {missing}")
    return index
