"""Stopped processes leave no children behind: `kill -9` of a sweep ends its pool workers
(and their fork server); SIGTERM or SIGKILL of `povsim app` ends its Solara server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

POVSIM = str(Path(sys.executable).with_name("povsim"))


def _children_appear(proc: subprocess.Popen, n: int, timeout: float = 120) -> list:
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = parent.children(recursive=True)
        if len(kids) >= n:
            return kids
        assert proc.poll() is None, "the command ended early"
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} child processes after {timeout} s")


def _all_gone(kids: list, timeout: float = 20) -> list:
    gone, alive = psutil.wait_procs(kids, timeout=timeout)
    for p in alive:  # do not leave them behind even if the test fails
        p.kill()
    return alive


@pytest.mark.xdist_group("lifeline")
def test_sigkill_of_a_sweep_ends_its_pool_workers(tmp_path):
    cmd = [POVSIM, "sweep", "run", "--scenario", "demo", "--households", "4000", "--set",
           "months=96", "--replicates", "40", "--executor", "process", "--workers", "2",
           "--db", str(tmp_path / "r.duckdb"), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        kids = _children_appear(proc, 3)  # the fork server and two workers
        time.sleep(1.0)
        kids = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)  # the sweep only, not its process group
        proc.wait(timeout=10)
        assert _all_gone(kids) == [], "pool processes outlived the sweep"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.xdist_group("lifeline")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_the_app_ends_its_solara_server(tmp_path, sig):
    port = 18700 + sig
    proc = subprocess.Popen([POVSIM, "app", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        kids = _children_appear(proc, 1)
        time.sleep(1.0)
        kids = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(sig)
        proc.wait(timeout=20)
        assert _all_gone(kids) == [], "the Solara server outlived povsim app"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
