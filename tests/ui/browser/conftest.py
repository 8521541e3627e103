"""Fixtures for real-browser tests: a Solara server subprocess and Debian's Chromium.

Prerequisites on the machine (CI runs them before pytest):

    bash tools/install_system.sh                # /usr/bin/chromium + fonts
    .venv/bin/python tools/solara_assets.py     # Solara's offline JS/CSS cache

Fixtures
--------
``serve_app`` (session)
    Factory: ``server = serve_app("simulation/ui/app.py")`` (a file relative to the repo
    root, or a module name such as ``"simulation.ui.app"``) starts ``solara run`` on a free
    127.0.0.1 port, waits until it answers and returns a :class:`helpers.SolaraServer`
    (``.url``, ``.log_text()``, ``.errors_since(mark)``). One server per distinct
    (app, production, env) for the whole session; all are stopped at session end.
    Keyword arguments: ``production=True`` for ``solara run --production``, ``env={...}``.
``page`` (pytest-playwright's, per test)
    A fresh page in a fresh browser context of Debian's Chromium (1280x900). Requests
    to anything but 127.0.0.1/localhost are aborted (and reported by ``page_problems``).
    On a failing test a screenshot of it is saved as ``failure.png`` in ``screenshot_dir``.
``page_problems`` (per test)
    :class:`helpers.PageProblems` attached to ``page`` before it loads anything:
    ``page_problems.assert_none()`` fails on console errors, uncaught page errors,
    failed requests and HTTP >= 400 responses.
``screenshot_dir`` (per test)
    ``test-artifacts/screenshots/<test id>/``, emptied first (test-artifacts/ is
    gitignored). ``save_screenshot(page, "name")`` writes ``<name>.png`` there.

Typical test of the real app::

    import pytest
    from .helpers import open_app

    pytestmark = pytest.mark.browser

    def test_app_steps(serve_app, page, page_problems, save_screenshot):
        server = serve_app("simulation/ui/app.py")
        mark = server.log_mark()          # the server is shared: look at our part of its log
        open_app(page, server.url)        # goto + wait until Solara mounted the app
        page.get_by_role("button", name="Step").first.click()   # Mesa SolaraViz's button
        page.get_by_text("Time: 1").wait_for()
        save_screenshot(page, "after-step")
        page_problems.assert_none()       # console errors, page errors, failed requests
        server.assert_no_errors(since=mark)   # tracebacks / ERROR lines in the server log

Every test under tests/ui/browser/ gets the ``browser`` marker (deselect with
``-m "not browser"``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from .helpers import (
    ARTIFACTS_DIR,
    CHROMIUM_LAUNCH_ARGS,
    CHROMIUM_PATH,
    SCREENSHOTS_DIR,
    PageProblems,
    SolaraServer,
    check_solara_assets,
    safe_name,
)

HERE = Path(__file__).parent
VIEWPORT = {"width": 1280, "height": 900}
# everything not served from this machine: aborted, so a test never waits on DNS
# and never calls home (Solara's own check iframe, fonts from a CDN, ...)
EXTERNAL_URL = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_povsim_report_{report.when}", report)
    return report


def _failed(request) -> bool:
    return any(
        getattr(getattr(request.node, f"_povsim_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


# -- the browser ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Overrides pytest-playwright's: Debian's Chromium, with the flags it needs as root."""
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.fail(
            f"{CHROMIUM_PATH} not found: run `bash tools/install_system.sh` "
            "(Playwright cannot download its own browser here); $POVSIM_CHROMIUM overrides "
            "the path",
            pytrace=False,
        )
    args = list(browser_type_launch_args.get("args", []))
    args += [a for a in CHROMIUM_LAUNCH_ARGS if a not in args]
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Overrides pytest-playwright's: a fixed viewport, so screenshots are comparable."""
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "en-US"}


@pytest.fixture
def context(context):
    """pytest-playwright's per-test context, with requests off this machine aborted."""
    # an aborted request fires the page's "requestfailed" event: page_problems reports it
    context.route(EXTERNAL_URL, lambda route: route.abort("blockedbyclient"))
    return context


@pytest.fixture
def page(page, request, screenshot_dir):
    """pytest-playwright's page; on failure its screenshot goes to screenshot_dir."""
    yield page
    if _failed(request) and not page.is_closed():
        try:
            page.screenshot(path=str(screenshot_dir / "failure.png"), full_page=True)
        except Exception as e:  # noqa: BLE001 - never hide the real failure
            print(f"could not save failure screenshot: {e!r}")


@pytest.fixture
def page_problems(page, request):
    problems = PageProblems(page)
    yield problems
    if _failed(request):  # shown in the report under "Captured stdout teardown"
        print("browser problems:\n  " + ("\n  ".join(problems.all()) or "(none)"))
        print("browser console (last 30):\n  " + "\n  ".join(problems.console_log[-30:]))


# -- screenshots -----------------------------------------------------------------------------
@pytest.fixture
def screenshot_dir(request) -> Path:
    path = SCREENSHOTS_DIR / safe_name(request.node.nodeid.replace("tests/ui/browser/", ""))
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def save_screenshot(screenshot_dir):
    def save(page, name: str, *, full_page: bool = True) -> Path:
        path = screenshot_dir / f"{safe_name(name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


# -- the Solara server -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def solara_assets_ready() -> None:
    ok, report = check_solara_assets()
    if not ok:
        pytest.fail(
            "Solara's offline CDN cache is incomplete, so the page would stay blank. "
            f"Run `.venv/bin/python tools/solara_assets.py`.\n{report}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def solara_home() -> Path:
    """A SOLARA_HOME for the servers, marked as already 'checked' so Solara's
    first-run call-home iframe (solara.checks) is not added to the page."""
    home = ARTIFACTS_DIR / "solara-home"
    home.mkdir(parents=True, exist_ok=True)
    for flag in (".solara_checked", ".jupyter_checked"):
        (home / flag).touch()
    return home


@pytest.fixture(scope="session")
def serve_app(solara_assets_ready, solara_home):
    servers: dict[tuple, SolaraServer] = {}

    def serve(app: str | os.PathLike[str], *, production: bool = False,
              env: dict[str, str] | None = None) -> SolaraServer:  # fmt: skip
        key = (str(app), production, tuple(sorted((env or {}).items())))
        server = servers.get(key)
        if server is not None and server.proc is not None and server.proc.poll() is None:
            return server
        full_env = {"SOLARA_HOME": str(solara_home), **(env or {})}
        name = str(app) + ("-production" if production else "")
        if env:  # the same app with other settings: another server, another log
            name += "-env" + hashlib.sha1(repr(key[2]).encode()).hexdigest()[:8]
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # each xdist worker has its own servers
        if worker:
            name += "-" + worker
        name = safe_name(name)
        server = SolaraServer(
            app,
            production=production,
            env=full_env,
            log_path=ARTIFACTS_DIR / "server-logs" / f"{name}.log",
        )
        server.log_path.parent.mkdir(parents=True, exist_ok=True)
        server.log_path.unlink(missing_ok=True)
        server.start()
        servers[key] = server
        return server

    yield serve
    for server in servers.values():
        server.stop()
