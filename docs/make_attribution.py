"""Regenerate the attribution tables and figures of docs/attribution.md.

    python docs/make_attribution.py                      # liangshan and national, 20,000 hh
    python docs/make_attribution.py --households 5000 --only liangshan

For each scenario, runs `simulation.attribution.attribute` (default groups, Shapley, seeds
1,2,3, 2014-12 to 2019-12), writes the figure to docs/img/attribution-NAME.png and the
table between the `<!-- BEGIN attribution NAME -->` / `<!-- END attribution NAME -->`
markers of docs/attribution.md; the full outputs (CSV, meta.json) go to
results/attribute-docs-NAME/. A scenario that is not bundled yet is left as it is, with a
message.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "attribution.md"
SCENARIOS = ("liangshan", "national")


def section(name: str, households: int, seeds: list[int], workers: int) -> str | None:
    from simulation.attribution.attribute import attribute
    from simulation.attribution.report import markdown, write
    from simulation.scenario import ScenarioError, resolve

    try:
        resolve(name)
    except ScenarioError:
        print(f"{name}: no bundled scenario yet; its section is left as it is")
        return None
    started = time.perf_counter()
    res = attribute(name, households=households, seeds=seeds, workers=workers,
                    progress=lambda d, n: print(f"\r{name}: {d}/{n} runs", end="",
                                                flush=True))
    print(f"\r{name}: {res.meta['runs']} runs in {time.perf_counter() - started:.0f} s")
    out = ROOT / "results" / f"attribute-docs-{name}"
    paths = write(res, out)
    figure = ROOT / "docs" / "img" / f"attribution-{name}.png"
    shutil.copyfile(paths["png"], figure)
    seed_text = ",".join(str(s) for s in seeds)
    return (f"Size used: **{households:,} households × {len(seeds)} seeds** "
            f"({time.strftime('%Y-%m-%d')}), made by\n`python docs/make_attribution.py "
            f"--households {households} --seeds {seed_text} --only {name}`, the same as\n"
            f"`povsim attribute {name} --households {households} --seeds {seed_text}`.\n\n"
            f"{markdown(res)}\n![Attribution, {name}](img/attribution-{name}.png)\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--households", type=int, default=20_000)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--only", choices=SCENARIOS, action="append", default=None)
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    text = DOC.read_text(encoding="utf-8")
    for name in args.only or SCENARIOS:
        body = section(name, args.households, seeds, args.workers)
        if body is None:
            continue
        pattern = re.compile(rf"(<!-- BEGIN attribution {name} -->\n).*?(<!-- END attribution "
                             rf"{name} -->)", re.S)
        if not pattern.search(text):
            print(f"error: {DOC} has no markers for {name}", file=sys.stderr)
            return 2
        text = pattern.sub(lambda m, b=body: m.group(1) + b + m.group(2), text)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
