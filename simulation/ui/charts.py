"""Figures of the app (matplotlib `Figure`s, no pyplot state) and the village-map data.

Time runs along x as fractional years (2014.0 = January 2014); mid-run policy changes are
dashed vertical lines at the month from which they applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulation.households import PovertyState, Source
from simulation.scenario import CHANNELS, PROGRAMMES
from simulation.timeline import month_label, parse_month

if TYPE_CHECKING:
    from simulation.ui.session import AppModel, ComparisonModel, PolicyChange

STATE_COLOURS = {PovertyState.NON_POOR: "#9fb7c9", PovertyState.POOR: "#d62728",
                 PovertyState.EXITED: "#2ca02c", PovertyState.RETURNED: "#ff7f0e"}
RUN_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
DPI = 72
PLAIN = FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def years(start: str, months: Sequence[int] | np.ndarray) -> np.ndarray:
    """Month indices from `start` as fractional years (2014.0 = January 2014)."""
    y0, m0 = parse_month(start)
    return y0 + (m0 - 1) / 12.0 + np.asarray(months, dtype=float) / 12.0


def _mark(axes: Sequence[Any], start: str, changes: Sequence[PolicyChange]) -> None:
    for change in changes:
        x = float(years(start, [change.month])[0])
        for ax in axes:
            ax.axvline(x, color="#555", ls="--", lw=1.0)
    if changes:
        ax = axes[0]
        for change in changes:
            x = float(years(start, [change.month])[0])
            ax.annotate("policy\nchange", (x, 1.0), xycoords=("data", "axes fraction"),
                        fontsize=7, ha="left", va="top", color="#333",
                        xytext=(2, -2), textcoords="offset points")


def dashboard(series: pd.DataFrame, start: str, months: int,
              changes: Sequence[PolicyChange] = ()) -> Figure:
    """The visual run's eight live panels."""
    fig = Figure(figsize=(14.5, 6.6), dpi=DPI)  # fixed margins: a layout engine costs ~40%
    fig.subplots_adjust(left=0.035, right=0.995, top=0.955, bottom=0.045, wspace=0.2,
                        hspace=0.16)
    axes = fig.subplots(2, 4, sharex=True)
    flat = list(axes.flat)
    x = years(start, series["month"]) if len(series) else np.array([])
    xlim = (float(years(start, [0])[0]), float(years(start, [months])[0]))

    def col(name: str) -> np.ndarray:
        return series[name].to_numpy() if len(series) else np.array([])

    ax = flat[0]
    ax.plot(x, col("income_poverty_incidence") * 100, label="income below line", color="#d62728")
    ax.plot(x, col("registered_poor_incidence") * 100, label="registered poor", color="#1f77b4")
    ax.set_title("Poverty incidence (% of people)")
    ax.legend(fontsize=8, loc="upper right")

    ax = flat[1]
    sources = [s.name.lower() for s in Source]
    if len(series):
        ax.stackplot(x, *[col(f"income_{s}") for s in sources], labels=sources, alpha=0.85)
    ax.set_title("Income by source (yuan/person/yr)")
    if len(series):
        ax.legend(fontsize=7, loc="upper left", ncols=2)

    for ax, stem, title in ((flat[2], "awareness", "Aware of programme (% households)"),
                            (flat[3], "participation", "Taking part (% households)")):
        for p in PROGRAMMES:
            ax.plot(x, col(f"{stem}_{p}") * 100, label=p.replace("_", " "))
        ax.set_title(title)
    flat[2].legend(fontsize=7, loc="upper left", ncols=2)

    ax = flat[4]
    for ch in CHANNELS:
        ax.plot(x, col(f"contacts_{ch}"), label=ch.replace("_", " "))
    ax.set_title("Contacts by channel (households/month)")
    ax.set_yscale("symlog", linthresh=10)
    ax.yaxis.set_major_formatter(PLAIN)  # not mathtext: much faster to draw
    ax.legend(fontsize=7, loc="upper left", ncols=2)

    ax = flat[5]
    spend = [c for c in series.columns if c.startswith("spending_") and c != "spending_total"]
    if len(series) and spend:
        keys = sorted(spend, key=lambda c: -float(series[c].sum()))
        ax.stackplot(x, *[col(c) / 1e6 for c in keys],
                     labels=[c.removeprefix("spending_").replace("_", " ") for c in keys])
        ax.legend(fontsize=6, loc="upper right", ncols=2)
    ax.set_title("Spending (million yuan/month)")

    ax = flat[6]
    for name in ("policy", "agency", "target", "environment"):
        ax.plot(x, col(f"smith_{name}"), label=name)
    ax.set_ylim(0, 1)
    ax.set_title("Smith indices")
    ax.legend(fontsize=8, loc="lower right", ncols=2)

    ax = flat[7]
    for state in PovertyState:
        ax.plot(x, col(f"share_{state.name.lower()}") * 100, color=STATE_COLOURS[state],
                label=state.name.lower().replace("_", "-"))
    ax.set_title("Poverty state (% households)")
    ax.legend(fontsize=7, loc="center right")

    for ax in flat:
        ax.set_xlim(*xlim)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.title.set_fontsize(10)
    _mark(flat, start, changes)
    return fig


