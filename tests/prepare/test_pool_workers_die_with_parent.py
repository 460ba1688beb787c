"""Pool workers of `prepare` and `index` die with their parent: no orphans after `kill -9` (issue 20)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from writing7.parallel import map_in_order, parent_death_signal

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


def death_signal_in_worker(_item: int) -> tuple[int, int]:
    return os.getpid(), parent_death_signal()


@linux_only
def test_every_pool_worker_asks_for_sigkill_when_its_parent_dies():
    results = map_in_order(death_signal_in_worker, list(range(8)), workers=2, description="check")
    assert {os.getpid()}.isdisjoint(pid for pid, _ in results)  # really ran in workers
    assert {signal_number for _, signal_number in results} == {signal.SIGKILL}


@linux_only
def test_the_death_signal_reads_back_in_a_fresh_process():
    code = "from writing7.parallel import *; assert parent_death_signal() == 0; set_parent_death_signal(); print(parent_death_signal())"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == str(int(signal.SIGKILL))


# The parent: a pool of 2 workers on long tasks, as `prepare` chunking books. Each task leaves its
# worker's pid in FOLDER; with "watcher" the task turns the death signal off, so only the fallback is left.
PARENT = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from writing7.parallel import map_in_order, set_parent_death_signal

    def long_task(seconds, folder, mode):
        if mode == "watcher":
            set_parent_death_signal(0)
        Path(folder, str(os.getpid())).touch()
        time.sleep(seconds)

    map_in_order(long_task, [120] * 4, sys.argv[1], sys.argv[2], workers=2, description="chunk")
""")


def wait_for_workers(folder: Path, parent: subprocess.Popen, count: int = 2, limit_seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline and parent.poll() is None:
        pids = [int(path.name) for path in folder.iterdir()]
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"{count} workers did not start (parent exit code {parent.poll()})")


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for a reaper (in a container, PID 1 may never reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["prctl", "watcher"])
def test_kill_9_of_the_parent_ends_its_workers_within_seconds(tmp_path: Path, mode: str):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path), mode], env={**os.environ, "WRITING7_QUIET": "1"})
    try:
        workers = wait_for_workers(tmp_path, parent)
        assert all(running(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(running(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if running(pid)], "orphaned pool workers are still running"
    finally:
        parent.kill()
        parent.wait()
        for pid in [int(path.name) for path in tmp_path.iterdir()]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
