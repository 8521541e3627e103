"""`povsim bench`: the performance benchmark table (benchmarks/, issue 8)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _suite():
    """The benchmarks package lives in the repository next to `simulation/`."""
    if not (REPO / "benchmarks" / "suite.py").exists():
        raise SystemExit("povsim bench needs the repository checkout (benchmarks/ not found "
                         f"next to {REPO / "simulation"})")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks import suite

    return suite


def cmd_bench(args: argparse.Namespace) -> int:
    return _suite().run(args)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="benchmark table: 1M-household run, Mesa peer, growth, throughput",
        description="Print the benchmark table (docs/performance.md) and write it as CSV to "
                    "benchmarks/results/. Same as `python -m benchmarks`.")
    if (REPO / "benchmarks" / "suite.py").exists():
        _suite().add_arguments(p)
    p.set_defaults(func=cmd_bench)
