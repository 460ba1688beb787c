"""`writing7 serve` refuses to start with one line when it cannot: checked in-process, nothing ever listens."""

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
