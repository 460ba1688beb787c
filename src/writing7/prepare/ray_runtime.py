"""Joining or starting Ray for the sharded prepare, and leaving nothing behind.

Ray is an optional extra (``pip install 'writing7[ray]'``). :func:`ray_session` connects to a cluster
when given an address, otherwise starts a private local instance with ``workers`` CPUs:

- its session files go to a fresh ``/tmp/writing7-ray-<pid>-*`` folder (short enough for Ray's Unix
  sockets), not ``/tmp/ray``; it is removed at the end, or kept and named after a failure, since the
  worker logs are there;
- usage statistics are off (``RAY_USAGE_STATS_ENABLED=0``) unless the user opted in;
- Ray >= 2.5x protects a new local cluster with a token and by default saves it to
  ``~/.ray/auth_token``; we hand it a per-process token in ``RAY_AUTH_TOKEN`` instead, so nothing
  is written to the home directory (the user's own ``RAY_AUTH_*`` settings win);
- the dashboard, log forwarding to the driver and Ray's INFO logging are off.

Ray is shut down at the end only when this session started or connected it; an instance the caller
already initialized (a test fixture, a notebook) is used as is and left running.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from writing7.errors import UserFacingError

logger = logging.getLogger(__name__)
INSTALL_HINT = "the sharded prepare needs Ray, which is not installed: pip install 'writing7[ray]'"
# Ray's own modules that warn at start-up about things we set on purpose (the token-auth notice).
_QUIET_LOGGERS = ("ray._private.authentication.authentication_token_setup",)
RAY_CLIENT_PORT = 10001
_USER_AUTH_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
# One token per driver process: Ray's C++ loader caches the first token it reads.
_LOCAL_TOKEN = secrets.token_hex(32)


@dataclass(frozen=True)
class RaySessionInfo:
    """Where the tasks run: ``address`` ("local" for a private instance) and how long start-up took."""

    address: str
    started_here: bool
    start_seconds: float
    cpus: float


def import_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`~writing7.errors.UserFacingError` with the install command."""
    try:
        import ray
    except ImportError as error:
        raise UserFacingError(INSTALL_HINT) from error
    return ray


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the Ray processes we start, restoring the driver's afterwards."""
    saved = {name: os.environ.get(name) for name in (*values, "RAY_AUTH_MODE")}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _local_environment() -> dict[str, str]:
    values = {"RAY_USAGE_STATS_ENABLED": os.environ.get("RAY_USAGE_STATS_ENABLED", "0")}
    if not any(name in os.environ for name in _USER_AUTH_VARIABLES):
        values["RAY_AUTH_TOKEN"] = _LOCAL_TOKEN
    return values


@contextlib.contextmanager
def _quiet_start_up() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail in seconds on a wrong address: ``ray.init`` would retry for minutes."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host:  # ray://host without a port
        host, port = port, str(RAY_CLIENT_PORT)
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise UserFacingError(
            f"cannot reach the Ray cluster at {address} ({error}): check that `ray start --head` runs there, "
            "and the host and port (6379 for the head, 10001 for ray://)"
        ) from error


def _cpus(ray: ModuleType) -> float:
    return float(ray.cluster_resources().get("CPU", 0.0))


@contextlib.contextmanager
def ray_session(*, address: str = "", workers: int = 2) -> Iterator[RaySessionInfo]:
    """Use the running Ray, join ``address``, or start a private local Ray with ``workers`` CPUs."""
    ray = import_ray()
    if ray.is_initialized():
        yield RaySessionInfo(address="existing", started_here=False, start_seconds=0.0, cpus=_cpus(ray))
        return
    common = {"log_to_driver": False, "logging_level": logging.WARNING, "configure_logging": True}
    start = time.perf_counter()
    if address:
        _check_reachable(address)
        ray.init(address=address, **common)
        try:
            yield RaySessionInfo(address=address, started_here=True, start_seconds=time.perf_counter() - start, cpus=_cpus(ray))
        finally:
            ray.shutdown()  # disconnects this driver; the cluster keeps running
        return
    session_root = tempfile.mkdtemp(prefix=f"writing7-ray-{os.getpid()}-")
    try:
        with _environment(_local_environment()), _quiet_start_up():
            ray.init(num_cpus=workers, include_dashboard=False, _temp_dir=session_root, **common)
            try:
                logger.info("started a local Ray with %d CPUs in %.1f s", workers, time.perf_counter() - start)
                yield RaySessionInfo(address="local", started_here=True, start_seconds=time.perf_counter() - start, cpus=_cpus(ray))
            finally:
                ray.shutdown()
    except BaseException:
        logger.warning("Ray's session files and worker logs are kept in %s (delete it when done)", session_root)
        raise
    shutil.rmtree(session_root, ignore_errors=True)


def run_tasks(
    function: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, labels: Sequence[str], max_retries: int,
    on_result: Callable[[Any], None], on_poll: Callable[[], None], poll_seconds: float = 1.0, in_flight: int | None = None,
) -> None:
    """Run ``function(*call)`` as one Ray task per call, handing each result to ``on_result`` as it arrives.

    Ray retries a task up to ``max_retries`` times when its worker dies (a killed process, a lost
    node) and when it raises :class:`OSError` (shared storage hiccups); other exceptions are bugs
    and fail at once. ``on_poll`` runs at least every ``poll_seconds`` (the caller saves its
    progress there).

    At most ``in_flight`` tasks are submitted at a time (default: twice the cluster's CPUs, so a
    worker finds its next task queued). After a final failure no task is submitted; the ones in
    flight finish and reach ``on_result`` (their work is kept for a rerun), then a
    :class:`RuntimeError` names the first failed task. Nothing is cancelled: ``ray.cancel`` raced
    with a task completing at that moment and crashed the driver on a failed internal check of
    Ray 2.60 (``TaskManager::CompletePendingTask``: the process exits without a Python error), and
    an interrupt-cancel can stop a task inside a first ``import torch`` and leave Ray a worker with a
    half-imported module, on which every later task fails.
    """
    ray = import_ray()
    remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=[OSError])(function)
    window = max(1, in_flight or 2 * int(_cpus(ray)))
    waiting = collections.deque(zip(calls, labels))
    pending: dict[Any, str] = {}
    failure: UserFacingError | None = None
    while pending or (waiting and failure is None):
        while waiting and failure is None and len(pending) < window:
            call, label = waiting.popleft()
            pending[remote.remote(*call)] = label
        ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=poll_seconds)
        for reference in ready:
            label = pending.pop(reference)
            try:
                result = _result(ray, reference, label, max_retries)
            except UserFacingError as error:
                failure = failure or error
                continue
            on_result(result)
        on_poll()
    if failure is not None:
        raise failure


def _result(ray: ModuleType, reference: Any, label: str, max_retries: int) -> Any:
    try:
        return ray.get(reference)
    except ray.exceptions.RayError as error:
        cause = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise UserFacingError(f"{label} failed after {max_retries} retries ({type(error).__name__}: {cause})") from error
