"""`writing7 serve` refuses to start with one line when it cannot: checked in-process, nothing ever listens."""

import os
import shutil
import socket

from typer.testing import CliRunner

from writing7.cli import app


def test_a_port_in_use_is_one_error_line(calibrated_matcher_dir):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = CliRunner().invoke(app, ["--quiet", "serve", "--model", str(calibrated_matcher_dir), "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): pass another --port or --host, or stop what is using it"]
    assert "serving" not in result.stdout


def test_serve_takes_the_uncalibrated_mode_from_the_inference_config(tmp_path, calibrated_matcher_dir):
    """``[inference] uncalibrated = true`` lets serve start a model without calibration (it reached the port, not the refusal)."""
    bare = shutil.copytree(calibrated_matcher_dir, tmp_path / "final", ignore=shutil.ignore_patterns("*calibration*.json", "verdict.json"))
    config = tmp_path / "w7.toml"
    config.write_text("[inference]\nuncalibrated = true\n")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = CliRunner().invoke(app, ["--quiet", "serve", "--model", str(bare), "--port", str(port), "--config", str(config)])
        refused = CliRunner().invoke(app, ["--quiet", "serve", "--model", str(bare), "--port", str(port)])
    assert result.exit_code == 2 and "cannot listen" in result.stderr and "no calibration" not in result.stderr, result.output
    assert refused.exit_code == 2 and "no calibration" in refused.stderr


def test_serve_lets_waiting_threads_sleep_unless_the_user_chose_otherwise(tmp_path, monkeypatch):
    """OMP_WAIT_POLICY is PASSIVE for the server's PyTorch and ONNX Runtime threads; a value the user set is kept."""
    monkeypatch.setenv("OMP_WAIT_POLICY", "")  # recorded, so that the value serve sets does not outlive the test
    for preset, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        if preset is None:
            monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
        else:
            monkeypatch.setenv("OMP_WAIT_POLICY", preset)
        result = CliRunner().invoke(app, ["--quiet", "serve", "--model", str(tmp_path / "missing")])
        assert result.exit_code == 2 and "model" in result.stderr, result.output
        assert os.environ["OMP_WAIT_POLICY"] == expected
