"""One test through a real uvicorn process started by `writing7 serve` on 127.0.0.1."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

STARTUP_SECONDS = 120  # importing torch + transformers on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`writing7 serve` exited with {process.returncode}: {process.stdout.read()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).json().get("model_loaded"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"`writing7 serve` did not become healthy within {STARTUP_SECONDS} s")


@contextlib.contextmanager
def serving(arguments: list[str], environment: dict[str, str]) -> Iterator[str]:
    """``writing7 serve ARGUMENTS --port P`` as a real process; yields its URL once healthy, stops it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "writing7", "--quiet", "serve", *arguments, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "OMP_NUM_THREADS": "1", **environment},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture()
def server(calibrated_matcher_dir):
    with serving(["--model", str(calibrated_matcher_dir), "--precision", "fp32"], {"WRITING7_API_KEY": "k3y"}) as url:
        yield url


def test_a_real_server_answers_like_the_python_api(server, calibrated_matcher_dir, passages):
    from writing7.config.inference import InferenceConfig
    from writing7.inference.matcher import Matcher

    body = {"text1": passages[0], "text2": passages[-1]}
    assert httpx.post(f"{server}/v1/score", json=body, timeout=30).status_code == 401
    response = httpx.post(f"{server}/v1/score", json=body, headers={"Authorization": "Bearer k3y"}, timeout=30)
    assert response.status_code == 200
    # one explicit precision on both sides: `auto` resolves per process and per CPU (int8 where bf16 is not native)
    served, local = response.json(), Matcher.load(calibrated_matcher_dir, config=InferenceConfig(precision="fp32").matcher_settings()).score(passages[0], passages[-1])
    assert served.keys() == local.keys()
    for key, value in local.items():  # another process: BLAS and sparse sums may differ in the last bits
        assert served[key] == (pytest.approx(value, abs=1e-9) if isinstance(value, float) else value), key
