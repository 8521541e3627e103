"""The povsim web app: `povsim app`, or `solara run simulation/ui/app.py`.

Visual runs with live charts, a village map and the household network; live policy
controls (next run or mid-run); countermeasures side by side. See docs/app.md.
Every model is created per browser session inside `Page` (simulation/ui/components.py).
"""

from simulation.ui.components import Page

__all__ = ["Page"]
