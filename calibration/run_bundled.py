"""Reproduce the bundled calibrations: each calibration/<name>.yaml is fitted, its report
written to calibration/results/<name>/ and a summary table to calibration/results/summary.md.

    .venv/bin/python calibration/run_bundled.py                    # all four
    .venv/bin/python calibration/run_bundled.py liangshan national # some
    .venv/bin/python calibration/run_bundled.py --workers 2 --restart
    .venv/bin/python calibration/run_bundled.py liangshan --ship   # and ship the fit

A fit interrupted (Ctrl-C) resumes from calibration/results/<name>/checkpoint.jsonl.

`--ship` writes each shipped archetype's fitted values to calibration/fitted/<name>.yaml,
which scenarios/<name>.yaml extends: what a user runs by name is then the fitted region.
Every fitted parameter is a plain value (no multiplier of the scenario's own values), so a
refit starts from the same place whatever the previous fit shipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED = ("liangshan", "changting", "yunnan", "national")
#: Archetypes that ship their fit (every bundled calibration does).
SHIPPED = ("liangshan", "changting", "yunnan", "national")


def ship(name: str, out_root: Path) -> Path:
    """Write the fitted values of `name` to calibration/fitted/<name>.yaml."""
    import yaml

    fit = json.loads((out_root / name / "fit.json").read_text())
    from simulation.calibration.spec import load_spec

    spec = load_spec(HERE / f"{name}.yaml")
    by_name = {p.name: p for p in spec.parameters}
    nested: dict = {}
    for pname, value in fit["best_parameters"].items():
        path = by_name[pname].path
        if path is None:
            raise SystemExit(f"{name}: parameter {pname!r} scales other values; only plain "
                             "values can ship")
        node = nested
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = float(value)
    target = HERE / "fitted" / f"{name}.yaml"
    header = (f"# Fitted by calibration/{name}.yaml (calibration/run_bundled.py {name} --ship);"
              f" loss {fit['best_loss']:.4g},\n# {fit['evaluations']} points, "
              f"{spec.households} households x {spec.replicates} replicates. Report: "
              f"calibration/results/{name}/. Do not edit: refit.\n")
    target.write_text(header + yaml.safe_dump(nested, sort_keys=False))
    return target


def fit_one(name: str, workers: int | None, restart: bool, out_root: Path) -> dict:
    from simulation.calibration.fit import calibrate
    from simulation.calibration.report import write_report
    from simulation.calibration.spec import load_spec

    spec = load_spec(HERE / f"{name}.yaml")
    if workers is not None:
        spec.workers = workers
    out = out_root / name
    started = time.perf_counter()
    result = calibrate(spec, out, restart=restart, progress=print)
    index = write_report(result, out)
    fit = json.loads((out / "fit.json").read_text())
    fit["wall_seconds_including_report"] = round(time.perf_counter() - started, 1)
    (out / "fit.json").write_text(json.dumps(fit, indent=2, default=float))
    print(f"{name}: best loss {result.best.loss:.4g}; report {index}")
    return fit


def summary(fits: dict[str, dict]) -> str:
    lines = ["| calibration | targets fitted / held out / skipped | best loss | parameters "
             "(best, near-best range) | held-out error: median abs. relative, median abs. z "
             "| points | fit time |",
             "|---|---|---|---|---|---|---|"]
    for name, fit in fits.items():
        params = "; ".join(
            f"{k} = {u['best']:.4g} ({u['low']:.4g}–{u['high']:.4g})"
            for k, u in fit["uncertainty"]["parameters"].items())
        hs = fit["held_out_summary"]
        held = (f"{hs['median_abs_relative_error']:.1%}, "
                f"{hs['median_abs_z']:.1f}" if hs.get("median_abs_z") is not None else "")
        lines.append(
            f"| {name} | {len(fit['fitted_targets'])} / {len(fit['held_out_targets'])} / "
            f"{len(fit['skipped_targets'])} | {fit['best_loss']:.3g} | {params} | "
            f"{held} | {fit['evaluations']} | "
            f"{fit['seconds']:.0f} s |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(BUNDLED))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--restart", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--ship", action="store_true",
                    help="write the fitted values of the shipped archetypes to "
                         "calibration/fitted/ (what `povsim run NAME` then uses)")
    args = ap.parse_args(argv)
    out_root = Path(args.out)
    fits = {}
    for name in args.names:
        fits[name] = fit_one(name, args.workers, args.restart, out_root)
        if args.ship and name in SHIPPED:
            print(f"{name}: shipped {ship(name, out_root)}")
    old = out_root / "summary.json"
    merged = json.loads(old.read_text()) if old.exists() else {}
    merged.update({k: {key: v[key] for key in ("fitted_targets", "held_out_targets",
                                                 "skipped_targets", "best_loss", "uncertainty",
                                                 "held_out_summary", "evaluations", "seconds",
                                                 "best_parameters", "components",
                                                 "held_out_components")}
                   for k, v in fits.items()})
    old.write_text(json.dumps(merged, indent=2, default=float))
    table = summary({k: merged[k] for k in BUNDLED if k in merged})
    (out_root / "summary.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
