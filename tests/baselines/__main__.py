"""Compare the model with its stored regression baselines, or deliberately update them.

    python -m tests.baselines            # compare; exit 1 and print differences if any
    python -m tests.baselines --update   # print what changes, then rewrite the JSON files
    python -m tests.baselines demo       # only some cases
"""

from __future__ import annotations

import argparse
import sys

from tests.baselines import CASES, compute, diff, load, path_of, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.baselines", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the stored baselines from the current model")
    parser.add_argument("--max-lines", type=int, default=40,
                        help="differences printed per case (default 40)")
    args = parser.parse_args(argv)
    chosen = [c for c in CASES if not args.cases or c.name in args.cases]
    unknown = set(args.cases) - {c.name for c in CASES}
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; known: {[c.name for c in CASES]}")
    changed = 0
    for case in chosen:
        current = compute(case)
        if not path_of(case).exists():
            print(f"{case.name}: no stored baseline")
            lines = ["(new file)"]
        else:
            lines = diff(load(case), current)
        if lines:
            changed += 1
            print(f"{case.name}: {len(lines)} difference(s)")
            for line in lines[: args.max_lines]:
                print(f"  {line}")
            if len(lines) > args.max_lines:
                print(f"  ... and {len(lines) - args.max_lines} more")
        else:
            print(f"{case.name}: identical")
        if args.update and lines:
            write(case, current)
            print(f"  wrote {path_of(case)}")
    if args.update:
        print(f"updated {changed} of {len(chosen)} baseline(s)" if changed
              else "nothing to update")
        return 0
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
