"""The interactive Solara app (`povsim app`): run state, charts and components.

- `session`: the per-browser-session models (a run that records what the app shows, and
  several runs in lockstep), the policy controls and how they apply mid-run, exports.
- `charts`: matplotlib figures and the data of the village map.
- `components`: the Solara components and `Page`; `side_by_side`: the side-by-side view;
  `widgets`: small shared parts.
- `app`: what `solara run simulation/ui/app.py` serves; `cli`: `povsim app`.
"""
