"""The model against the record: every bundled region, run as shipped, against every target.

`povsim check` runs each bundled calibration's scenario with its bundled settings (no fitted
overlay: what a user gets by `povsim run NAME`) for a few seeds, and prints for every target
of its target file the reported value, the model's mean, the error and the error in units of
the target's stated uncertainty, with a figure per region. `--out docs/validation.md` writes
the table and figures as the project's validation page; regenerate it when the model changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration.fit import Problem
from simulation.calibration.spec import CalibrationSpec, load_spec
from simulation.calibration.targets import Target, model_band_series
from simulation.runs.executors import Task, run_tasks
from simulation.scenario import load_scenario

#: The bundled calibrations, in the order the page shows them.
BUNDLED = ("liangshan", "changting", "yunnan", "national")
#: A target is "within its stated uncertainty" when |model - reported| <= Z_WITHIN x sigma.
Z_WITHIN = 2.0


def calibration_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "calibration"


@dataclass
class RegionCheck:
    name: str
    scenario: str
    households: int
    seeds: list[int]
    table: pd.DataFrame  # one row per target
    monthly: list[pd.DataFrame]
    targets: list[Target]


def _error_row(t: Target, values: list[float], used: bool, note: str = "") -> dict:
    model = float(np.mean(values)) if values else float("nan")
    err = model - t.value
    z = err / t.sigma if t.sigma > 0 else float("nan")
    if t.bound == "lower" and model >= t.value or t.bound == "upper" and model <= t.value:
        z = 0.0
    return {"target": t.name, "output": t.model_output, "date": t.date,
            "period_start": t.period_start or "", "unit": t.unit, "basis": t.basis,
            "reported": t.value, "sigma": t.sigma, "model": model,
            "model_sd": float(np.std(values, ddof=1)) if len(values) > 1 else float("nan"),
            "error": err, "relative_error": err / t.value if t.value else float("nan"),
            "z": z, "within": bool(math.isfinite(z) and abs(z) <= Z_WITHIN),
            "used": used, "note": note}


def check_region(spec: CalibrationSpec, households: int = 20_000, replicates: int = 3,
                 executor: str = "process", workers: int | None = None,
                 progress=None) -> RegionCheck:
    """Run the region as shipped and compare it with every target it can be judged on."""
    spec = spec.model_copy(update={"households": households, "exclude": [], "fit_until": None})
    problem = Problem.build(spec)
    # The whole shipped run, not the fit's window: the register's record goes past 2020, so
    # a fit that stops its runs early (`months` in scenario_overrides) is checked in full.
    overrides = {k: v for k, v in spec.scenario_overrides.items() if k != "months"}
    base = load_scenario(spec.scenario, overrides, households)
    seeds = [base.seed + r for r in range(replicates)]
    tasks = [Task.of(base, seed) for seed in seeds]
    results = [r for _, r in sorted(run_tasks(tasks, executor, workers),
                                    key=lambda tr: tr[0].seed)]
    monthly = [r.monthly for r in results]
    per_target = [problem.values(m) for m in monthly]
    rows = [_error_row(t, [v[t.name] for v in per_target], True)
            for t in problem.fitted + problem.held_out]
    by_name = problem.target_file.by_name()
    rows += [_error_row(by_name[name], [], False, note=reason)
             for name, reason in problem.skipped.items()]
    return RegionCheck(spec.name, spec.scenario, households, seeds, pd.DataFrame(rows),
                       monthly, problem.fitted + problem.held_out)


def _fmt(v: float, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return ""
    if unit == "share":
        return f"{100 * v:.2f}%"
    if abs(v) >= 1e4:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def markdown_table(check: RegionCheck) -> str:
    lines = ["| target | date | basis | reported (±1σ) | model (sd over seeds) | error | z | "
             "within 2σ |", "|---|---|---|--:|--:|--:|--:|:-:|"]
    for r in check.table.itertuples():
        period = f"{r.period_start}..{r.date}" if r.period_start else r.date
        if not r.used:
            lines.append(f"| {r.target} | {period} | {r.basis} | {_fmt(r.reported, r.unit)} | "
                         f"not comparable: {r.note} | | | |")
            continue
        lines.append(
            f"| {r.target} | {period} | {r.basis} | {_fmt(r.reported, r.unit)} "
            f"(±{_fmt(r.sigma, r.unit)}) | {_fmt(r.model, r.unit)} "
            f"({_fmt(r.model_sd, r.unit)}) | {_fmt(r.error, r.unit)} | {r.z:+.2f} | "
            f"{'yes' if r.within else '**no**'} |")
    return "\n".join(lines)


def figure(check: RegionCheck, path: Path) -> Path:
    """Stocks: the model's monthly path (mean and range over seeds) with each target and its
    2σ band; flows: model and reported totals side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    stocks = [t for t in check.targets if t.kind == "stock"]
    outputs = sorted({t.model_output for t in stocks})
    flows = [t for t in check.targets if t.kind == "flow"]
    n = len(outputs) + (1 if flows else 0)
    fig, axes = plt.subplots(1, max(n, 1), figsize=(4.2 * max(n, 1), 3.4), squeeze=False)
    for ax, output in zip(axes[0], outputs, strict=False):
        mine = [t for t in stocks if t.model_output == output]
        paths = [model_band_series(mine[0], m).to_numpy(dtype=float) for m in check.monthly]
        x = pd.to_datetime(check.monthly[0]["date"].astype(str)).to_numpy()
        paths = np.array(paths)
        share = mine[0].unit == "share"
        k = 100.0 if share else 1.0
        ax.fill_between(x, paths.min(axis=0) * k, paths.max(axis=0) * k, alpha=0.25,
                        color="C0", lw=0)
        ax.plot(x, paths.mean(axis=0) * k, color="C0", label="model (seeds)")
        for t in mine:
            d = pd.to_datetime(t.date)
            ax.errorbar([d], [t.value * k], yerr=[[2 * t.sigma * k]], fmt="o", color="C3",
                        capsize=3, label="reported ±2σ" if t is mine[0] else None)
        ax.xaxis.set_major_locator(mdates.YearLocator(2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.set_title(output.replace("_", " "), fontsize=9)
        ax.set_ylabel("%" if share else mine[0].unit)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    if flows:
        ax = axes[0][len(outputs)]
        rows = check.table.set_index("target").loc[[t.name for t in flows]]
        scale = np.where(rows["reported"].abs() > 0, rows["reported"].abs(), 1.0)
        y = np.arange(len(flows))
        ratio = (rows["model"] / scale).clip(lower=1e-3)  # log scale: misses by 100x show
        ax.barh(y + 0.2, ratio, 0.4, label="model / reported", color="C0")
        low = (1 - 2 * rows["sigma"] / scale).clip(lower=1e-3)
        ax.errorbar(np.ones(len(flows)), y - 0.2,
                    xerr=[1 - low, 2 * rows["sigma"] / scale], fmt="o", color="C3",
                    capsize=3, label="reported ±2σ (=1)")
        ax.set_xscale("log")
        ax.axvline(1.0, color="0.6", lw=0.8)
        ax.set_yticks(y, [t.name for t in flows], fontsize=6)
        ax.set_title("flows and incomes, relative to the record", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    fig.suptitle(f"{check.name}: model as shipped ({check.households:,} households, seeds "
                 f"{check.seeds[0]}..{check.seeds[-1]}) against the record", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def register_record(check: RegionCheck) -> pd.DataFrame:
    """The register year by year (mean over seeds): incidence on both bases, official exits,
    returns to poverty on the register basis and as a share of exits, paper and wrongful
    exits as shares of exits."""
    frames = []
    for m in check.monthly:
        year = m["date"].astype(str).str[:4]
        g = m.groupby(year)
        frames.append(pd.DataFrame({
            # the year's survey incidence: December's 12 months, i.e. the calendar year
            "income_poverty_incidence": g["survey_poverty_incidence"].last(),
            "registered_poor_incidence": g["registered_poor_incidence"].last(),
            "official_exits": g["official_exits"].sum(),
            "register_returns": g["register_returns"].sum(),
            "paper_exits": g["paper_exits"].sum(),
            "wrongful_exits": g["wrongful_exits"].sum(),
            "income_pc_registered": g["income_pc_registered"].last(),
        }))
    mean = sum(frames) / len(frames)
    exits = mean["official_exits"].where(mean["official_exits"] > 0)
    mean["returns_per_exit"] = mean["register_returns"] / exits
    mean["paper_share"] = mean["paper_exits"] / exits
    mean["wrongful_share"] = mean["wrongful_exits"] / exits
    return mean


def record_markdown(record: pd.DataFrame, first: int = 2014, last: int = 2022) -> str:
    keep = record.loc[[str(y) for y in range(first, last + 1) if str(y) in record.index]]
    lines = ["| year | incidence (survey) | registered (end) | official exits | register "
             "returns | returns / exits | paper / exits | wrongful / exits |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    pct = lambda v: "" if not math.isfinite(v) else f"{100 * v:.2f}%"  # noqa: E731
    for year, r in keep.iterrows():
        lines.append(f"| {year} | {pct(r.income_poverty_incidence)} | "
                     f"{pct(r.registered_poor_incidence)} | {r.official_exits:,.0f} | "
                     f"{r.register_returns:,.0f} | {pct(r.returns_per_exit)} | "
                     f"{pct(r.paper_share)} | {pct(r.wrongful_share)} |")
    return "\n".join(lines)


def summary_line(check: RegionCheck, record: pd.DataFrame) -> dict[str, float]:
    used = check.table[check.table["used"]]
    ratio = record["returns_per_exit"]
    return {"targets": len(check.table), "compared": len(used),
            "within": int(used["within"].sum()),
            "median_abs_z": float(used["z"].abs().median()) if len(used) else float("nan"),
            "registered_2020": float(record["registered_poor_incidence"].get("2020",
                                                                            float("nan"))),
            "returns_per_exit_2016": float(ratio.get("2016", float("nan"))),
            "returns_per_exit_2019": float(ratio.get("2019", float("nan")))}


def posterior_markdown(name: str, root: Path | None = None) -> list[str]:
    """The region's posterior predictive band against every target it was fitted to, from
    calibration/results/NAME/posterior/ (written by `povsim calibrate --method posterior`),
    or a line saying there is none yet. Says so when another model version made it."""
    import json

    from simulation.calibration.posterior import code_fingerprint  # model, loss and sampler

    folder = (root or calibration_dir()) / "results" / name / "posterior"
    head = ["", f"Posterior predictive band ({folder.relative_to(folder.parents[3])}/):", ""]
    if not (folder / "predictive.csv").is_file() or not (folder / "posterior.json").is_file():
        return ["", f"No posterior yet for {name} (`povsim calibrate calibration/{name}.yaml "
                "--method posterior --out calibration/results/" + name + "/posterior`)."]
    meta = json.loads((folder / "posterior.json").read_text(encoding="utf-8"))
    pred = pd.read_csv(folder / "predictive.csv")
    made = (f"{meta.get('particles')} draws, {meta.get('households'):,} households, "
            f"{meta['spec'].get('replicates')} replicate(s) a point, povsim "
            f"{meta.get('model_version')} at {meta.get('git_commit')}"
            + ("" if meta.get("converged") else "; **did not converge**"))
    if meta.get("code_fingerprint") != code_fingerprint():
        made += ("; **made by other model or calibration code** (fingerprint "
                 f"{meta.get('code_fingerprint')}, now {code_fingerprint()}): rerun it")
    lines = [f"{made}. Each target's value against the model's plus the target's own noise "
             "over the draws (5-95%):", "",
             "| target | reported | predictive 5% | median | 95% | covered |",
             "|---|--:|--:|--:|--:|:-:|"]
    for r in pred.itertuples():
        u = r.unit
        lines.append(f"| {r.target} | {_fmt(r.observed, u)} | {_fmt(r.predictive_q05, u)} | "
                     f"{_fmt(r.predictive_median, u)} | {_fmt(r.predictive_q95, u)} | "
                     f"{'yes' if r.covered else '**no**'} |")
    return head + lines


def page(checks: list[RegionCheck], command: str, version: str) -> str:
    """docs/validation.md: the model as shipped against every bundled target."""
    out = ["# The model against the record", "",
           "Generated by `" + command + "` (povsim " + version + "); do not edit by hand, "
           "regenerate it when the model changes. Each bundled region is run **as shipped** "
           "(`povsim run NAME`, no fitted overlay) for the seeds shown, and compared with every "
           "target in `calibration/targets/`. *z* is the error in units of the target's "
           "stated uncertainty (σ); *within* means |z| ≤ 2. Targets the model cannot be "
           "compared with say why.", "",
           "| region | scenario | targets compared | within 2σ | median abs z | registered "
           "at end-2020 | returns per exit, 2016 | 2019 |", "|---|---|--:|--:|--:|--:|--:|--:|"]
    records = {c.name: register_record(c) for c in checks}
    pct = lambda v: "n/a" if not math.isfinite(v) else f"{100 * v:.2f}%"  # noqa: E731
    for c in checks:
        s = summary_line(c, records[c.name])
        out.append(f"| {c.name} | {c.scenario} | {s['compared']} of {s['targets']} | "
                   f"{s['within']} | {s['median_abs_z']:.2f} | "
                   f"{100 * s['registered_2020']:.2f}% | {pct(s['returns_per_exit_2016'])} | "
                   f"{pct(s['returns_per_exit_2019'])} |")
    for c in checks:
        out += ["", f"## {c.name}", "",
                f"Scenario `{c.scenario}`, {c.households:,} households, seeds "
                f"{', '.join(map(str, c.seeds))}.", "",
                f"![{c.name}: model against the record](img/validation-{c.name}.png)", "",
                markdown_table(c), "", "The register year by year (mean over seeds):", "",
                record_markdown(records[c.name]), *posterior_markdown(c.name)]
    return "\n".join(out) + "\n"


def check_all(names: list[str] | None = None, households: int = 20_000, replicates: int = 3,
              executor: str = "process", workers: int | None = None,
              progress=None) -> list[RegionCheck]:
    out = []
    for name in names or BUNDLED:
        path = calibration_dir() / f"{name}.yaml"
        if progress:
            progress(f"{name}: {replicates} runs of {households:,} households")
        out.append(check_region(load_spec(path), households, replicates, executor, workers))
    return out


def write_page(checks: list[RegionCheck], path: Path, command: str) -> Path:
    import simulation

    img = path.parent / "img"
    for c in checks:
        figure(c, img / f"validation-{c.name}.png")
    path.write_text(page(checks, command, simulation.__version__), encoding="utf-8")
    return path
