"""Parameter sweeps: a spec, its plan of (scenario, seed) runs, a resumable store, the
sensitivity analysis and the report (`povsim sweep`, docs/sweeps.md).

- `spec`: the sweep spec (grid, random, Latin hypercube, Sobol, Morris), the plan and
  `run_sweep`.
- `store`: runs as Parquet, queried with DuckDB; resume by (scenario hash, seed).
- `sensitivity`: Sobol / Morris indices and rank correlations; `report`: figures and HTML.
- `cli`: `povsim sweep`.
"""
