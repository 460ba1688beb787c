"""Per-book work over a process pool, results in input order, with a progress bar.

Workers die with the process that started them: ``kill -9`` of ``prepare`` during chunking once left
its two workers running for minutes, holding memory and cores. On Linux each worker asks the kernel for
SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``); everywhere, a watcher thread in the worker
also exits it when its parent pid changes (re-parented) or the pool's owner is gone, should the signal
be unavailable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from tqdm import tqdm

from writing7.artifacts import process_alive
from writing7.progress import progress_disabled

Result = TypeVar("Result")
MIN_BOOKS_PER_WORKER = 8  # below this a process pool costs more (start-up, imports) than it saves
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG = 1, 2  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


def _libc() -> Any | None:
    """The C library where ``prctl`` exists (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def set_parent_death_signal(signal_number: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``signal_number`` (0 = none) to this process when its parent dies; False where unsupported."""
    libc = _libc()
    return libc is not None and libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0) == 0


def parent_death_signal() -> int:
    """The signal this process gets when its parent dies (0 = none, or not Linux)."""
    libc, value = _libc(), ctypes.c_int(0)
    if libc is not None:
        libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0)
    return value.value


def die_with_parent(owner: int) -> None:
    """Pool initializer: end this worker as soon as ``owner`` (the process that made the pool) is gone.

    ``PR_SET_PDEATHSIG`` fires when the parent *thread* that forked the worker exits; :func:`map_in_order`
    creates and drains its pool in one call, so that thread outlives the pool. A watcher thread covers
    systems without prctl (it exits when this worker is re-parented or ``owner`` disappears), and the
    check right after the prctl covers an owner that died before it took effect.
    """
    parent = os.getppid()
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent or not process_alive(owner):
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(parent, owner), name="die-with-parent", daemon=True).start()


def _exit_when_orphaned(parent: int, owner: int) -> None:
    while os.getppid() == parent and process_alive(owner):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)  # nobody is left to collect this worker's results


def worker_count(requested: int, books: int) -> int:
    """``requested`` processes, fewer when the machine has fewer cores or there are too few books to share."""
    return max(1, min(requested, os.cpu_count() or 1, books // MIN_BOOKS_PER_WORKER))


def map_in_order(function: Callable[..., Result], items: Sequence[Any], *shared: Any, workers: int, description: str) -> list[Result]:
    """``[function(item, *shared) for item in items]``, in ``workers`` processes when ``workers > 1``.

    ``function`` and ``shared`` must be picklable (module-level functions, dataclass configs). One item
    per task (``chunksize=1``): books differ in size by 10x, so small tasks keep both workers busy.
    """
    results: list[Result] = []
    with tqdm(total=len(items), desc=description, unit="book", disable=progress_disabled()) as progress:
        if workers <= 1:
            for item in items:
                results.append(function(item, *shared))
                progress.update()
            return results
        with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            for result in pool.map(function, items, *([value] * len(items) for value in shared), chunksize=1):
                results.append(result)
                progress.update()
    return results
