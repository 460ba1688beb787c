"""Sharded prepare across processes: a driver killed after stage A, and a Ray started by another process.

Both start a second Python process with its own Ray (~30 s each on 2 busy cores), hence slow.
"""

import json
import os
import shutil
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
pytestmark = pytest.mark.slow
# A stand-in for a Ray cluster: another process holding a local Ray until its stdin closes.
CLUSTER = """
import sys
from writing7.prepare.ray_runtime import import_ray, ray_session
with ray_session(workers=2):
    print(import_ray().get_runtime_context().gcs_address, flush=True)
    sys.stdin.read()
"""


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
        shutil.rmtree(folder)


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


def test_joins_a_running_cluster_by_address_and_leaves_it_running(small_config, fixture_corpus_source, tmp_path):
    ray = pytest.importorskip("ray")
    # A cluster without token authentication: joining a token cluster needs RAY_AUTH_MODE=token in the
    # driver's environment before Ray is imported, which this already running test process cannot do.
    environment = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment, text=True)
    try:
        address = cluster.stdout.readline().strip()
        assert address, "the cluster process did not start"
        manifest = run(small_config(force_sharded=True, ray_address=address), corpus=fixture_corpus_source, artifacts=tmp_path)
        sharding = manifest.stats["sharding"]
        assert (sharding["ray_address"], sharding["computed"], sharding["ray_cpus"]) == (address, 3, 2.0)
        assert not ray.is_initialized() and cluster.poll() is None  # disconnected; the cluster runs on
    finally:
        cluster.stdin.close()
        assert cluster.wait(timeout=120) == 0
    assert not list(Path(tempfile.gettempdir()).glob(f"writing7-ray-{cluster.pid}-*"))
