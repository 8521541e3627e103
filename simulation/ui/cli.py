"""`povsim app`: serve the web app (simulation/ui/app.py) with Solara on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def command(host: str, port: int, production: bool = True) -> list[str]:
    """The `solara run` command line that serves the app."""
    cmd = [sys.executable, "-m", "solara", "run", str(APP), "--host", host,
           "--port", str(port), "--no-open", "--no-check-version"]
    return cmd + (["--production"] if production else [])


def cmd_app(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env.setdefault("SOLARA_ASSETS_PROXY", "True")  # JS/CSS from the local cache
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    root = str(APP.parents[2])  # the checkout: solara imports simulation from there
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    print(f"povsim app on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    from simulation.lifeline import die_with_parent

    # The server dies with this process (even by SIGKILL); SIGTERM here stops it cleanly.
    server = subprocess.Popen(command(args.host, args.port, not args.dev), env=env,
                              preexec_fn=die_with_parent)

    def stop(signum, frame) -> None:
        server.terminate()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("app", help="serve the interactive web app (Solara)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--dev", action="store_true",
                   help="Solara's development mode (reloads on code changes)")
    p.set_defaults(func=cmd_app)
