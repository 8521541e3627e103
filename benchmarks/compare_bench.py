"""Time `povsim compare` on the Liangshan-like archetype with countermeasures from the library.

    .venv/bin/python benchmarks/compare_bench.py [--households 10000] [--replicates 30]
        [--workers 2] [--countermeasures FILE ...] [--min-countermeasures 5] [--out DIR]

Runs the real command line (`povsim compare --base liangshan CM1.yaml ... --replicates 30
--workers 2`) in a subprocess, as a user would, and prints the household count, the
number of countermeasures and runs, the wall time, the time per run and the machine's
load. By default it takes six overlays from scenarios/countermeasures/ (the library; one
per seed paper, `--all` for every one) and refuses to run with fewer than
`--min-countermeasures` of them.

Prints figures only; it asserts nothing (timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "scenarios" / "countermeasures"
#: Default selection: one or two countermeasures from each seed paper's chapter.
DEFAULT_SELECTION = ("000-5.3-new-media-communication", "001-industrial-upgrading-internet",
                     "002-4.5-east-west-collaboration", "003-strengthen",
                     "003-transition-withdraw-early", "004-4.5-fund-synergy")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default="liangshan")
    p.add_argument("--households", type=int, default=10000,
                   help="simulated households per run (default 10000, half the archetype's "
                        "20000: a few minutes on 2 cores)")
    p.add_argument("--replicates", type=int, default=30)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--countermeasures", nargs="*", default=None,
                   help="overlay files (default: six from scenarios/countermeasures/, "
                        "one per seed paper, see DEFAULT_SELECTION)")
    p.add_argument("--all", action="store_true",
                   help="every overlay in scenarios/countermeasures/")
    p.add_argument("--min-countermeasures", type=int, default=5)
    p.add_argument("--out", default=None, help="report folder (default: a temporary one)")
    args = p.parse_args(argv)

    if args.countermeasures:
        files = [Path(f) for f in args.countermeasures]
    elif args.all:
        files = sorted(LIBRARY.glob("*.yaml"))
    else:
        files = [LIBRARY / f"{n}.yaml" for n in DEFAULT_SELECTION
                 if (LIBRARY / f"{n}.yaml").is_file()]
    if len(files) < args.min_countermeasures:
        print(f"error: {len(files)} countermeasure file(s) found "
              f"({', '.join(f.name for f in files) or 'none'} in {LIBRARY}); need "
              f"{args.min_countermeasures}. Pass --countermeasures FILE ...", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "report"
        cmd = [str(Path(sys.executable).parent / "povsim"), "compare", "--base", args.base,
               *map(str, files), "--replicates", str(args.replicates), "--households",
               str(args.households), "--workers", str(args.workers), "--executor", "process",
               "--out", str(out), "--quiet"]
        load_before = os.getloadavg()
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        load_after = os.getloadavg()
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return proc.returncode
        meta = json.loads((out / "meta.json").read_text())
    runs = int(meta["runs"])
    print(proc.stdout.rstrip())
    print()
    print(f"command: {' '.join(cmd[1:-3])}")
    print(f"archetype {args.base}: {args.households:,} households per run, "
          f"{len(files)} countermeasures + baseline, {args.replicates} replicates = {runs} runs "
          f"on {args.workers} worker processes ({os.cpu_count()} cores on this machine)")
    print(f"povsim compare wall time: {wall:.1f} s ({wall / 60:.2f} min); simulation "
          f"{meta['run_seconds']} s, {wall / runs:.2f} s per run overall, "
          f"{args.workers * float(meta['run_seconds']) / runs:.2f} worker-seconds per run")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          "(other processes on the machine slow this down)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
