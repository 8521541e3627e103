"""`povsim calibrate`: fit scenario parameters to a target file (or run a calibration YAML).

    povsim calibrate calibration/targets/liangshan.yaml --scenario liangshan \\
        --params population.income_median=3000:6000 --params economy.farm_growth=0:0.1
    povsim calibrate calibration/liangshan.yaml            # a calibration spec
    povsim calibrate calibration/liangshan.yaml --method posterior --workers 2
    povsim calibrate SPEC --method posterior --sbc 20      # simulation-based calibration
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import yaml
from rich.console import Console

from simulation.calibration.spec import (
    CalibrationError,
    CalibrationSpec,
    load_spec,
    parse_param,
    parse_spec,
)
from simulation.calibration.targets import TargetError, TargetWarning
from simulation.errors import error, positive_int, seed
from simulation.scenario import parse_override

console = Console(soft_wrap=True)  # messages name paths: do not break them


def _is_spec(path: Path) -> bool:
    """A calibration spec names its targets file; a target file lists targets."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):  # read (and reported) as targets next
        return False
    return isinstance(data, dict) and isinstance(data.get("targets"), str)


def build_spec(args: argparse.Namespace) -> CalibrationSpec:
    """The spec from a calibration YAML or from a target file plus flags; flags win."""
    path = Path(args.file)
    if not path.is_file():
        raise CalibrationError(f"{path}: no such file (expected a target file or a "
                               "calibration YAML)")
    is_spec = _is_spec(path)
    if is_spec:
        data = load_spec(path).model_dump(mode="json")
        if args.scenario:
            data["scenario"] = args.scenario
        if args.params:
            data["parameters"] = [parse_param(p).model_dump() for p in args.params]
    else:
        if not args.scenario or not args.params:
            raise CalibrationError(f"{path} is a target file: give --scenario and at least "
                                   "one --params NAME=LOW:HIGH (or pass a calibration YAML)")
        data = {"name": args.name or f"{path.stem}-{Path(args.scenario).stem}",
                "targets": str(path), "scenario": args.scenario,
                "parameters": [parse_param(p).model_dump() for p in args.params]}
    posterior = getattr(args, "method", None) == "posterior"
    opt = data.setdefault("optimizer", {})
    for flag, key in (("seed", "seed"), ("maxiter", "maxiter"), ("popsize", "popsize"),
                      ("method", "method"), ("max_evaluations", "max_evaluations")):
        if getattr(args, flag, None) is not None and not (posterior and flag in ("seed",
                                                                                   "method")):
            opt[key] = getattr(args, flag)
    if posterior:  # --seed is the sampler's seed; the optimizer section is left alone
        post = data.setdefault("posterior", {})
        for flag, key in (("seed", "seed"), ("particles", "particles")):
            if getattr(args, flag, None) is not None:
                post[key] = getattr(args, flag)
    if getattr(args, "dask", None):
        from simulation.runs.executors import is_dask_address

        if not is_dask_address(args.dask):
            raise CalibrationError(f"--dask {args.dask!r}: expected a scheduler address such "
                                   "as tcp://127.0.0.1:8786")
        data["executor"] = args.dask
    for flag in ("households", "replicates", "fit_until", "executor", "workers", "name"):
        if getattr(args, flag) is not None:
            data[flag] = getattr(args, flag)
    overrides = dict(data.get("scenario_overrides") or {})
    for text in args.set:
        key, value = parse_override(text)
        overrides[key] = value
    data["scenario_overrides"] = overrides
    return parse_spec(data, str(path), path.parent if is_spec else None)


