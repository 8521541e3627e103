"""Child processes that end when the process that started them dies.

A sweep killed with SIGKILL cannot stop its pool workers, and `povsim app` stopped with
SIGTERM would leave its Solara server serving. Two mechanisms, both cheap:

- `die_with_parent()`: Linux's PR_SET_PDEATHSIG, so the kernel sends SIGTERM when the
  parent exits (a `preexec_fn` for subprocesses, or a pool initializer);
- `watch(pid)`: a daemon thread that polls whether `pid` (the sweep itself, which for a
  forkserver pool is not the direct parent) is alive and exits this process when it is not.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `sig` to this process when its parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(pid: int, interval: float = 1.0) -> None:
    """Exit this process (status 1) once `pid` is gone; returns at once (a daemon thread)."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(interval)
            if not _alive(pid) or os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=loop, name="povsim-lifeline", daemon=True).start()


def worker_init(pid: int) -> None:
    """Pool initializer: die with the forkserver (PDEATHSIG) and with the sweep (`pid`)."""
    die_with_parent()
    watch(pid)
