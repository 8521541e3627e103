"""Background threads for large runs, so that the second core does some of the work.

Random draws are made ahead, channels are worked out side by side and large network
products are split over row blocks. numpy and scipy release the GIL in the loops used, so
these threads do run in parallel, and each use gives exactly the values of the serial path.
`POVSIM_THREADS=1` turns them all off; `POVSIM_THREADS=N` asks for N.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

#: Households from which a run uses background threads (below, they cost more than they save).
MIN_HOUSEHOLDS = 100_000

_pools: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def wanted() -> int:
    """Threads to use: POVSIM_THREADS if set to a positive number, else the cores (<= 4)."""
    try:
        n = int(os.environ.get("POVSIM_THREADS", "0"))
    except ValueError:
        n = 0
    return n if n > 0 else min(len(os.sched_getaffinity(0)), 4)


def allowed(households: int) -> bool:
    """Whether a run of this many households should use background threads."""
    return households >= MIN_HOUSEHOLDS and wanted() > 1


def pool(name: str, workers: int = 1) -> ThreadPoolExecutor:
    """A named pool of daemon-like worker threads, created on first use and kept."""
    with _lock:
        if name not in _pools:
            _pools[name] = ThreadPoolExecutor(max_workers=workers,
                                              thread_name_prefix=f"povsim-{name}")
        return _pools[name]


def each(households: int, items: Sequence, fn: Callable[[object], object]) -> None:
    """`fn(item)` for every item (which must not depend on each other); a run of this many
    households that uses threads does the second half of them in a background thread."""
    if not allowed(households) or len(items) < 2:
        for item in items:
            fn(item)
        return
    half = len(items) // 2
    later = pool("each").submit(lambda: [fn(item) for item in items[half:]])
    for item in items[:half]:
        fn(item)
    later.result()
