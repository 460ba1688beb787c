"""A driver killed (SIGKILL) after stage A: the rerun reuses every shard and does not even start Ray."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from writing7.config.prepare import PrepareConfig
from writing7.stages.prepare import run

pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # a second Python process with its own Ray: ~30 s on 2 busy cores


def stage_a_finished(manifest_path: Path) -> bool:
    try:
        shards = json.loads(manifest_path.read_text())["shards"]
    except (OSError, ValueError, KeyError):
        return False  # not written yet (the driver replaces it atomically, so never half-written)
    return all(entry["status"] == "complete" for entry in shards)


def kill_after_stage_a(command: list[str], manifest_path: Path, timeout: float = 300) -> None:
    """Start the driver, SIGKILL it once shards_manifest.json lists every shard complete, then end
    the Ray processes it left (the agents outlive their driver) and Ray's session folder."""
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while not stage_a_finished(manifest_path):
        assert driver.poll() is None, f"driver exited early: {driver.stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, "stage A did not finish in time"
        time.sleep(0.1)
    descendants = psutil.Process(driver.pid).children(recursive=True)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    for process in descendants:
        if process.is_running():
            process.kill()
    psutil.wait_procs(descendants, timeout=30)
    for folder in Path(tempfile.gettempdir()).glob(f"writing7-ray-{driver.pid}-*"):
        subprocess.run(["rm", "-rf", str(folder)], check=True)


def test_rerun_after_the_driver_is_killed_skips_stage_a(small_config, fixture_corpus_source, tmp_path):
    cfg = small_config(workers=2, force_sharded=True)
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[prepare]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in cfg.to_dict().items()))
    assert PrepareConfig.load(config_file) == cfg
    artifacts = tmp_path / "artifacts"
    command = [sys.executable, "-m", "writing7", "--quiet", "prepare", "--corpus", str(fixture_corpus_source), "--artifacts", str(artifacts), "--config", str(config_file)]
    kill_after_stage_a(command, artifacts / "tmp" / "prepare_shards" / "shards_manifest.json")
    assert not (artifacts / "data" / "processed").exists()  # killed before stage B finished
    manifest = run(cfg, corpus=fixture_corpus_source, artifacts=artifacts)
    sharding = manifest.stats["sharding"]
    assert (sharding["shards"], sharding["computed"], sharding["reused"]) == (3, 0, 3)
    assert "ray_start" not in manifest.stats["seconds"] and manifest.stats["splits"]["train"]["pairs"] > 0
    assert not (artifacts / "tmp" / "prepare_shards").exists()
