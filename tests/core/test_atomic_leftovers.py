"""Temporaries of a killed stage are removed by the next write of the same output, never a live run's (issue 20)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from writing7.artifacts import _temporary_sibling, atomic_directory, is_stale_temporary, process_alive

KILLED_DURING_SAVE = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from writing7.artifacts import atomic_directory

    with atomic_directory(Path(sys.argv[1])) as temporary:
        (temporary / "part-0.arrow").write_bytes(b"half a dataset")
        os.kill(os.getpid(), signal.SIGKILL)  # a kill during the save step
""")


def kill_during_save(final: Path) -> None:
    process = subprocess.run([sys.executable, "-c", KILLED_DURING_SAVE, str(final)], capture_output=True, timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()


def test_a_kill_during_the_save_leaves_a_temporary_the_next_run_removes(tmp_path: Path):
    final = tmp_path / "data" / "processed"
    kill_during_save(final)
    leftovers = [path for path in final.parent.iterdir() if path.name.startswith(".processed.tmp-")]
    assert len(leftovers) == 1 and (leftovers[0] / "part-0.arrow").is_file()
    with atomic_directory(final) as temporary:
        (temporary / "part-0.arrow").write_bytes(b"whole")
    assert sorted(path.name for path in final.parent.iterdir()) == ["processed"]


def test_temporaries_of_live_processes_and_other_names_stay(tmp_path: Path):
    final = tmp_path / "processed"
    live = _temporary_sibling(final)  # this process is alive: a concurrent run writing the same output
    live.mkdir()
    other_output = _temporary_sibling(tmp_path / "clean")
    other_output.mkdir()
    users = tmp_path / ".processed.tmp-notes"
    users.mkdir()
    with atomic_directory(final) as temporary:
        (temporary / "rows").write_text("rows")
    assert live.is_dir() and other_output.is_dir() and users.is_dir()


def test_a_temporary_is_stale_only_when_its_process_is_gone(tmp_path: Path):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert not process_alive(finished.pid) and process_alive(os.getpid())
    assert is_stale_temporary(tmp_path / f".processed.tmp-{finished.pid}-0123abcd", "processed")
    assert not is_stale_temporary(tmp_path / f".processed.tmp-{os.getpid()}-0123abcd", "processed")
    assert not is_stale_temporary(tmp_path / f".processed.tmp-{finished.pid}-0123abcd", "clean")
    assert not is_stale_temporary(tmp_path / f".processed.tmp-{finished.pid}-notours", "processed")
