"""Helpers for real-browser tests of povsim's Solara web app.

Pieces (the fixtures in conftest.py wrap them):

* :class:`SolaraServer` runs ``solara run <app>`` as a subprocess on a free 127.0.0.1 port,
  as a user would, and waits until it answers; its output goes to a log file.
* :data:`CHROMIUM_LAUNCH_ARGS` launch Debian's Chromium (Playwright cannot download its own
  browser here) headless as root.
* :class:`PageProblems` records what the browser reports as wrong: console errors, uncaught
  page errors, failed requests and HTTP error responses.
* :func:`wait_for_solara` waits until Solara has replaced its loader with the app.

Before these tests can pass the machine needs ``bash tools/install_system.sh`` (Chromium)
and ``.venv/bin/python tools/solara_assets.py`` (Solara's offline JS/CSS cache).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
SCREENSHOTS_DIR = ARTIFACTS_DIR / "screenshots"
SERVER_LOGS_DIR = ARTIFACTS_DIR / "server-logs"

CHROMIUM_PATH = os.environ.get("POVSIM_CHROMIUM", "/usr/bin/chromium")
# Playwright adds --headless itself and gives each launch a fresh temporary
# --user-data-dir (it refuses one in args), so neither is listed here.
CHROMIUM_LAUNCH_ARGS = [
    "--no-sandbox",  # running as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

SERVER_START_TIMEOUT = float(os.environ.get("POVSIM_SERVER_START_TIMEOUT", "90"))
# Solara's first page load compiles Vue templates, loads ~5 MB of JS and starts a kernel
APP_READY_TIMEOUT_MS = float(os.environ.get("POVSIM_APP_READY_TIMEOUT_MS", "60000"))


def safe_name(text: str, max_len: int = 120) -> str:
    """A file-name-safe version of e.g. a pytest node id."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.")
    return name[:max_len] or "unnamed"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the OS picks it; another process could take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_solara_assets() -> tuple[bool, str]:
    """(ok, report) from ``tools/solara_assets.py --check`` run with this interpreter."""
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "solara_assets.py"), "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


class SolaraServer:
    """``solara run APP`` in a subprocess on 127.0.0.1; use as a context manager or call stop().

    ``app`` is what ``solara run`` takes: a file path (``simulation/ui/app.py``, relative to the
    repo root or absolute) or a module name (``simulation.ui.app``). The server runs with the
    repo root as working directory and on ``PYTHONPATH``.
    """

    def __init__(
        self,
        app: str | os.PathLike[str],
        *,
        production: bool = False,
        env: dict[str, str] | None = None,
        extra_args: Iterable[str] = (),
        log_path: Path | None = None,
        start_timeout: float = SERVER_START_TIMEOUT,
    ) -> None:
        self.app = str(app)
        self.production = production
        self.extra_env = dict(env or {})
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        SERVER_LOGS_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path or SERVER_LOGS_DIR / f"{safe_name(self.app)}.log"
        self._log_file = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    def command(self, port: int) -> list[str]:
        cmd = [
            sys.executable, "-m", "solara", "run", self.app,
            "--host", self.host, "--port", str(port),
            "--no-open", "--no-check-version",  # the version check would call PyPI
        ]  # fmt: skip
        if self.production:
            cmd.append("--production")
        return cmd + self.extra_args

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env.update(
            PYTHONUNBUFFERED="1",
            SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",  # no calls home
            SOLARA_ASSETS_PROXY="True",  # serve JS/CSS from the filled cache
            MPLBACKEND="Agg",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> SolaraServer:
        last_error = ""
        for _attempt in range(3):  # a port taken between free_port() and bind: try another
            port = free_port(self.host)
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self._log_file.write(f"\n=== {' '.join(self.command(port))}\n".encode())
            self._log_file.flush()
            self.proc = subprocess.Popen(
                self.command(port),
                cwd=REPO_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends all it started
            )
            self.port = port
            try:
                self._wait_until_serving()
                return self
            except RuntimeError as e:
                last_error = str(e)
                self.stop()
                if "address already in use" not in self.log_text().lower():
                    break
        raise RuntimeError(last_error)

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"solara server for {self.app} exited with code {self.proc.returncode} "
                    f"before serving; log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(
            f"solara server for {self.app} did not answer on {self.url} within "
            f"{self.start_timeout:.0f} s; log {self.log_path}:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # the group we created with start_new_session: the server and any child of it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> SolaraServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the server's output ---------------------------------------------------------------
    def log_text(self) -> str:
        if self._log_file is not None:
            self._log_file.flush()
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_mark(self) -> int:
        """A position in the log; pass it to errors_since() to see only later output."""
        return len(self.log_text())

    def assert_no_errors(self, since: int = 0) -> None:
        """Fail if the server logged tracebacks or ERROR lines after log position ``since``."""
        errors = self.errors_since(since)
        if errors:
            raise AssertionError(
                f"the solara server for {self.app} logged {len(errors)} error(s) "
                f"(log {self.log_path}):\n\n" + "\n\n".join(errors)
            )

    def errors_since(self, mark: int = 0) -> list[str]:
        """Python tracebacks and ERROR lines the server logged after ``mark``."""
        text = self.log_text()[mark:]
        found = []
        for block in re.split(r"\n(?=\S)", text):
            if block.startswith("Traceback") or re.search(r"\bERROR\b", block):
                found.append(block.strip())
        return found


class PageProblems:
    """Collects what a page reports as wrong, from the moment it is attached.

    ``ignore`` holds regular expressions; a problem matching any of them is dropped
    (for known, harmless messages: keep that list short and commented).
    """

    def __init__(self, page, ignore: Iterable[str] = ()) -> None:
        self.page = page
        self.ignore = [re.compile(p) for p in ignore]
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.bad_responses: list[str] = []
        self.console_log: list[str] = []  # everything, for debugging a failure
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)
        page.on("requestfailed", self._on_requestfailed)
        page.on("response", self._on_response)

    def _on_console(self, msg) -> None:
        loc = msg.location or {}
        where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
        line = f"{msg.type}: {msg.text}{where}"
        self.console_log.append(line)
        if msg.type == "error":
            self.console_errors.append(line)

    def _on_pageerror(self, error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}\n{error.stack or ''}".strip())

    def _on_requestfailed(self, request) -> None:
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.bad_responses.append(f"HTTP {response.status} {response.url}")

    def all(self) -> list[str]:
        items = (
            [f"console {m}" for m in self.console_errors]
            + [f"pageerror {m}" for m in self.page_errors]
            + [f"requestfailed {m}" for m in self.failed_requests]
            + [f"response {m}" for m in self.bad_responses]
        )
        return [m for m in items if not any(p.search(m) for p in self.ignore)]

    def assert_none(self, context: str = "") -> None:
        problems = self.all()
        if problems:
            where = f" {context}" if context else ""
            joined = "\n  ".join(problems)
            raise AssertionError(
                f"the browser reported {len(problems)} problem(s){where}:\n  {joined}"
            )


