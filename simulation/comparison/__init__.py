"""Countermeasures against a baseline over paired replicates (`povsim compare`,
docs/compare.md).

- `arms`: baseline and countermeasure arms from files or bundled names, and their runs.
- `outcomes`: what a comparison reads from each run (headline outcomes, periods).
- `statistics`: paired and independent differences, corrections, verdicts.
- `compare`: `compare()` and the tables; `report`: the HTML report; `cli`: `povsim compare`.
"""
