"""Write a comparison as a self-contained HTML report with CSV and Parquet tables.

Layout of the output folder::

    report.html          the report (figures embedded as PNG; no scripts, no network)
    tables/NAME.csv      every table of the comparison, also as NAME.parquet
    figures/NAME.png     the figures, also embedded in report.html
    scenarios/ARM.yaml   the resolved scenario of every arm
    meta.json            model version, git commit, seeds, settings, scenario hashes

Every number in an HTML table carries its stored value in `data-value` and the table its
source in `data-source`, so the report can be checked against the stored tables.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.comparison.compare import Comparison  # noqa: E402
from simulation.runs import html as report_html  # noqa: E402


# --------------------------------------------------------------------------- formatting
def _num(x: float, decimals: int, suffix: str = "", sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if text.lstrip("+-").strip("0.,") == "":  # -0.000 -> 0.000
        text = text.lstrip("+-")
    return text.replace("-", "\u2212") + suffix


#: unit -> (scale, decimals for a level, decimals for a difference, level suffix, diff suffix)
UNITS = {"share": (100.0, 2, 3, "%", " pp"), "rate": (100.0, 2, 3, "%", " pp"),
         "people": (1.0, 0, 0, "", ""), "yuan": (1.0, 0, 0, "", ""),
         "index": (1.0, 4, 4, "", "")}


def fmt_level(x: float, unit: str) -> str:
    scale, dl, _, sl, _ = UNITS.get(unit, (1.0, 4, 4, "", ""))
    return _num(x * scale, dl, sl)


def fmt_diff(x: float, unit: str) -> str:
    scale, _, dd, _, sd = UNITS.get(unit, (1.0, 4, 4, "", ""))
    return _num(x * scale, dd, sd, sign=True)


def fmt_p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def parse_display(text: str) -> float:
    """The number shown in a formatted cell (inverse of the formatters, before scaling)."""
    t = text.replace("\u2212", "-").replace(",", "").replace("pp", "").replace("%", "").strip()
    if t in ("n/a", ""):
        return float("nan")
    if t.startswith("<"):
        return 0.0
    return float(t)


def display_scale(unit: str) -> float:
    return UNITS.get(unit, (1.0,))[0]


# ---------------------------------------------------------------------------- tables
# column -> (header, kind); kinds: text, level, diff, p, int, pct, bool, and a unit name
# for a fixed unit. 'level'/'diff' take the unit from the row's 'unit' column.
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "ranking": [("rank", "Rank", "int"), ("countermeasure", "Countermeasure", "text"),
                ("criterion_label", "Criterion", "text"), ("diff", "Change", "diff"),
                ("ci_low", "95% CI from", "diff"), ("ci_high", "to", "diff"),
                ("p_adjusted_vs_baseline", "Adjusted p vs baseline", "p"),
                ("vs_baseline", "Versus baseline", "text"),
                ("vs_next", "Versus next in rank", "text")],
    "headline": [("countermeasure", "Countermeasure", "text"), ("label", "Outcome", "text"),
                 ("baseline", "Baseline", "level"), ("value", "Countermeasure", "level"),
                 ("diff", "Change", "diff"), ("ci_low", "95% CI from", "diff"),
                 ("ci_high", "to", "diff"), ("p", "p", "p"),
                 ("p_adjusted", "Adjusted p", "p"), ("verdict", "Statement", "text")],
    "periods": [("countermeasure", "Countermeasure", "text"), ("period", "Period", "text"),
                ("first", "From", "text"), ("last", "To", "text"),
                ("label", "Outcome", "text"), ("baseline", "Baseline", "level"),
                ("value", "Countermeasure", "level"), ("diff", "Change", "diff"),
                ("ci_low", "95% CI from", "diff"), ("ci_high", "to", "diff"),
                ("p_adjusted", "Adjusted p", "p"), ("verdict", "Statement", "text")],
    "cost_effectiveness": [
        ("countermeasure", "Countermeasure", "text"),
        ("extra_spending", "Extra spending (yuan)", "yuan"),
        ("extra_spending_low", "95% CI from", "yuan"), ("extra_spending_high", "to", "yuan"),
        ("extra_people_lifted", "Extra people lifted", "people"),
        ("extra_people_lifted_low", "95% CI from", "people"),
        ("extra_people_lifted_high", "to", "people"),
        ("yuan_per_extra_person_lifted", "Yuan per extra person lifted", "yuan"),
        ("ratio_low", "95% CI from", "yuan"), ("ratio_high", "to", "yuan"),
        ("note", "Note", "text")],
    "deciles": [("countermeasure", "Countermeasure", "text"), ("decile", "Decile", "int"),
                ("baseline", "Baseline income (yuan/person/yr)", "level"),
                ("value", "Countermeasure", "level"), ("diff", "Change (yuan)", "diff"),
                ("ci_low", "95% CI from", "diff"), ("ci_high", "to", "diff"),
                ("pct_change", "Change (%)", "pct"), ("p_adjusted", "Adjusted p", "p"),
                ("verdict", "Statement", "text")],
    "winners_losers": [("countermeasure", "Countermeasure", "text"),
                       ("label", "Households (people-weighted)", "text"),
                       ("share", "Share of people", "share"),
                       ("ci_low", "95% CI from", "share"), ("ci_high", "to", "share")],
    "groups": [("countermeasure", "Countermeasure", "text"), ("label", "Group", "text"),
               ("date", "Date", "text"), ("baseline", "Baseline incidence", "level"),
               ("value", "Countermeasure", "level"), ("diff", "Change", "diff"),
               ("ci_low", "95% CI from", "diff"), ("ci_high", "to", "diff"),
               ("p_adjusted", "Adjusted p", "p"), ("verdict", "Statement", "text")],
    "arms": [("arm", "Arm", "text"), ("role", "Role", "text"),
             ("scenario_hash", "Scenario hash", "text"), ("source", "Source", "text"),
             ("households", "Households", "int"),
             ("households_represented", "Represented", "int"), ("start", "Start", "text"),
             ("months", "Months", "int"), ("seeds", "Seeds", "text")],
}


def _replicate_columns(df: pd.DataFrame, units: dict[str, str]) -> list[tuple[str, str, str]]:
    cols = [("arm", "Arm", "text"), ("replicate", "Replicate", "int"), ("seed", "Seed", "int")]
    return cols + [(c, c, units.get(c, "index")) for c in df.columns
                   if c not in ("arm", "replicate", "seed", "run_key")]


def _cell(value: object, kind: str, unit: str) -> tuple[str, str]:
    """(display text, stored value as text) of one cell."""
    if kind == "text":
        return ("" if value is None or (isinstance(value, float) and math.isnan(value))
                else str(value)), str(value)
    if kind == "bool":
        return ("yes" if value else "no"), str(bool(value))
    v = float(value)  # type: ignore[arg-type]
    stored = repr(v)
    if kind == "int":
        return (_num(v, 0) if not math.isnan(v) else "n/a"), stored
    if kind == "p":
        return fmt_p(v), stored
    if kind == "pct":
        return _num(v * 100, 2, "%", sign=True), stored
    if kind == "level":
        return fmt_level(v, unit), stored
    if kind == "diff":
        return fmt_diff(v, unit), stored
    return fmt_level(v, kind), stored  # a fixed unit


def cell_unit(kind: str, row_unit: str) -> str:
    """Unit that sets the display scale of a cell (for checking display against storage)."""
    if kind in ("level", "diff"):
        return row_unit
    if kind == "pct":
        return "share"
    return kind if kind in UNITS else "index"


def html_table(name: str, df: pd.DataFrame, columns: list[tuple[str, str, str]]) -> str:
    head = [(h, {"data-col": c}) for c, h, _ in columns]
    rows = []
    for i, row in enumerate(df.to_dict("records")):
        unit = str(row.get("unit", ""))
        cells = []
        for c, _, kind in columns:
            text, stored = _cell(row.get(c), kind, unit)
            cells.append((text, {"data-col": c, "data-kind": kind,
                                 "data-unit": cell_unit(kind, unit), "data-value": stored,
                                 "class": "num" if kind not in ("text",) else None}))
        good = row.get("distinguishable")
        rows.append((cells, {"data-row": i,
                             "class": "sig" if good is True or good is np.True_ else None}))
    return report_html.table(head, rows, {"id": f"table-{name}",
                                          "data-source": f"tables/{name}.csv"})


# --------------------------------------------------------------------------- figures
def _year(dates: pd.Series | np.ndarray) -> np.ndarray:
    d = pd.Series(dates).astype(str)
    return d.str[:4].astype(int).to_numpy() + (d.str[5:7].astype(int).to_numpy() - 1) / 12


def _paired(comp: Comparison) -> str:
    """'paired ' when replicates share seeds (common random numbers), else nothing."""
    return "paired " if comp.meta["pairing"] == "crn" else ""


def _colours(arms: list[str]) -> dict[str, str]:
    cmap = plt.get_cmap("tab10")
    out = {arms[0]: "black"}
    out.update({a: matplotlib.colors.to_hex(cmap(i % 10)) for i, a in enumerate(arms[1:])})
    return out


def _band_panel(ax, traj: pd.DataFrame, series: str, arms: list[str], colours: dict,
                diff: bool, scale: float, transition: float | None) -> None:
    for arm in arms:
        t = traj[(traj["series"] == series) & (traj["arm"] == arm)]
        x = _year(t["date"])
        m, lo, hi = (("diff", "diff_low", "diff_high") if diff else ("mean", "low", "high"))
        ax.plot(x, t[m] * scale, color=colours[arm], lw=1.4, label=arm)
        ax.fill_between(x, t[lo] * scale, t[hi] * scale, color=colours[arm], alpha=0.2, lw=0)
    if diff:
        ax.axhline(0, color="grey", lw=0.8)
    if transition is not None:
        ax.axvline(transition, color="grey", ls="--", lw=0.8)
    ax.grid(alpha=0.3)


def fig_trajectories(comp: Comparison) -> plt.Figure:
    traj, arms = comp.tables["trajectories"], _arm_names(comp)
    colours, tr = _colours(arms), _transition(comp)
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True)
    specs = [("income_poverty_incidence", False, 100, "Income-poverty incidence (%)"),
             ("income_poverty_incidence", True, 100, "Change vs baseline (pp)"),
             ("income_pc", False, 1, "Per-capita income (yuan/yr)"),
             ("income_pc", True, 1, "Change vs baseline (yuan/yr)")]
    for ax, (series, diff, scale, title) in zip(axes.flat, specs, strict=True):
        _band_panel(ax, traj, series, arms, colours, diff, scale, tr)
        ax.set_title(title, fontsize=10)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    fig.suptitle("Trajectories: mean over replicates with 95% bands (right: "
                 f"{_paired(comp)}change versus baseline; dashed: start of transition)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def fig_smith(comp: Comparison) -> plt.Figure:
    traj, arms = comp.tables["trajectories"], _arm_names(comp)
    colours, tr = _colours(arms), _transition(comp)
    names = ["smith_policy", "smith_agency", "smith_target", "smith_environment"]
    fig, axes = plt.subplots(2, 4, figsize=(15, 6), sharex=True)
    for j, s in enumerate(names):
        _band_panel(axes[0, j], traj, s, arms, colours, False, 1, tr)
        _band_panel(axes[1, j], traj, s, arms, colours, True, 1, tr)
        axes[0, j].set_title(s.replace("smith_", "").capitalize() + " index", fontsize=10)
        axes[1, j].set_title("change vs baseline", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Smith's four factors over time (top: level; bottom: "
                 f"{_paired(comp)}change versus baseline, 95% band)", fontsize=10)
    fig.tight_layout()
    return fig


def fig_cost_effectiveness(comp: Comparison) -> plt.Figure:
    reps, arms = comp.tables["replicates"], _arm_names(comp)
    colours = _colours(arms)
    base = reps[reps["arm"] == arms[0]].sort_values("replicate")
    ce = comp.tables["cost_effectiveness"].set_index("countermeasure")
    fig, ax = plt.subplots(figsize=(8, 6))
    for arm in arms[1:]:
        r = reps[reps["arm"] == arm].sort_values("replicate")
        dl = r["people_lifted"].to_numpy() - base["people_lifted"].to_numpy()
        ds = (r["total_spending"].to_numpy() - base["total_spending"].to_numpy()) / 1e6
        ax.scatter(dl, ds, s=10, alpha=0.35, color=colours[arm])
        row = ce.loc[arm]
        x, y = row["extra_people_lifted"], row["extra_spending"] / 1e6
        xerr = [[x - row["extra_people_lifted_low"]], [row["extra_people_lifted_high"] - x]]
        yerr = [[y - row["extra_spending_low"] / 1e6], [row["extra_spending_high"] / 1e6 - y]]
        ax.errorbar([x], [y], xerr=np.nan_to_num(xerr), yerr=np.nan_to_num(yerr), fmt="o",
                    ms=7, color=colours[arm], capsize=3, label=arm)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("Extra people lifted versus baseline (people in exited state at end)")
    ax.set_ylabel("Extra spending versus baseline (million yuan)")
    ax.set_title(f"Cost-effectiveness: each dot is one {_paired(comp)}replicate; marker = "
                 "mean with 95% CI", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig_deciles(comp: Comparison) -> plt.Figure | None:
    dec, arms = comp.tables["deciles"], _arm_names(comp)
    if dec.empty:
        return None
    colours = _colours(arms)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(1, len(arms) - 1)
    for k, arm in enumerate(arms[1:]):
        d = dec[dec["countermeasure"] == arm].sort_values("decile")
        x = d["decile"].to_numpy() - 0.4 + width * (k + 0.5)
        base = d["baseline"].to_numpy()
        y = d["diff"].to_numpy() / base * 100
        err = np.vstack([(d["diff"] - d["ci_low"]) / base * 100,
                         (d["ci_high"] - d["diff"]) / base * 100])
        ax.bar(x, y, width, color=colours[arm], label=arm, yerr=np.nan_to_num(err),
               capsize=2, error_kw={"lw": 0.8})
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("Decile of per-capita income under the baseline at end (1 = poorest)")
    ax.set_ylabel("Change in per-capita income (%)")
    ax.set_title("Who gains: change in income at end by baseline income decile (95% CI)",
                 fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _arm_names(comp: Comparison) -> list[str]:
    return [str(comp.meta["baseline"]), *[str(a) for a in comp.meta["countermeasures"]]]


def _transition(comp: Comparison) -> float | None:
    periods = comp.meta["periods"]
    if len(periods) < 2:  # type: ignore[arg-type]
        return None
    return float(_year(np.array([periods[1][1]]))[0])  # type: ignore[index]


def _png(fig: plt.Figure, path: Path) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    data = buf.getvalue()
    path.write_bytes(data)
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------------- report
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1400px;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.85em}
th,td{border:1px solid #ddd;padding:3px 7px;vertical-align:top}
th{background:#f3f3f3;text-align:left}td.num{text-align:right;white-space:nowrap}
tr.sig td{background:#eef7ee}figure{margin:1em 0}img{max-width:100%}
.note{color:#555;font-size:0.9em}pre{background:#f7f7f7;padding:0.8em;overflow:auto;
font-size:0.8em}details{margin:0.4em 0}code{background:#f3f3f3;padding:0 3px}
"""


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def _section(title: str, *parts: str, anchor: str = "") -> str:
    aid = f' id="{anchor}"' if anchor else ""
    return f"<section{aid}><h2>{html.escape(title)}</h2>{''.join(parts)}</section>"


