"""Small Solara parts shared by the app's views: error blocks, Mesa's controller, the
line-chart panel (linecharts.vue)."""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController


@solara.component
def Problems(problems: list[str], intro: str = "") -> None:
    """Clear error messages, one block each (the app keeps working)."""
    for text in problems:
        solara.Error(f"{intro}{text}", classes=["pv-error"], style={"white-space": "pre-wrap"})


@solara.component
def Controller(model: solara.Reactive[Any], params: solara.Reactive[dict[str, Any]],
               play_interval: int = 250) -> None:
    """Mesa's step / play / pause / reset controls. Reset builds a model from `params`."""
    interval = solara.use_reactive(play_interval)
    render = solara.use_reactive(1)
    threads = solara.use_reactive(False)
    with solara.Div(classes=["pv-controller"]):
        ModelController(model, model_parameters=params, play_interval=interval,
                        render_interval=render, use_threads=threads)
        solara.SliderInt("Months per step (Step and play)", value=render, min=1, max=12)


@solara.component_vue("linecharts.vue")
def LineCharts(panels: list) -> None:
    """Line and stacked-area charts drawn as SVG in the browser (see charts.panel)."""
