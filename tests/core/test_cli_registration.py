"""Every command module is imported; a broken one fails the CLI loudly instead of silently dropping its commands."""

from __future__ import annotations

import subprocess
import sys

from writing7.cli import COMMAND_MODULES, app


def test_every_command_module_registers_its_commands():
    names = {command.name or command.callback.__name__.replace("_", "-") for command in app.registered_commands}
    assert {"standardize", "prepare", "train", "calibrate", "evaluate", "score", "serve", "pipeline"} <= names
    assert "ingest" in {group.name for group in app.registered_groups}
    assert len(COMMAND_MODULES) == 12


def test_a_missing_command_module_fails_loudly(tmp_path):
    """A command module that cannot be imported -- even when it is the module itself that is missing (a broken install;
    once skipped in silence "so that stages can land one at a time") -- stops `writing7` with the traceback."""
    broken = tmp_path / "sitecustomize.py"
    broken.write_text(
        "import sys, importlib.abc\n"
        "class Broken(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'writing7.cli.serve_command':\n"
        "            raise ModuleNotFoundError(\"No module named 'writing7.cli.serve_command'\", name=name)\n"
        "sys.meta_path.insert(0, Broken())\n"
    )
    environment = {"PYTHONPATH": f"{tmp_path}:{':'.join(sys.path)}", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "writing7", "--help"], capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode != 0
    assert "No module named 'writing7.cli.serve_command'" in result.stderr and "Traceback" in result.stderr


def test_help_shows_the_toml_table_each_config_option_reads():
    """Help texts name TOML tables in brackets; rich markup once swallowed "[calibrate]" as a style tag."""
    from typer.testing import CliRunner

    runner = CliRunner()
    for command, table in (("calibrate", "[calibrate]"), ("prepare", "[prepare]"), ("evaluate", "[evaluate]"), ("train", "[train]")):
        result = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0 and table in result.output, (command, result.output)
    result = runner.invoke(app, ["ingest", "gutenberg", "--help"], terminal_width=200)
    assert "[ingest]" in result.output
