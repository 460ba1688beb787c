"""`writing7 ui`: `serve` that opens the page in the browser once the socket listens (the browser is the only fake)."""

import webbrowser

from typer.testing import CliRunner

import writing7.serve.server as server_module
from writing7.cli import app


def test_ui_loads_the_service_then_opens_the_page_once_listening(calibrated_matcher_dir, monkeypatch):
    events = []
    monkeypatch.setattr(webbrowser, "open", lambda address: events.append(("open", address)) or True)

    def listen(application, *, host, port, log_level, on_listening):  # the real server would block here
        assert application.state.service.loaded  # everything loaded before listening
        events.append(("listen", host, port))
        on_listening()

    monkeypatch.setattr(server_module, "run_server", listen)
    result = CliRunner().invoke(app, ["ui", "--model", str(calibrated_matcher_dir), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert events == [("listen", "127.0.0.1", 8123), ("open", "http://127.0.0.1:8123/")]
    assert "page at http://127.0.0.1:8123/" in result.stdout


def test_serve_refuses_a_bad_candidates_folder_before_listening(calibrated_matcher_dir, tmp_path):
    result = CliRunner().invoke(app, ["serve", "--model", str(calibrated_matcher_dir), "--candidates", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "nowhere not found" in result.output