def cmd_posterior(args: argparse.Namespace, spec: CalibrationSpec) -> int:
    """`--method posterior`: the tempered-SMC posterior (or its SBC check with --sbc K)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simulation.calibration.posterior import fit_posterior
    from simulation.runs.executors import describe

    where = describe(spec.executor, spec.workers)
    if args.sbc:
        from simulation.calibration.sbc import run_sbc

        out = Path(args.out) if args.out else Path("results") / "sbc" / spec.name
        console.print(f"{spec.name}: simulation-based calibration, {args.sbc} truths from the "
                      f"prior, {spec.posterior.particles} particles each, on {where} (one "
                      "fit per worker)")
        done: list[int] = []

        def tick(res: dict) -> None:
            done.append(1)
            console.print(f"  truth {res['k']:2d} done ({len(done)}/{args.sbc}): "
                          f"{res['generations']} steps, {res['evaluations']} evaluations, "
                          f"{res['seconds']:.0f} s", highlight=False)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TargetWarning)
            table = run_sbc(spec, args.sbc, out, workers=spec.workers, executor=spec.executor,
                            restart=args.restart, progress=tick)
        from simulation.calibration.posterior import frame_markdown

        console.print(frame_markdown(table), highlight=False)
        console.print(f"written: {out / 'sbc.md'}, {out / 'sbc.csv'}, {out / 'sbc.json'}")
        return 0
    out = Path(args.out) if args.out else Path("results") / "posterior" / spec.name
    live = sys.stdout.isatty()
    bar = Progress(TextColumn("{task.description}"), BarColumn(),
                   TextColumn("β {task.fields[beta]}  step {task.fields[step]}  "
                              "{task.fields[evals]} evaluations"), TimeElapsedColumn(),
                   console=console, disable=not live)

    with bar, warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)
        task = bar.add_task("posterior", total=1000, beta="0", step=0, evals=0)
        state = {"evals": 0}

        def on_batch(_: int, new: list) -> None:
            state["evals"] += len(new)
            bar.update(task, evals=state["evals"])

        def on_step(s) -> None:
            bar.update(task, completed=int(1000 * s.beta), beta=f"{s.beta:.3g}",
                       step=s.generation)
            if not live:
                console.print(f"  step {s.generation}: β = {s.beta:.4g}, {s.moves} moves, "
                              f"acceptance {s.acceptance:.2f}, {s.evaluations} evaluations",
                              highlight=False)

        result = fit_posterior(spec, out, restart=args.restart, on_batch=on_batch,
                               on_step=on_step,
                               progress=lambda m: console.print(m, highlight=False))
    status = "posterior reached (β = 1)" if result.converged else (
        f"STOPPED at β = {result.smc.beta:.3g} < 1 (raise posterior.max_generations)")
    console.print(f"{len(result.draws)} draws, {len(result.smc.steps)} tempering steps, "
                  f"{result.smc.evaluations} evaluations ({result.simulated} simulated now, "
                  f"{result.reused} from the checkpoint) in {result.seconds:.1f} s on {where}: "
                  f"{status}")
    console.print((out / "identifiability.md").read_text(encoding="utf-8"), highlight=False)
    console.print(f"draws: {out / 'posterior.parquet'}  predictive check: "
                  f"{out / 'predictive.md'}  report: {out / 'report.md'}")
    return 0 if result.converged else 1


def _is_joint(path: Path) -> bool:
    """A joint calibration spec lists member specs."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "members" in data


