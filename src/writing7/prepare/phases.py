"""Wall time and peak resident memory of each phase of prepare, for the manifest and the benchmark."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import psutil

logger = logging.getLogger(__name__)
SAMPLE_SECONDS = 0.05


class PhaseTimer:
    """``with timer.phase("embed"): ...`` records seconds and the peak RSS (MiB) seen during the phase.

    RSS is sampled every :data:`SAMPLE_SECONDS` by a daemon thread (and at both ends), so a spike
    shorter than that can be missed; the process-wide peak would hide which phase caused it.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_rss_mb: dict[str, float] = {}
        self._process = psutil.Process()

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        peak = [self._rss()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                peak[0] = max(peak[0], self._rss())

        sampler = threading.Thread(target=sample, name=f"rss-{name}", daemon=True)
        logger.info("prepare: %s ...", name)
        start = time.perf_counter()
        sampler.start()
        try:
            yield
        finally:
            stop.set()
            sampler.join()
            self.seconds[name] = round(time.perf_counter() - start, 3)
            self.peak_rss_mb[name] = round(max(peak[0], self._rss()) / 2**20, 1)
            logger.info("prepare: %s done in %.1f s (peak RSS %.0f MiB)", name, self.seconds[name], self.peak_rss_mb[name])

    def _rss(self) -> int:
        return self._process.memory_info().rss

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {"seconds": dict(self.seconds), "peak_rss_mb": dict(self.peak_rss_mb)}
