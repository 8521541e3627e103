"""What the app draws: the live charts (as data for the SVG component linecharts.vue,
drawn by the browser, so a step costs the server milliseconds, not a matplotlib render),
the village map's data, and matplotlib figures for the on-demand views (a household's or
village's history, the household network).

Time runs along x as fractional years (2014.0 = January 2014); mid-run policy changes are
dashed vertical lines at the month from which they applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simulation.households import PovertyState, Source
from simulation.outcomes import NOW
from simulation.scenario import CHANNELS, PROGRAMMES
from simulation.timeline import month_label, parse_month

if TYPE_CHECKING:
    from simulation.ui.session import AppModel, ComparisonModel, PolicyChange

STATE_COLOURS = {PovertyState.NON_POOR: "#9fb7c9", PovertyState.POOR: "#d62728",
                 PovertyState.EXITED: "#2ca02c", PovertyState.RETURNED: "#ff7f0e"}
RUN_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
DPI = 72


def years(start: str, months: Sequence[int] | np.ndarray) -> np.ndarray:
    """Month indices from `start` as fractional years (2014.0 = January 2014)."""
    y0, m0 = parse_month(start)
    return y0 + (m0 - 1) / 12.0 + np.asarray(months, dtype=float) / 12.0


#: A shaded range behind a chart's lines: (colour, x in fractional years, low, high).
Band = tuple[str, np.ndarray, np.ndarray, np.ndarray]


def band_ranges(band: dict[str, pd.DataFrame], colours: dict[str, str], factor: float = 1.0
                ) -> list[Band]:
    """Bands for the columns of `colours` (a `band_lines` result), scaled by `factor`."""
    out = []
    for column, colour in colours.items():
        rows = band.get(column)
        if rows is None or not len(rows):
            continue
        dates = rows["date"].astype(str)
        x = dates.str[:4].astype(int).to_numpy() + (dates.str[5:7].astype(int).to_numpy()
                                                    - 1) / 12.0
        out.append((colour, x, rows["low"].to_numpy(float) * factor,
                    rows["high"].to_numpy(float) * factor))
    return out


# ------------------------------------------------------------------- SVG panels
#: Geometry of one SVG chart panel (pixels): width, plot height, margins.
PANEL_W, PLOT_H, LEFT, RIGHT, TOP = 296, 140, 40, 14, 24


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    return [float(t) for t in MaxNLocator(n).tick_values(lo, hi) if lo - 1e-9 <= t <= hi + 1e-9]


def _label(v: float, percent: bool) -> str:
    if percent:
        return f"{v:g}%"
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def panel(title: str, x: np.ndarray, series: Sequence[tuple[str, str, np.ndarray]],
          xlim: tuple[float, float], *, stack: bool = False, log: bool = False,
          ylim: tuple[float, float] | None = None, percent: bool = False,
          markers: Sequence[tuple[float, str]] = (), dashes: Sequence[str] = (),
          bands: Sequence[Band] = ()) -> dict[str, Any]:
    """One chart as data for linecharts.vue: lines (or stacked areas) already in pixels.

    `x` in fractional years; `series` are (label, colour, values); `log` plots
    log10(1 + value) with ticks at powers of ten; `markers` are (x, text) dashed lines;
    `bands` are shaded (colour, x, low, high) ranges behind the lines (a posterior band).
    """
    rows = (len(series) + 1) // 2
    w, h = PANEL_W, TOP + PLOT_H + 16 + 11 * rows + 4
    box = (LEFT, TOP, w - RIGHT, TOP + PLOT_H)
    values = [np.asarray(v, dtype=float) for _, _, v in series]
    if stack and values:
        values = list(np.cumsum(np.vstack(values), axis=0))
    if log:
        values = [np.log10(1.0 + np.maximum(v, 0.0)) for v in values]
    finite = np.concatenate([v[np.isfinite(v)] for v in
                             [*values, *(b[3] for b in bands)]]) if values else np.array([])
    if ylim is not None:
        lo, hi = ylim
    elif finite.size:
        lo = min(0.0, float(finite.min()))
        hi = float(finite.max()) * 1.05
    else:
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + 1.0

    def px(xv: np.ndarray) -> np.ndarray:
        return box[0] + (xv - xlim[0]) / (xlim[1] - xlim[0]) * (box[2] - box[0])

    def py(yv: np.ndarray) -> np.ndarray:
        return box[3] - (np.clip(yv, lo, hi) - lo) / (hi - lo) * (box[3] - box[1])

    def points(xs: np.ndarray, ys: np.ndarray) -> str:
        ok = np.isfinite(ys)
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(xs[ok]), py(ys[ok]),
                                                           strict=True))

    lines, areas = [], []
    shaded = []
    for colour, bx, low, high in bands:
        keep = (bx >= xlim[0]) & (bx <= xlim[1])
        bx, low, high = bx[keep], low[keep], high[keep]
        shaded.append({"points": points(np.concatenate([bx, bx[::-1]]),
                                        np.concatenate([high, low[::-1]])), "color": colour})
    if stack:
        below = np.zeros(len(x))
        for (_, colour, _), top in zip(series, values, strict=True):
            xs = np.concatenate([x, x[::-1]])
            ys = np.concatenate([top, below[::-1]])
            areas.append({"points": points(xs, ys), "color": colour})
            below = top
    else:  # a line per series even before the first month (empty points)
        for i, ((_, colour, _), v) in enumerate(zip(series, values, strict=True)):
            dash = dashes[i] if i < len(dashes) else ""
            lines.append({"points": points(x, v), "color": colour, "dash": dash})
    if log:
        yticks = [(float(py(np.array([t]))[0]), _label(10 ** t, False))
                  for t in range(int(np.floor(lo)), int(np.ceil(hi)) + 1) if lo <= t <= hi]
    else:
        yticks = [(float(py(np.array([t]))[0]), _label(t, percent)) for t in _ticks(lo, hi)]
    first, last = int(np.ceil(xlim[0])), int(np.floor(xlim[1]))
    step = max(1, (last - first) // 6 + ((last - first) % 6 > 0))
    xticks = [(float(px(np.array([float(t)]))[0]), str(t)) for t in range(first, last + 1, step)]
    legend = []
    for i, (label, colour, _) in enumerate(series):
        col, row = i % 2, i // 2
        legend.append([LEFT - 30 + col * (w - LEFT + 30) / 2, TOP + PLOT_H + 27 + 11 * row,
                       label[:24], colour])
    marks = [[float(px(np.array([mx]))[0]), text] for mx, text in markers
             if xlim[0] <= mx <= xlim[1]]
    return {"title": title, "w": w, "h": h, "box": box, "lines": lines, "areas": areas,
            "bands": shaded,
            "xticks": xticks, "yticks": yticks, "legend": legend, "markers": marks}


PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd"]


def dashboard_panels(series: pd.DataFrame, start: str, months: int,
                     changes: Sequence[PolicyChange] = (),
                     band: dict[str, pd.DataFrame] | None = None) -> list[dict[str, Any]]:
    """The visual run's eight live charts (data for linecharts.vue); `band` (column ->
    posterior band rows, `simulation.calibration.band.band_lines`) shades the incidence
    chart behind its lines."""
    x = years(start, series["month"]) if len(series) else np.array([])
    xlim = (float(years(start, [0])[0]), float(years(start, [months])[0]))
    marks = [(float(years(start, [c.month])[0]), "policy change") for c in changes]

    def col(name: str) -> np.ndarray:
        return series[name].to_numpy(dtype=float) if len(series) else np.array([])

    def named(items: Sequence[str], prefix: str, factor: float = 1.0
              ) -> list[tuple[str, str, np.ndarray]]:
        return [(k.replace("_", " "), PALETTE[i % len(PALETTE)], col(prefix + k) * factor)
                for i, k in enumerate(items)]

    spend = sorted((c.removeprefix("spending_") for c in series.columns
                    if c.startswith("spending_") and c != "spending_total"),
                   key=lambda k: -float(series[f"spending_{k}"].sum()))
    return [
        panel("Poverty incidence (% of people)", x,
              [("income below line", "#d62728", col("income_poverty_incidence") * 100),
               ("registered poor", "#1f77b4", col("registered_poor_incidence") * 100)],
              xlim, percent=True, markers=marks,
              bands=band_ranges(band or {}, {"income_poverty_incidence": "#d62728",
                                             "registered_poor_incidence": "#1f77b4"}, 100)),
        panel("Income by source (yuan/person/yr)", x,
              named([s.name.lower() for s in Source], "income_"), xlim, stack=True,
              markers=marks),
        panel("Aware of programme (% households)", x, named(PROGRAMMES, "awareness_", 100),
              xlim, percent=True, ylim=(0, 100), markers=marks),
        panel("Taking part (% households)", x, named(PROGRAMMES, "participation_", 100),
              xlim, percent=True, markers=marks),
        panel("Contacts by channel (households/month)", x, named(CHANNELS, "contacts_"),
              xlim, log=True, markers=marks),
        panel("Spending (million yuan/month)", x, named(spend, "spending_", 1e-6), xlim,
              stack=True, markers=marks),
        panel("Smith indices", x,
              [(k, PALETTE[i], col(f"smith_{k}")) for i, k in
               enumerate(("policy", "agency", "target", "environment"))],
              xlim, ylim=(0, 1), markers=marks),
        panel("Poverty state (% households)", x,
              [(s.name.lower().replace("_", "-"), STATE_COLOURS[s],
                col(f"share_{s.name.lower()}") * 100) for s in PovertyState],
              xlim, percent=True, ylim=(0, 100), markers=marks),
    ]


_NOW = {o.key: o.label for o in NOW}
#: Outcomes of the side-by-side charts: (column, title, factor, percent).
COMPARE_PANELS = [("income_poverty_incidence", "Income-poverty incidence (%)", 100.0, True),
                  ("registered_poor_incidence", "Registered-poor incidence (%)", 100.0, True),
                  ("income_pc", "Per-capita income (yuan/yr)", 1.0, False),
                  ("people_lifted", _NOW["people_lifted"], 1.0, False),
                  ("cumulative_spending", "Spending so far (million yuan)", 1e-6, False),
                  ("smith_target", "Smith index: target group", 1.0, False)]


def comparison_panels(model: ComparisonModel) -> list[dict[str, Any]]:
    """Side by side: one chart per outcome, every run a line on the same axes."""
    first = model.runs[0].config
    xlim = (float(years(first.start, [0])[0]),
            float(years(first.start, [max(r.config.months for r in model.runs)])[0]))
    frames = [r.series() for r in model.runs]
    out = []
    for column, title, factor, percent in COMPARE_PANELS:
        x = years(first.start, frames[0]["month"]) if len(frames[0]) else np.array([])
        lines = [(label, RUN_COLOURS[i % 4],
                  df[column].to_numpy(dtype=float) * factor if len(df) else np.array([]))
                 for i, (label, df) in enumerate(zip(model.labels, frames, strict=True))]
        out.append(panel(title, x, lines, xlim, percent=percent,
                         dashes=["", "6,3", "2,2", "8,3,2,3"]))
    return out


def history(frame: pd.DataFrame, start: str, months: int, column: str, title: str,
            line: str | None = None, percent: bool = False) -> Figure:
    """A small line chart of one household's or village's history."""
    fig = Figure(figsize=(4.6, 2.2), dpi=DPI)
    fig.subplots_adjust(left=0.14, right=0.97, top=0.88, bottom=0.14)
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
    fig = Figure(figsize=(11.5, 4.8), dpi=DPI)  # fixed margins: a layout engine is slow
    fig.subplots_adjust(left=0.01, right=0.97, top=0.9, bottom=0.08, wspace=0.3)
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.5, 1])
    sub = model.network.tocsr()[nodes][:, nodes].tocoo()
    keep = sub.row < sub.col
    segments = np.stack([layout[sub.row[keep]], layout[sub.col[keep]]], axis=1)
    ax.add_collection(LineCollection(segments, colors="#ccc", linewidths=0.5, zorder=1))
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
