"""HTTP edge cases through a real uvicorn process started by `writing7 serve` (what TestClient cannot show).

One server for the module, started with a small body limit and a 1-second body timeout from a
``--config`` file. The SIGTERM test stops it, so it comes last.
"""

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

STARTUP_SECONDS = 120  # importing torch + transformers and loading the model on a busy 2-core machine
BODY_TIMEOUT_S = 1.0
MAX_BODY_BYTES = 5_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServeProcess:
    """`writing7 serve` in a subprocess; its output lines are collected by a thread (a pipe read must not block a test)."""

    def __init__(self, arguments: list[str]) -> None:
        environment = {key: value for key, value in os.environ.items() if key != "WRITING7_API_KEY"}
        self.process = subprocess.Popen([sys.executable, "-m", "writing7", "--quiet", "serve", *arguments],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**environment, "OMP_NUM_THREADS": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for_line(self, start: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            if line.startswith(start):
                return line
        raise AssertionError(f"no line starting {start!r} (exit code {self.process.poll()}):\n{''.join(self.output)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)


@pytest.fixture(scope="module")
def server(calibrated_matcher_dir, tmp_path_factory):
    config = tmp_path_factory.mktemp("serve") / "serve.toml"
    config.write_text(f"[serve]\nmax_body_bytes = {MAX_BODY_BYTES}\nbody_timeout_s = {BODY_TIMEOUT_S}\n", encoding="utf-8")
    port = free_port()
    served = ServeProcess(["--model", str(calibrated_matcher_dir), "--port", str(port), "--config", str(config)])
    served.port, served.url = port, f"http://127.0.0.1:{port}"
    try:
        served.announcement = served.wait_for_line("serving ", STARTUP_SECONDS)
        served.accepting_when_announced = accepts_connections(port)  # checked the moment the line appears
        wait_until_healthy(served)
        yield served
    finally:
        served.stop()


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def wait_until_healthy(served: ServeProcess) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and served.process.poll() is None:
        try:
            if httpx.get(f"{served.url}/healthz", timeout=2).json().get("model_loaded"):
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"`writing7 serve` did not become healthy:\n{''.join(served.output)}")


def test_serving_on_is_printed_only_once_the_port_accepts_connections(server):
    """The line used to come before the model was even loaded: a client that believed it was refused."""
    assert f"on http://127.0.0.1:{server.port}" in server.announcement
    assert server.accepting_when_announced
    assert httpx.get(f"{server.url}/healthz", timeout=5).json()["model_loaded"] is True


def test_a_streamed_oversized_body_is_a_413_in_the_error_shape(server):
    def body():  # no Content-Length: httpx sends it chunked, so the limit can only be counted while reading
        yield b'{"text1": "'
        for _ in range(12):
            yield b"a" * 1_000
        yield b'", "text2": "b"}'

    response = httpx.post(f"{server.url}/v1/score", content=body(), headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "body_too_large"


def send_stalled_request(port: int) -> socket.socket:
    """Headers declaring a 100-byte body, then 10 bytes of it, then silence."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(b"POST /v1/score HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                   b'{"text1": ')
    return client


def read_response(client: socket.socket) -> tuple[int, dict]:
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_stalled_body_is_a_408_after_the_body_timeout(server):
    started = time.monotonic()
    with send_stalled_request(server.port) as client:
        status, body = read_response(client)
    elapsed = time.monotonic() - started
    assert status == 408 and body["error"]["type"] == "body_timeout"
    assert "body_timeout_s" in body["error"]["message"]
    assert BODY_TIMEOUT_S <= elapsed < BODY_TIMEOUT_S + 5


def test_sigterm_drains_the_request_in_flight_and_exits_0(server):
    """Runs last: it stops the module's server. The stalled request still gets its answer before the exit."""
    with send_stalled_request(server.port) as client:
        time.sleep(0.2)  # the request is in flight
        server.process.send_signal(signal.SIGTERM)
        status, _ = read_response(client)
    assert status == 408
    assert server.process.wait(timeout=30) == 0, "".join(server.output)
    assert "Traceback" not in "".join(server.output)
