"""Config machinery shared by every stage: dataclasses with help text, TOML loading, CLI overrides.

Each stage owns one dataclass (see the sibling modules). A TOML file may hold a table per stage,
named by the dataclass's ``section`` (``[prepare]``, ``[train]``, ...); CLI options that were given
explicitly override the file. Validation runs in ``__post_init__`` and raises :class:`ConfigError`
whose message names the field and the fix.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any, ClassVar, TypeVar

T = TypeVar("T", bound="StageConfig")


class ConfigError(ValueError):
    """A config value is invalid; the message names ``section.field`` and how to fix it."""


def option(default: Any, help: str, **kwargs: Any) -> Any:
    """A dataclass field with a default and a help text (shown by ``writing7 config show``)."""
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"help": help}, **kwargs)
    return dataclasses.field(default=default, metadata={"help": help}, **kwargs)


@dataclasses.dataclass
class StageConfig:
    """Base class: subclasses set ``section`` and implement :meth:`validate`."""

    section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` for an invalid field. Subclasses override."""

    # -- validation helpers -------------------------------------------------------------
    def fail(self, field_name: str, problem: str, fix: str) -> None:
        value = getattr(self, field_name, None)
        raise ConfigError(f"{self.section}.{field_name} = {value!r}: {problem}; {fix}")

    def require_positive(self, *field_names: str) -> None:
        for name in field_names:
            if getattr(self, name) <= 0:
                self.fail(name, "must be > 0", f"set {name} to a positive number")

    def require_non_negative(self, *field_names: str) -> None:
        for name in field_names:
            if getattr(self, name) < 0:
                self.fail(name, "must be >= 0", f"set {name} to 0 or more")

    def require_choice(self, field_name: str, choices: tuple[str, ...]) -> None:
        if getattr(self, field_name) not in choices:
            self.fail(field_name, "is not a known choice", f"use one of: {', '.join(choices)}")

    def require_fraction(self, field_name: str, *, inclusive_zero: bool = True) -> None:
        value = getattr(self, field_name)
        low_ok = value >= 0 if inclusive_zero else value > 0
        if not (low_ok and value <= 1):
            self.fail(field_name, "must be a fraction in [0, 1]", f"set {field_name} between 0 and 1")

    # -- construction ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {key: (str(value) if isinstance(value, Path) else value) for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls: type[T], values: dict[str, Any], *, source: str = "config") -> T:
        unknown = sorted(set(values) - set(cls.field_names()))
        if unknown:
            raise ConfigError(
                f"{source}: unknown field(s) {', '.join(unknown)} in [{cls.section}]; "
                f"known fields: {', '.join(cls.field_names())}"
            )
        values = {field.name: _checked_value(cls, field, values[field.name], source) for field in dataclasses.fields(cls) if field.name in values}
        try:
            return cls(**values)
        except TypeError as error:  # a wrong type that the dataclass could not take
            raise ConfigError(f"{source}: [{cls.section}] {error}") from error

    @classmethod
    def load(cls: type[T], config_file: Path | None = None, **overrides: Any) -> T:
        """Defaults, then the ``[section]`` table of ``config_file``, then non-None ``overrides``."""
        values: dict[str, Any] = {}
        if config_file is not None:
            values.update(read_toml(config_file).get(cls.section, {}))
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls.from_mapping(values, source=str(config_file) if config_file else "options")


_KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string in quotes"}


def _checked_value(cls: type[StageConfig], field: dataclasses.Field, value: Any, source: str) -> Any:
    """``value`` when it has the type of the field's default (an int is taken for a float), else a ConfigError."""
    expected = type(field.default)
    if expected not in _KINDS:  # lists, paths, None defaults: the stage's validate() checks them
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"{source}: [{cls.section}] {field.name} = {_toml(value)} must be {_KINDS[expected]}, like the default {_toml(field.default)}")


def _toml(value: Any) -> str:
    """How a scalar is spelled in TOML (true, 0.15, "text")."""
    return str(value).lower() if isinstance(value, bool) else json.dumps(value) if isinstance(value, str) else repr(value)


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML config file; a missing or malformed file raises with its path and the fix."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} not found: check the --config path")
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}); fix the syntax at that line") from error
