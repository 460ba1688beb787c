"""`writing7 config`: show every stage's settings (defaults, a file's values, help) as TOML."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

import typer

import writing7.config as config_package
from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.config import StageConfig

config_app = typer.Typer(help="Inspect stage configuration (one TOML file can hold every stage's table).", no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(config_app, name="config")


def stage_configs() -> list[type[StageConfig]]:
    """Every StageConfig subclass defined under writing7.config, in section order."""
    for module in pkgutil.iter_modules(config_package.__path__):
        importlib.import_module(f"writing7.config.{module.name}")
    found = {cls.section: cls for cls in _all_subclasses(StageConfig) if cls.section}
    return [found[name] for name in sorted(found)]


def _all_subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_all_subclasses(direct))]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if value is None:
        return '""  # unset'
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_toml(config: StageConfig) -> str:
    lines = [f"[{config.section}]"]
    for field in dataclasses.fields(config):
        help_text = field.metadata.get("help", "")
        if help_text:
            lines.append(f"# {help_text}")
        lines.append(f"{field.name} = {_toml_value(getattr(config, field.name))}")
    return "\n".join(lines) + "\n"


@config_app.command("show")
@user_errors
def show(
    config_file: Path = typer.Option(None, "--config", help="TOML file whose values override the defaults."),
    section: str = typer.Option(None, "--section", help="Only this stage's table (e.g. prepare)."),
) -> None:
    """Print the resolved configuration of every stage as TOML, with each field's help text."""
    classes = stage_configs()
    if section is not None and section not in {cls.section for cls in classes}:
        raise ValueError(f"--section {section!r} is not a stage; use one of: {', '.join(cls.section for cls in classes)}")
    for cls in classes:
        if section is None or cls.section == section:
            typer.echo(render_toml(cls.load(config_file)))


@config_app.command("preset")
@user_errors
def preset() -> None:
    """Print the CPU preset (a file name in the project's `configs/`, without `.toml`) for this machine: `cpu-default` where
    the CPU trains in bf16 on AMX tiles, `cpu-fast` elsewhere: in float32 (AVX2) training runs 2-3x slower, and with
    AVX512-BF16 but no AMX bf16 trains at under half AMX's rate (AMD Zen 4) or slower than float32 (an Intel Xeon whose
    hypervisor hides AMX) (`$WRITING7_CPU_NATIVE_BF16=0` makes any CPU act as one without native bf16, as for
    `precision = "auto"`). `make run` uses it."""
    import torch

    from writing7.models.runtime import cpu_has_amx, native_bf16

    typer.echo("cpu-default" if native_bf16(torch.device("cpu")) and cpu_has_amx() else "cpu-fast")