def _figure(b64: str, alt: str, caption: str) -> str:
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'
            f"<figcaption class=\"note\">{html.escape(caption)}</figcaption></figure>")


def _summary_sentences(comp: Comparison) -> str:
    rank = comp.tables["ranking"]
    lines = []
    for r in rank.to_dict("records"):
        change = fmt_diff(r["diff"], _unit_of(comp, str(r["criterion"])))
        lines.append(f"<li><b>{html.escape(str(r['countermeasure']))}</b>: change {change} "
                     f"({html.escape(str(r['vs_baseline']))})</li>")
    return "<ol>" + "".join(lines) + "</ol>"


def _unit_of(comp: Comparison, key: str) -> str:
    h = comp.tables["headline"]
    u = h.loc[h["outcome"] == key, "unit"]
    return str(u.iloc[0]) if len(u) else "index"


def render_html(comp: Comparison, figures: dict[str, str], title: str) -> str:
    m = comp.meta
    t = comp.tables
    units = dict(zip(t["headline"]["outcome"], t["headline"]["unit"], strict=True))
    cols: dict[str, list[tuple[str, str, str]]] = dict(COLUMNS)
    cols["replicates"] = _replicate_columns(t["replicates"], units)
    tab: Callable[[str], str] = lambda n: html_table(n, t[n], cols[n])  # noqa: E731
    pairing = ("common random numbers: every arm ran with the same seeds, so replicate "
               "<i>i</i> of each arm shares households, shocks and draws, and differences "
               "are paired (paired t interval and test, <code>scipy.stats.ttest_rel</code>)"
               if m["pairing"] == "crn" else
               "independent seeds per arm (Welch two-sample interval and test, "
               "<code>scipy.stats.ttest_ind</code>)")
    correction = {"holm": "Holm's step-down correction (family-wise error rate)",
                  "bh": "Benjamini-Hochberg (false discovery rate, "
                        "<code>scipy.stats.false_discovery_control</code>)",
                  "none": "no correction"}[str(m["correction"])]
    level = f"{float(m['confidence_level']):.0%}"  # type: ignore[arg-type]
    intro = _p(
        f"Baseline <b>{html.escape(str(m['baseline']))}</b> against "
        f"{len(m['countermeasures'])} countermeasure(s): "  # type: ignore[arg-type]
        f"{html.escape(', '.join(m['countermeasures']))}. "  # type: ignore[arg-type]
        f"{m['replicates']} replicates per arm, {int(m['households']):,} simulated households "  # type: ignore[arg-type]
        f"standing for {int(m['households_represented']):,} real households; people and yuan "  # type: ignore[arg-type]
        f"are for the represented region. Runs from {m['start']} for {m['months']} months.")
    method = _p(
        f"Pairing: {pairing}. Intervals are {level} confidence intervals of the mean "
        f"change. A change is called distinguishable from zero only when its p-value after "
        f"{correction} is below {m['alpha']}; the correction is applied within each table "
        "(one family per table). The intervals are not adjusted, so an interval that just "
        "excludes zero can still be 'not distinguishable' after the correction. Rows in "
        "green are distinguishable from zero. 'pp' = percentage points.")
    ranking = _section(
        "Ranking", _p(f"<b>Criterion:</b> {html.escape(str(m['criterion']))}. Countermeasures "
                      "whose difference from the next is not distinguishable are not firmly "
                      "ordered."), _summary_sentences(comp), tab("ranking"), anchor="ranking")
    headline = _section(
        "Headline: change versus baseline", _p(
            "For each countermeasure, the outcome under the baseline and under the "
            f"countermeasure (means over replicates) and the {_paired(comp)}change with its "
            "interval "
            "and an explicit statement. Cost per person lifted is total spending divided by "
            "people in the exited state at the end."), tab("headline"), anchor="headline")
    trajectories = _section(
        "Trajectories", _figure(figures["trajectories"], "incidence and income trajectories",
                                "Incidence and per-capita income by arm; bands are 95% "
                                "intervals of the mean (right: of the "
                                f"{_paired(comp)}change)."),
        anchor="trajectories")
    periods = _section(
        "Results by period: the push to 2020 and the transition after it",
        _p("Flows (exits, returns, spending) are counted within each period; incidence "
           "change is from the month before the period to its last month. A countermeasure "
           "that wins during the push and loses after its funds are withdrawn shows here."),
        tab("periods"), anchor="periods")
    cost = _section(
        "Cost-effectiveness", _figure(figures["cost_effectiveness"], "cost-effectiveness plot",
                                      "Extra spending against extra people lifted."),
        _p("Yuan per extra person lifted is the mean extra spending over the mean extra "
           f"people lifted ({_paired(comp)}bootstrap interval). It is left undefined when the "
           "extra "
           "people lifted are not distinguishable from zero, and not given for a dominant "
           "countermeasure (more people lifted for no extra spending) or a dominated one "
           "(fewer for no saving). When both are negative it is the saving per person fewer "
           "lifted."), tab("cost_effectiveness"),
        anchor="cost")
    dist_parts = []
    if "deciles" in figures:
        dist_parts.append(_figure(figures["deciles"], "change by income decile",
                                  "Change in per-capita income by baseline decile."))
    dist_parts += [
        "<h3>Change by income decile</h3>",
        _p("Households are grouped by their per-capita income at the end of the baseline run "
           "(people-weighted deciles) and the same households are followed under the "
           "countermeasure (common random numbers pair them by row)."), tab("deciles"),
        "<h3>Winners and losers</h3>",
        _p(f"Share of people in households whose per-capita income at end is higher "
           f"(winners) or lower (losers) than under the baseline by more than "
           f"{float(m['threshold']):.0%}, and who crossed the poverty line either way."),  # type: ignore[arg-type]
        tab("winners_losers"),
        "<h3>Poverty by group</h3>",
        _p("Income-poverty incidence within each group. Registration depends on the policy, "
           "so the registered and non-registered groups are not the same households in "
           "every arm."), tab("groups")]
    if m["pairing"] != "crn":
        dist_parts.insert(0, _p("Household-level tables need paired runs; with independent "
                                "seeds they are empty."))
    distribution = _section("Distribution", *dist_parts, anchor="distribution")
    smith = _section("Smith's factors", _figure(
        figures["smith"], "Smith indices", "Policy, agency, target-group and environment "
        "indices over time."), anchor="smith")
    yaml_blocks = "".join(
        f"<details><summary>{html.escape(name)} (hash "
        f"{html.escape(str(t['arms'].set_index('arm').loc[name, 'scenario_hash']))})"
        f"</summary><pre>{html.escape(text)}</pre></details>"
        for name, text in comp.scenarios.items())
    seeds = ", ".join(str(s) for s in m["seeds"])  # type: ignore[attr-defined]
    provenance = _section(
        "Model version, scenarios and seeds",
        _p(f"povsim {html.escape(str(m['model_version']))}, git commit "
           f"<code>{html.escape(str(m['git_commit']))}</code>. Seeds: {seeds}. "
           f"{m['runs']} runs on executor '{html.escape(str(m['executor']))}' with "
           f"{m['workers']} worker(s) in {m['run_seconds']} s."),
        tab("arms"), "<h3>Scenarios (resolved, as run)</h3>", yaml_blocks,
        "<details><summary>Every replicate's outcomes</summary>", tab("replicates"),
        "</details>",
        _p("Tables: " + ", ".join(f'<a href="tables/{n}.csv">{n}.csv</a>'
                                  for n in sorted(t)) + " (also as Parquet)."),
        anchor="provenance")
    nav = " | ".join(f'<a href="#{a}">{n}</a>' for a, n in [
        ("ranking", "Ranking"), ("headline", "Headline"), ("trajectories", "Trajectories"),
        ("periods", "By period"), ("cost", "Cost-effectiveness"),
        ("distribution", "Distribution"), ("smith", "Smith's factors"),
        ("provenance", "Provenance")])
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{intro}{method}<p class=\"note\">{nav}</p>"
            f"{ranking}{headline}{trajectories}{periods}{cost}{distribution}{smith}"
            f"{provenance}</body></html>")


