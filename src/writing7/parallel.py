"""Per-book work over a process pool, results in input order, with a progress bar."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from tqdm import tqdm

from writing7.progress import progress_disabled

Result = TypeVar("Result")
MIN_BOOKS_PER_WORKER = 8  # below this a process pool costs more (start-up, imports) than it saves


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
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(function, items, *([value] * len(items) for value in shared), chunksize=1):
                results.append(result)
                progress.update()
    return results
