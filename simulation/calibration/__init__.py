"""Fit scenario parameters to reported targets (`povsim calibrate`, docs/calibration.md).

- `targets`: target files and the model value of a target; `likelihood`: per-target losses.
- `spec`: the calibration spec (parameters, bounds, replicates, optimizer).
- `fit`: `calibrate(spec)`, its checkpoint and outputs; `report`: figures and HTML.
- `cli`: `povsim calibrate`.
"""