def write_report(comp: Comparison, out: str | Path, title: str | None = None
                 ) -> dict[str, Path]:
    """Write tables (CSV and Parquet), figures, scenarios, meta.json and report.html."""
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    (out / "scenarios").mkdir(exist_ok=True)
    paths: dict[str, Path] = {}
    for name, df in comp.tables.items():
        df.to_csv(out / "tables" / f"{name}.csv", index=False)
        df.to_parquet(out / "tables" / f"{name}.parquet", index=False)
        paths[f"table_{name}"] = out / "tables" / f"{name}.csv"
    figures = {"trajectories": _png(fig_trajectories(comp), out / "figures/trajectories.png"),
               "smith": _png(fig_smith(comp), out / "figures/smith.png"),
               "cost_effectiveness": _png(fig_cost_effectiveness(comp),
                                          out / "figures/cost_effectiveness.png")}
    dec = fig_deciles(comp)
    if dec is not None:
        figures["deciles"] = _png(dec, out / "figures/deciles.png")
    for name, text in comp.scenarios.items():
        safe = re.sub(r"[^A-Za-z0-9_.@#-]+", "_", name)
        (out / "scenarios" / f"{safe}.yaml").write_text(text, encoding="utf-8")
    hashes = dict(zip(comp.tables["arms"]["arm"], comp.tables["arms"]["scenario_hash"],
                      strict=True))
    (out / "meta.json").write_text(json.dumps({**comp.meta, "scenario_hashes": hashes},
                                              indent=2, default=str))
    title = title or f"Countermeasures compared with {comp.meta['baseline']}"
    paths["html"] = out / "report.html"
    paths["html"].write_text(render_html(comp, figures, title), encoding="utf-8")
    paths["meta"] = out / "meta.json"
    return paths


def read_tables(out: str | Path, fmt: str = "parquet") -> dict[str, pd.DataFrame]:
    """The stored tables of a report folder (fmt 'parquet' or 'csv')."""
    folder = Path(out) / "tables"
    read = pd.read_parquet if fmt == "parquet" else pd.read_csv
    return {p.stem: read(p) for p in sorted(folder.glob(f"*.{fmt}"))}
