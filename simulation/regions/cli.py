"""`povsim region init CARD`: a region card to a scenario, target file and calibration spec.

    povsim region init calibration/cards/example_county.yaml --out regions/
    povsim calibrate regions/example_county.calibration.yaml --workers 2
    povsim region synth --out calibration/cards/example_county.microdata.csv
"""

from __future__ import annotations

import argparse

from rich.console import Console

console = Console(soft_wrap=True)  # messages name paths: do not break them


def cmd_init(args: argparse.Namespace) -> int:
    from simulation.regions.init import init_region

    made = init_region(args.card, args.out, force=args.force)
    console.print(f"wrote {made.scenario}, {made.targets}, {made.calibration}")
    for line in made.assumed:
        console.print(f"  assumed: {line}")
    for line in made.unused:
        console.print(f"  not used: {line}")
    console.print(f"next: povsim run {made.scenario}; povsim calibrate {made.calibration}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from simulation.regions.synthetic import write_synthetic

    out = write_synthetic(args.out, households=args.households, seed=args.seed)
    console.print(f"wrote {out} ({args.households} SYNTHETIC household records, seed "
                  f"{args.seed}; not a survey)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("region", help="make a scenario and its calibration from a region "
                       "card", description="Region cards: docs/regions.md.")
    rsub = r.add_subparsers(dest="region_command", required=True, metavar="ACTION")
    i = rsub.add_parser("init", help="write <id>.yaml, <id>.targets.yaml and "
                        "<id>.calibration.yaml from a card",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    i.add_argument("card", help="region card YAML (format: docs/regions.md)")
    i.add_argument("--out", default="regions", help="output folder")
    i.add_argument("--force", action="store_true", help="overwrite existing files")
    i.set_defaults(func=cmd_init)
    s = rsub.add_parser("synth", help="write a SYNTHETIC household microdata file (the "
                        "example county's)", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("--out", required=True, help="CSV (or .parquet) file to write")
    s.add_argument("--households", type=int, default=3000, help="records")
    s.add_argument("--seed", type=int, default=16, help="random seed")
    s.set_defaults(func=cmd_synth)
