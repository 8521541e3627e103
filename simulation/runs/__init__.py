"""One run of a scenario, and the executors that run many (serial, process pool, Dask).

- `runner`: `run(scenario, seed)`, a pure function returning tidy tables and metadata.
- `executors`: tasks of (scenario, seed) on any executor, results in task order or as done.
- `cli`: `povsim run`, `scenarios`, `validate` and `params`; `bench_cli`: `povsim bench`.
- `plots`: the main curves of a run; `params_table`: the parameter table with sources.
"""