# True once Solara's root Vue instance (the page template, solara.html.j2) has finished
# loading (its `loading` flag, which hides the loader) and mounted the app's widget.
# Checking the DOM alone is not enough: before Vue starts, #app holds neither the loader
# nor the mount point.
SOLARA_READY_JS = """() => {
    const el = document.querySelector('#app');
    if (!el) return false;
    let root = null;
    if (el.__vue__) root = el.__vue__.$root;  // Vue 2 (ipyvue < 3)
    else if (el.__vue_app__ && el.__vue_app__._instance) root = el.__vue_app__._instance.proxy;
    if (!root || root.loading !== false || root.isMounted !== true) return false;
    if (document.querySelector('#loader-container')) return false;
    return !(el.innerText || '').includes('A widget with mount-id');
}"""


def wait_for_solara(page, timeout_ms: float = APP_READY_TIMEOUT_MS) -> None:
    """Wait until Solara's loader is gone and the app's widgets are mounted.

    On timeout, fails with what the page shows, and a hint when Vue never started
    (the usual cause: the JS bundles did not load from Solara's CDN cache).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(SOLARA_READY_JS, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        state = page.evaluate(
            """() => {
                const el = document.querySelector('#app');
                const root = el && el.__vue__ ? el.__vue__.$root : null;
                return {
                    vue: !!root || !!(el && el.__vue_app__),
                    loading: root ? root.loading : null,
                    loading_text: root ? root.loading_text : null,
                    text: (document.body ? document.body.innerText : '').slice(0, 800),
                };
            }"""
        )
        hint = ""
        if not state["vue"]:
            hint = (
                "\nVue never started: Solara's JS bundles probably did not load. Check "
                "`.venv/bin/python tools/solara_assets.py --check` and the page's failed requests."
            )
        raise AssertionError(
            f"Solara app at {page.url} not ready after {timeout_ms / 1000:.0f} s: {state}{hint}"
        ) from None


def open_app(page, url: str, *, timeout_ms: float = APP_READY_TIMEOUT_MS) -> None:
    """Load ``url`` and wait until the Solara app is on screen."""
    page.goto(url, wait_until="load", timeout=timeout_ms)
    wait_for_solara(page, timeout_ms=timeout_ms)
