"""The benchmark table: runs each measurement in a fresh process and prints the medians.

Figures (issue 8), on the machine it runs on:

- scale: a Liangshan-sized run (1,000,000 households, 144 months, every mechanism on), wall
  time with set-up included, and peak memory (maximum resident set of the run's process);
- peer: household-steps per second of that run against agent-steps per second of Mesa's own
  Boltzmann wealth example at 10,000 agents, timed by the same harness right after it in the
  same process;
- growth: time per monthly step at 10k, 100k and 1M households, the fitted exponent of
  time per step against households, and set-up as a share of the full run;
- throughput: runs per hour of the 20,000-household demo on all cores (process pool).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Plan:
    scale_households: int = 1_000_000
    scale_repeats: int = 3
    growth_sizes: tuple[int, ...] = (10_000, 100_000)  # plus the scale size
    growth_repeats: int = 5
    boltzmann_agents: int = 10_000
    boltzmann_steps: int = 20
    throughput_households: int = 20_000
    throughput_runs: int = 8
    throughput_repeats: int = 3
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    scenario: str = "liangshan"
    quick: bool = False


def quick_plan() -> Plan:
    return Plan(scale_households=200_000, scale_repeats=1, growth_sizes=(10_000, 50_000),
                growth_repeats=2, boltzmann_steps=5, throughput_runs=4, throughput_repeats=1,
                quick=True)


# ------------------------------------------------------------------ the machine and versions
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2 ** 20
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def environment() -> dict[str, str]:
    import mesa
    import numpy
    import pandas
    import scipy

    import simulation
    from simulation.runs.runner import git_commit

    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(), "cores": str(os.cpu_count()),
        "memory_gib": f"{memory_gib():.1f}", "os": platform.platform(terse=True),
        "python": platform.python_version(), "numpy": numpy.__version__,
        "scipy": scipy.__version__, "pandas": pandas.__version__, "mesa": mesa.__version__,
        "povsim": simulation.__version__,
        "git_commit": git_commit() + ("+dirty" if dirty else ""),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
    }


# ------------------------------------------------------------------------------ measuring
def worker(*args: str) -> dict:
    """Run `python -m benchmarks.worker ARGS` in a fresh process; its JSON result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    out = subprocess.run([sys.executable, "-m", "benchmarks.worker", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(time per step) against log(households)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


@dataclass
class Row:
    group: str
    metric: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    repeats: int = 1
    samples: list[float] = field(default_factory=list)
    fmt: str = "{:,.2f}"

    def shown(self) -> str:
        return "n/a" if self.value != self.value else self.fmt.format(self.value)


def measure(plan: Plan, say=print) -> tuple[list[Row], dict]:
    rows: list[Row] = []
    extra: dict = {}
    n_big = plan.scale_households
    # 1. Scale (and the peer comparison right after, in the same process).
    big = []
    for i in range(plan.scale_repeats):
        say(f"scale: {n_big:,} households x 144 months, repeat {i + 1}/{plan.scale_repeats}")
        big.append(worker("run", "--scenario", plan.scenario, "--households", str(n_big),
                          "--boltzmann", str(plan.boltzmann_agents),
                          "--boltzmann-steps", str(plan.boltzmann_steps)))
    wall = [r["total_seconds"] for r in big]
    setup = [r["setup_seconds"] for r in big]
    rss = [r["peak_rss_bytes"] / 2 ** 30 for r in big]
    share = [r["setup_seconds"] / r["total_seconds"] for r in big]
    hsps = [r["household_steps_per_s"] for r in big]
    bsps = [r["boltzmann_agent_steps_per_s"] for r in big]
    ratio = [h / b for h, b in zip(hsps, bsps, strict=True)]
    scale_target = 30.0 if n_big >= 1_000_000 else 30.0 * n_big / 1_000_000
    label = f"{n_big:,} households x 144 months ({plan.scenario}), set-up included"
    rows += [
        Row("scale", label, median(wall), "s", f"<= {scale_target:g} s",
            median(wall) <= scale_target, len(wall), wall),
        Row("scale", "  of which set-up", median(setup), "s", "", None, len(setup), setup),
        Row("scale", "  of which monthly steps", median([r["step_seconds"] for r in big]),
            "s", "", None, len(big), [r["step_seconds"] for r in big]),
        Row("scale", "peak memory (max resident set of the run's process)", median(rss),
            "GiB", "<= 2 GiB", median(rss) <= 2.0, len(rss), rss, "{:,.2f}"),
        Row("peer", f"povsim household-steps/s ({n_big:,} households)", median(hsps), "/s",
            "", None, len(hsps), hsps, "{:,.0f}"),
        Row("peer", f"Mesa Boltzmann wealth agent-steps/s ({plan.boltzmann_agents:,} agents, "
            f"{big[0]['boltzmann_grid']} grid)", median(bsps), "/s", "", None, len(bsps),
            bsps, "{:,.0f}"),
        Row("peer", "ratio (same harness, same process, right after)", median(ratio), "x",
            ">= 50x", median(ratio) >= 50, len(ratio), ratio, "{:,.0f}"),
    ]
    # 2. Growth: time per step at each size.
    per_step: dict[int, list[float]] = {n_big: [r["step_seconds"] / r["months"] for r in big]}
    for n in plan.growth_sizes:
        per_step[n] = []
        for i in range(plan.growth_repeats):
            say(f"growth: {n:,} households, repeat {i + 1}/{plan.growth_repeats}")
            r = worker("run", "--scenario", plan.scenario, "--households", str(n))
            per_step[n].append(r["step_seconds"] / r["months"])
    sizes = sorted(per_step)
    for n in sizes:
        rows.append(Row("growth", f"time per monthly step, {n:,} households",
                        1000 * median(per_step[n]), "ms", "", None, len(per_step[n]),
                        [1000 * x for x in per_step[n]]))
    exponent = fitted_exponent(sizes, [median(per_step[n]) for n in sizes])
    listed = ", ".join(f"{n:,}" for n in sizes)
    rows.append(Row("growth", f"fitted exponent of time per step ({listed})", exponent, "",
                    "<= 1.05", exponent <= 1.05, 1, [], "{:.3f}"))
    rows.append(Row("growth", f"set-up share of the full run ({n_big:,} households)",
                    100 * median(share), "%", "<= 20%", median(share) <= 0.20, len(share),
                    [100 * s for s in share], "{:.1f}"))
    # 3. Throughput of sweeps.
    tput = []
    for i in range(plan.throughput_repeats):
        say(f"throughput: {plan.throughput_runs} runs of {plan.throughput_households:,} "
            f"households on {plan.workers} workers, repeat {i + 1}/{plan.throughput_repeats}")
        tput.append(worker("throughput", "--households", str(plan.throughput_households),
                           "--runs", str(plan.throughput_runs),
                           "--workers", str(plan.workers))["runs_per_hour"])
    rows.append(Row("throughput", f"runs/hour, demo at {plan.throughput_households:,} households "
                    f"x 144 months, {plan.workers} worker processes (pool start-up included)",
                    median(tput), "/h", "", None, len(tput), tput, "{:,.0f}"))
    # Per-mechanism time at the largest size (for docs/performance.md).
    mech: dict[str, list[float]] = {}
    for r in big:
        for k, v in r["timings"].items():
            mech.setdefault(k, []).append(v)
    extra["mechanisms"] = {k: median(v) for k, v in mech.items()}
    extra["months"] = big[0]["months"]
    extra["scale_households"] = n_big
    extra["scale_repeats"] = len(big)
    return rows, extra


# ----------------------------------------------------------------------------- reporting
def table(rows: list[Row], env: dict[str, str], title: str):
    from rich.table import Table

    t = Table(title=title, caption=(
        f"{env['cpu']}, {env['cores']} cores, {env['memory_gib']} GiB; python {env['python']}, "
        f"numpy {env['numpy']}, scipy {env['scipy']}, mesa {env['mesa']}, povsim "
        f"{env['povsim']} ({env['git_commit']}); load average before {env['load_before']}, "
        f"after {env['load_after']}"))
    for col, just in (("figure", "left"), ("median", "right"), ("unit", "left"),
                      ("target", "left"), ("", "center"), ("n", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in rows:
        mark = "" if r.met is None else ("[green]met[/]" if r.met else "[red]missed[/]")
        t.add_row(r.metric, r.shown(), r.unit, r.target, mark, str(r.repeats))
    return t


def markdown(rows: list[Row], env: dict[str, str]) -> str:
    lines = ["| figure | median | target | | repeats |", "|---|--:|---|---|--:|"]
    for r in rows:
        mark = "" if r.met is None else ("met" if r.met else "**missed**")
        lines.append(f"| {r.metric.strip()} | {r.shown()} {r.unit} | {r.target} | {mark} | "
                     f"{r.repeats} |")
    lines.append("")
    lines.append(f"Machine: {env['cpu']}, {env['cores']} cores, {env['memory_gib']} GiB "
                 f"({env['os']}); python {env['python']}, numpy {env['numpy']}, scipy "
                 f"{env['scipy']}, pandas {env['pandas']}, mesa {env['mesa']}, povsim "
                 f"{env['povsim']} at {env['git_commit']}; {env['date']}; load average "
                 f"before {env['load_before']}, after {env['load_after']}.")
    return "\n".join(lines)


def write_csv(rows: list[Row], env: dict[str, str], extra: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(env)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["group", "figure", "median", "unit", "target", "met", "repeats",
                    "samples", *keys])
        for r in rows:
            w.writerow([r.group, r.metric.strip(), r.value, r.unit, r.target,
                        "" if r.met is None else r.met, r.repeats,
                        " ".join(f"{s:.6g}" for s in r.samples), *[env[k] for k in keys]])
        months, n = extra["months"], extra["scale_households"]
        for name, sec in sorted(extra["mechanisms"].items(), key=lambda kv: -kv[1]):
            w.writerow(["mechanism", f"{name} ({n:,} households)", 1000 * sec / months,
                        "ms per month", "", "", extra["scale_repeats"], "",
                        *[env[k] for k in keys]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="a smaller version: 200k households once, fewer repeats")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats of the large run (default 3; quick 1)")
    parser.add_argument("--households", type=int, default=None,
                        help="households of the scale run (default 1,000,000)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the throughput figure (default: all cores)")
    parser.add_argument("--out", default=None, help="CSV path (default benchmarks/results/"
                        "bench-DATE.csv, and latest.csv)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown (for docs/performance.md)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    plan = quick_plan() if args.quick else Plan()
    if args.repeats:
        plan.scale_repeats = args.repeats
    if args.households:
        plan.scale_households = args.households
    if args.workers:
        plan.workers = args.workers
    env = environment()
    env["load_before"] = load_average()
    started = time.perf_counter()
    rows, extra = measure(plan, say=lambda s: console.print(f"[dim]{s}[/]"))
    env["load_after"] = load_average()
    env["bench_minutes"] = f"{(time.perf_counter() - started) / 60:.1f}"
    title = "povsim benchmarks" + (" (quick)" if plan.quick else "")
    console.print(table(rows, env, title))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"bench-{stamp}{'-quick' if plan.quick else ''}.csv"
    path = Path(args.out) if args.out else RESULTS / name
    write_csv(rows, env, extra, path)
    if not args.out:
        write_csv(rows, env, extra, RESULTS / ("latest-quick.csv" if plan.quick else "latest.csv"))
    (path.with_suffix(".md")).write_text(markdown(rows, env) + "\n")
    if args.markdown:
        print(markdown(rows, env))
    console.print(f"wrote {path} (and {path.with_suffix('.md').name}); "
                  f"took {env['bench_minutes']} min")
    return 0
