"""The interactive Solara app (`povsim app`): run state, charts and components.

- `session`: the per-browser-session models (a run that records what the app shows, and
  several runs in lockstep), the policy controls and how they apply mid-run, exports.
- `charts`: matplotlib figures and the data of the village map.
- `components`: the Solara components; `simulation/app.py` serves `Page`.
"""
