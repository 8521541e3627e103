"""Performance benchmarks for povsim (issue 8): scale, a peer comparison with Mesa's own
Boltzmann wealth example, growth with the number of households, and sweep throughput.

    .venv/bin/python -m benchmarks            # the full table (several minutes)
    .venv/bin/python -m benchmarks --quick    # a smaller version (about a minute)
    .venv/bin/povsim bench [--quick]          # the same

Every figure is the median of several repeats, each run in a fresh process (so peak memory
is that run's own). The table is printed and written as CSV to benchmarks/results/. Timings
depend on the machine and on what else it is doing: the table records the CPU, the cores
and the load average before and after. Nothing here asserts a timing; see
docs/performance.md for how to read the table.
"""
