"""A tiny Solara app for testing the browser test infrastructure (no Mesa, no simulation).

A button that increments a counter, and a matplotlib figure: enough to prove that the
page's JavaScript/CSS load through Solara's offline CDN cache, that the widgets render,
and that a click reaches the Python kernel and comes back.
"""

import solara
from matplotlib.figure import Figure

count = solara.reactive(0)


@solara.component
def Page():
    with solara.Column(style={"padding": "16px"}):
        solara.Markdown("# povsim browser-test app")
        solara.Button(
            "Increment",
            on_click=lambda: count.set(count.value + 1),
            color="primary",
            classes=["tiny-increment"],
        )
        solara.Text(f"Count: {count.value}", classes=["tiny-count"])

        # Figure (not pyplot): no global state, safe in a server thread
        fig = Figure(figsize=(5, 3), dpi=80, layout="constrained")
        ax = fig.subplots()
        xs = list(range(10))
        ax.plot(xs, [x * (count.value + 1) for x in xs], marker="o")
        ax.set_title(f"slope {count.value + 1}")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        solara.FigureMatplotlib(fig, dependencies=[count.value], format="png")