def comparison(model: ComparisonModel) -> Figure:
    """Side by side: each panel one outcome, every run a line on the same axes."""
    panels = [("income_poverty_incidence", "Income-poverty incidence (%)", 100.0),
              ("registered_poor_incidence", "Registered-poor incidence (%)", 100.0),
              ("income_pc", "Per-capita income (yuan/yr)", 1.0),
              ("people_lifted", "People lifted (EXITED now)", 1.0),
              ("cumulative_spending", "Spending so far (million yuan)", 1e-6),
              ("smith_target", "Smith index: target group", 1.0)]
    fig = Figure(figsize=(14.5, 6.4), dpi=DPI)
    fig.subplots_adjust(left=0.05, right=0.995, top=0.955, bottom=0.045, wspace=0.2,
                        hspace=0.16)
    axes = fig.subplots(2, 3, sharex=True)
    first = model.runs[0].config
    xlim = (float(years(first.start, [0])[0]),
            float(years(first.start, [max(r.config.months for r in model.runs)])[0]))
    for i, (label, run) in enumerate(zip(model.labels, model.runs, strict=True)):
        df = run.series()
        if not len(df):
            continue
        x = years(run.config.start, df["month"])
        for ax, (column, _, factor) in zip(axes.flat, panels, strict=True):
            ax.plot(x, df[column].to_numpy() * factor, color=RUN_COLOURS[i % 4], label=label,
                    lw=1.6, ls="-" if i == 0 else ("--", "-.", ":")[(i - 1) % 3])
    for ax, (_, title, _) in zip(axes.flat, panels, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_xlim(*xlim)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        if model.month:
            ax.axvline(float(years(first.start, [model.month - 1])[0]), color="#999", lw=0.8)
    if model.month:
        axes.flat[0].legend(fontsize=8)
    return fig


def history(frame: pd.DataFrame, start: str, months: int, column: str, title: str,
            line: str | None = None, percent: bool = False) -> Figure:
    """A small line chart of one household's or village's history."""
    fig = Figure(figsize=(4.6, 2.2), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    if len(frame):
        x = years(start, frame["month"])
        factor = 100.0 if percent else 1.0
        ax.plot(x, frame[column].to_numpy(dtype=float) * factor, color="#1f77b4")
        if line:
            ax.plot(x, frame[line].to_numpy(dtype=float), color="#d62728", ls="--",
                    label="poverty line")
            ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_xlim(float(years(start, [0])[0]), float(years(start, [months])[0]))
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=7)
    return fig


# ----------------------------------------------------------------------------- map
MAP_SIZE = 1000.0


def map_layout(model: AppModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Village centres, village radii and household positions in a MAP_SIZE square.

    The county town is the centre; a village's distance from it is proportional to its
    remoteness (the most remote village at the edge), its
    angle the golden angle times its index; households sit in a disc around their village.
    The layout's random jitter has its own generator: it never touches the model's.
    """
    v, hh = model.villages, model.households
    n_v = v.n
    angle = np.arange(n_v) * np.pi * (3 - np.sqrt(5))
    radius = 0.06 + 0.88 * v.remoteness / max(float(v.remoteness.max()), 1e-9)
    centre = MAP_SIZE / 2
    vx = centre + 0.46 * MAP_SIZE * radius * np.cos(angle)
    vy = centre + 0.46 * MAP_SIZE * radius * np.sin(angle)
    counts = np.bincount(hh.village, minlength=n_v)
    spacing = 0.55 * MAP_SIZE / np.sqrt(max(n_v, 1))
    vr = np.clip(np.sqrt(counts / max(counts.max(), 1)) * spacing, 6.0, 70.0)
    rng = np.random.default_rng(12345)
    r = np.sqrt(rng.random(hh.n)) * vr[hh.village] * 0.9
    t = rng.random(hh.n) * 2 * np.pi
    pos = np.column_stack([vx[hh.village] + r * np.cos(t), vy[hh.village] + r * np.sin(t)])
    return np.column_stack([vx, vy]), vr, pos


def map_data(model: AppModel, layout: tuple[np.ndarray, np.ndarray, np.ndarray]
             ) -> tuple[list[list[float]], list[list[Any]]]:
    """(villages, households) rows for the Vue map.

    village: [index, x, y, radius, fill]; fill shades with income-poverty incidence.
    household: [row, x, y, state, radius, registered]; radius grows with the number of
    programmes the household takes part in.
    """
    centres, radii, pos = layout
    hh = model.households
    poor = hh.annual_income < model.line
    people = np.bincount(hh.village, weights=hh.size, minlength=model.villages.n)
    poor_people = np.bincount(hh.village, weights=hh.size * poor, minlength=model.villages.n)
    incidence = np.divide(poor_people, people, out=np.zeros_like(people), where=people > 0)
    villages = []
    for i in range(model.villages.n):
        shade = int(250 - 120 * min(incidence[i] * 2, 1.0))
        villages.append([i, round(float(centres[i, 0]), 1), round(float(centres[i, 1]), 1),
                         round(float(radii[i]), 1), f"rgb(250,{shade},{shade})"])
    k = hh.participating.sum(axis=1)
    size = 2.2 + 1.3 * np.minimum(k, 3)
    rows = [[i, round(float(x), 1), round(float(y), 1), int(s), float(r), int(g)]
            for i, (x, y, s, r, g) in enumerate(zip(pos[:, 0], pos[:, 1], hh.state, size,
                                                     hh.registered, strict=True))]
    return villages, rows


def network_nodes(model: AppModel, village: int, limit: int = 160) -> np.ndarray:
    """Households of `village` and, breadth first, their network neighbours (up to limit)."""
    net = model.network.tocsr()
    seeds = np.flatnonzero(model.households.village == village)
    chosen = list(seeds[:limit])
    seen = set(chosen)
    frontier = chosen
    while frontier and len(chosen) < limit:
        nxt = []
        for row in frontier:
            for j in net.indices[net.indptr[row]:net.indptr[row + 1]]:
                if j not in seen and len(chosen) < limit:
                    seen.add(int(j))
                    chosen.append(int(j))
                    nxt.append(int(j))
        frontier = nxt
    return np.array(sorted(chosen), dtype=int)


def network_layout(model: AppModel, nodes: np.ndarray) -> np.ndarray:
    """Spring layout of the sub-network of `nodes` (deterministic)."""
    import networkx as nx

    sub = model.network.tocsr()[nodes][:, nodes]
    graph = nx.from_scipy_sparse_array(sub)
    pos = nx.spring_layout(graph, seed=7, iterations=60)
    return np.array([pos[i] for i in range(len(nodes))])


def network_figure(model: AppModel, nodes: np.ndarray, layout: np.ndarray, programme: str,
                   village: int) -> Figure:
    """Who heard of `programme` when, over the household network around `village`."""
    k = PROGRAMMES.index(programme)
    fig = Figure(figsize=(11.5, 4.8), dpi=DPI, layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.5, 1])
    sub = model.network.tocsr()[nodes][:, nodes].tocoo()
    for i, j in zip(sub.row, sub.col, strict=True):
        if i < j:
            ax.plot(layout[[i, j], 0], layout[[i, j], 1], color="#ccc", lw=0.5, zorder=1)
    first = model.first_aware[nodes, k].astype(float)
    aware = first >= 0
    part = model.households.participating[nodes, k]
    in_village = model.households.village[nodes] == village
    ax.scatter(layout[~aware, 0], layout[~aware, 1], s=22, facecolors="white",
               edgecolors="#999", zorder=2, label="not yet aware")
    months = max(model.month - 1, 1)  # the colour scale spans the months simulated so far
    sc = ax.scatter(layout[aware, 0], layout[aware, 1], c=first[aware], cmap="viridis",
                    vmin=0, vmax=months, s=np.where(part[aware], 60, 26),
                    edgecolors=np.where(part[aware], "black", "none"), zorder=3,
                    label="aware (colour: month heard)")
    ax.scatter(layout[~in_village, 0], layout[~in_village, 1], marker="x", s=10, c="#444",
               zorder=4, label="other village")
    cbar = fig.colorbar(sc, ax=ax, shrink=0.8, label="month first heard")
    y0 = years(model.config.start, [0])[0]
    every = 3 if months <= 24 else (12 if months <= 72 else 24)
    ticks = [t for t in range(0, months + 1) if round(y0 * 12 + t) % every == 0]
    cbar.set_ticks(ticks)
    cbar.set_ticklabels([month_label(model.config.start, t) for t in ticks])
    ax.set_title(f"Network around village {village}: who heard of "
                 f"{programme.replace('_', ' ')}, when\n(large, ringed: taking part)",
                 fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_axis_off()
    # spread curve: share of these households aware by month
    ax2.set_title(f"Share aware of {programme.replace('_', ' ')}", fontsize=9)
    if model.month:
        m = np.arange(model.month)
        x = years(model.config.start, m)
        here = [(first[in_village] >= 0) & (first[in_village] <= t) for t in m]
        ax2.plot(x, [h.mean() * 100 for h in here], label=f"village {village}")
        series = model.series()
        ax2.plot(x, series[f"awareness_{programme}"].to_numpy() * 100, label="whole region")
        ax2.legend(fontsize=8)
    ax2.set_ylim(0, 100)
    ax2.set_ylabel("%")
    ax2.grid(alpha=0.3)
    return fig
