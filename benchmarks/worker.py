"""One measurement in a fresh process; prints one JSON line on stdout.

    python -m benchmarks.worker run --scenario liangshan --households 1000000 [--boltzmann N]
    python -m benchmarks.worker throughput --households 20000 --runs 8 --workers 2

`run` times one full run as `simulation.runs.runner.run` does it (set-up, 144 monthly steps, the
monthly table and the summary), reports the process's peak resident memory and the time
per mechanism, and, with --boltzmann, then times Mesa's Boltzmann wealth example in the same
process with the same harness.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def time_steps(model, steps: int) -> float:
    """The harness: wall seconds for `steps` calls of model.step()."""
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - start


def boltzmann(agents: int, steps: int) -> dict:
    """Mesa's own example at `agents` agents, on a grid with the example's density (1/cell)."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    side = max(int(round(agents ** 0.5)), 1)
    model = BoltzmannWealth(BoltzmannScenario(n=agents, width=side, height=side, rng=1))
    model.step()  # warm-up (first-call overheads), not timed
    seconds = time_steps(model, steps)
    return {"boltzmann_agents": agents, "boltzmann_steps": steps,
            "boltzmann_grid": f"{side}x{side}", "boltzmann_seconds": seconds,
            "boltzmann_agent_steps_per_s": agents * steps / seconds}


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def cmd_run(args: argparse.Namespace) -> dict:
    from simulation.model import PovertyModel
    from simulation.runs.runner import summarise
    from simulation.scenario import load_scenario

    scenario = load_scenario(args.scenario, {"months": args.months} if args.months else None,
                             households=args.households)
    rss_before = peak_rss_bytes()
    start = time.perf_counter()
    model = PovertyModel(scenario, seed=args.seed, agent_views=False)
    setup = time.perf_counter() - start
    step_seconds = time_steps(model, scenario.months)
    monthly = model.series()
    summarise(monthly)
    model.recorder.villages()
    total = time.perf_counter() - start
    out = {"households": scenario.households, "months": scenario.months,
           "scenario": scenario.name, "seed": args.seed, "setup_seconds": setup,
           "step_seconds": step_seconds, "total_seconds": total,
           "results_seconds": total - setup - step_seconds,
           "household_steps_per_s": scenario.households * scenario.months / step_seconds,
           "peak_rss_bytes": peak_rss_bytes(), "rss_after_imports_bytes": rss_before,
           "timings": dict(model.timings)}
    if args.boltzmann:
        del model, monthly
        out |= boltzmann(args.boltzmann, args.boltzmann_steps)
    return out


def cmd_throughput(args: argparse.Namespace) -> dict:
    from simulation.runs.executors import Task, run_tasks
    from simulation.scenario import load_scenario

    scenario = load_scenario(args.scenario, households=args.households)
    tasks = [Task.of(scenario, seed) for seed in range(1, args.runs + 1)]
    start = time.perf_counter()
    done = sum(1 for _ in run_tasks(tasks, executor="process", workers=args.workers))
    seconds = time.perf_counter() - start
    return {"households": scenario.households, "months": scenario.months, "runs": done,
            "workers": args.workers, "seconds": seconds,
            "runs_per_hour": done / seconds * 3600.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("run")
    p.add_argument("--scenario", default="liangshan")
    p.add_argument("--households", type=int, required=True)
    p.add_argument("--months", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--boltzmann", type=int, default=0, help="then time Boltzmann at N agents")
    p.add_argument("--boltzmann-steps", type=int, default=20)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("throughput")
    p.add_argument("--scenario", default="demo")
    p.add_argument("--households", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_throughput)
    args = parser.parse_args(argv)
    print(json.dumps(args.func(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