def cmd_joint(args: argparse.Namespace) -> int:
    from simulation.calibration.joint import calibrate_joint

    if args.method not in (None, "differential_evolution") or args.params or args.scenario:
        raise CalibrationError(f"{args.file} is a joint spec: it is fitted by differential "
                               "evolution with the members' own parameters (no --method, "
                               "--params or --scenario)")
    overrides = {k: getattr(args, k) for k in ("households", "replicates", "workers")
                 if getattr(args, k) is not None}
    if args.dask or args.executor:
        overrides["executor"] = args.dask or args.executor
    optimizer = {k: getattr(args, k) for k in ("maxiter", "popsize", "seed")
                 if getattr(args, k) is not None}
    if optimizer:
        overrides["optimizer"] = optimizer
    stem = Path(args.file).stem
    out = Path(args.out) if args.out else Path("results") / "calibration" / stem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)
        result = calibrate_joint(args.file, out, restart=args.restart, overrides=overrides,
                                 progress=lambda m: console.print(m, highlight=False))
    console.print(f"best summed loss {result.best.loss:.4g} after {len(result.evaluations)} "
                  f"points ({result.simulated} simulated now) in {result.seconds:.1f} s; "
                  f"members: {result.best.losses}")
    for name, value in zip(result.problem.names, result.best.x, strict=True):
        console.print(f"  {name} = {value:.6g}")
    overlays = ", ".join(str(out / f"{m.spec.name}.yaml") for m in result.problem.members)
    console.print(f"summary: {out / 'joint.json'}  targets: {out / 'targets.csv'}  "
                  f"overlays: {overlays}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from simulation.calibration.fit import calibrate

    try:
        if Path(args.file).is_file() and _is_joint(Path(args.file)):
            return cmd_joint(args)
        spec = build_spec(args)
        if args.sbc and args.method != "posterior":
            raise CalibrationError("--sbc K checks the posterior: give --method posterior")
        if args.method == "posterior":
            return cmd_posterior(args, spec)
        out = Path(args.out) if args.out else Path("results") / "calibration" / spec.name
        with warnings.catch_warnings():
            # Skipped targets are listed by the progress messages (and in the report).
            warnings.simplefilter("ignore", TargetWarning)
            result = calibrate(spec, out, restart=args.restart,
                               progress=lambda m: console.print(m, highlight=False))
    except (CalibrationError, TargetError) as exc:
        error(f"{exc}")
        return 2
    console.print(f"best loss {result.best.loss:.4g} after {len(result.evaluations)} points "
                  f"({result.simulated} simulated now, {result.reused} from the checkpoint) "
                  f"in {result.seconds:.1f} s")
    for name, u in result.uncertainty.items():
        console.print(f"  {name} = {u['best']:.6g}  (near-best {u['low']:.6g} .. "
                      f"{u['high']:.6g}, {u['points']} points)")
    if not args.no_report:
        from simulation.calibration.report import write_report

        index = write_report(result, out)
        console.print(f"report: {index}")
    console.print(f"overlay: {out / 'best.yaml'}  history: {out / 'history.csv'}  "
                  f"summary: {out / 'fit.json'}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from simulation.calibration import check

    names = args.regions or list(check.BUNDLED)
    unknown = sorted(set(names) - set(check.BUNDLED))
    if unknown:  # errors go to stderr through the dispatcher (simulation/cli.py)
        raise CalibrationError(f"unknown region(s) {unknown}; bundled: {list(check.BUNDLED)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)  # the table says why a target is out
        checks = check.check_all(names, args.households, args.replicates, args.executor,
                                 args.workers, progress=lambda m: console.print(m))
    for c in checks:
        console.print(f"\n[bold]{c.name}[/] ({c.scenario}, {c.households:,} households, "
                      f"seeds {c.seeds})")
        console.print(check.markdown_table(c), highlight=False)
        console.print(check.record_markdown(check.register_record(c)), highlight=False)
    if args.out:
        command = "povsim check " + " ".join(
            [*(args.regions or []), f"--households {args.households}",
             f"--replicates {args.replicates}", f"--out {args.out}"])
        path = check.write_page(checks, Path(args.out), command)
        console.print(f"\nwritten: {path} (figures in {path.parent / 'img'})")
    return 0


def cmd_band(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from simulation.calibration.band import predictive_band, write_band
    from simulation.comparison.posterior import PosteriorFileError

    out = Path(args.out) if args.out else Path(args.posterior).with_name("band.parquet")
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("draws", total=args.draws)
        try:
            band, meta = predictive_band(
                args.posterior, args.draws, args.households, args.seed, args.draw_seed,
                args.executor, args.workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
        except PosteriorFileError as exc:
            error(str(exc))
            return 2
    path = write_band(band, meta, out)
    console.print(f"band of {meta['scenario']} over {meta['draws']} posterior draws "
                  f"({meta['households']:,} households, {meta['months']} months, "
                  f"{meta['run_seconds']:.0f} s): {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("band", help="the posterior predictive band of a scenario's monthly "
                       "series (drawn behind a visual run in the app)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    b.add_argument("posterior", help="posterior.parquet (povsim calibrate --method posterior)")
    b.add_argument("--draws", type=positive_int, default=40, help="posterior draws to run")
    b.add_argument("--households", type=positive_int, default=None,
                   help="households per run (default: the posterior's)")
    b.add_argument("--seed", type=seed, default=1, help="seed of the first draw's run")
    b.add_argument("--draw-seed", type=seed, default=1, help="seed of the choice of draws")
    b.add_argument("--executor", default="process", help="serial, process or tcp://...")
    b.add_argument("--workers", type=int, default=None, help="pool size")
    b.add_argument("--out", help="output file (default: band.parquet next to the posterior)")
    b.set_defaults(func=cmd_band)
    c = sub.add_parser("check", help="run every bundled region as shipped against every "
                       "reported target (the model-vs-record table)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    c.add_argument("regions", nargs="*", help="bundled regions (default: all)")
    c.add_argument("--households", type=int, default=20_000, help="households per run")
    c.add_argument("--replicates", type=int, default=3, help="seeds per region")
    c.add_argument("--executor", default="process", help="serial, process or tcp://...")
    c.add_argument("--workers", type=int, default=None, help="pool size")
    c.add_argument("--out", help="write the page (e.g. docs/validation.md) and its figures")
    c.set_defaults(func=cmd_check)
    p = sub.add_parser("calibrate", help="fit scenario parameters to reported targets",
                       description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("file", help="target file (calibration/targets/*.yaml) or calibration YAML")
    p.add_argument("--scenario", help="scenario file or bundled name to calibrate")
    p.add_argument("--params", action="append", default=[], metavar="NAME=LOW:HIGH[:START]",
                   help="parameter to fit: a dotted scenario path, or budget_scale "
                        "(multiplies every instrument budget)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="fixed scenario override (e.g. start=2012-01)")
    p.add_argument("--households", type=positive_int,
                   help="simulated households per run (default: the scenario's)")
    p.add_argument("--replicates", type=positive_int,
                   help="seeds per point, common to all points (default 2)")
    p.add_argument("--fit-until", dest="fit_until", metavar="YYYY-MM",
                   help="fit targets up to this month; report the error on later ones "
                        "(default: fit all)")
    p.add_argument("--method", choices=["differential_evolution", "nelder-mead", "powell",
                                        "posterior"],
                   help="optimizer (default differential_evolution), or posterior: draws "
                        "from the Bayesian posterior (tempered SMC; the spec's posterior: "
                        "section) written to OUT/posterior.parquet")
    p.add_argument("--seed", type=seed, help="optimizer (or posterior sampler) seed "
                                             "(default 1)")
    p.add_argument("--particles", type=positive_int,
                   help="posterior: particles, i.e. draws (default 500; at least 20)")
    p.add_argument("--sbc", type=positive_int, metavar="K",
                   help="posterior: simulation-based calibration with K synthetic truths "
                        "drawn from the prior (writes OUT/sbc.md; default OUT "
                        "results/sbc/NAME)")
    p.add_argument("--maxiter", type=positive_int,
                   help="optimizer generations / iterations (default 20)")
    p.add_argument("--popsize", type=positive_int,
                   help="differential evolution population factor (default 8)")
    p.add_argument("--max-evaluations", dest="max_evaluations", type=positive_int,
                   help="hard cap on distinct points evaluated, checkpoint included "
                        "(default: none)")
    p.add_argument("--executor",
                   help="serial, process or a Dask address tcp://... (default process)")
    p.add_argument("--workers", type=positive_int,
                   help="process pool size (default: all cores)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on the Dask scheduler at ADDRESS (tcp://host:8786); the same as "
                        "--executor ADDRESS")
    p.add_argument("--name", help="calibration name, the output folder (default: "
                                   "TARGETS-SCENARIO)")
    p.add_argument("--out", help="output folder (default results/calibration/NAME, "
                                 "results/posterior/NAME for --method posterior)")
    p.add_argument("--restart", action="store_true", help="discard an existing checkpoint")
    p.add_argument("--no-report", action="store_true", help="skip figures and HTML")
    p.set_defaults(func=cmd_calibrate)


if __name__ == "__main__":  # pragma: no cover
    from simulation.cli import main

    sys.exit(main(["calibrate", *sys.argv[1:]]))
