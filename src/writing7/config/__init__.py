"""One config dataclass per stage; one TOML file can hold them all (a ``[section]`` per stage)."""

from writing7.config.base import ConfigError, StageConfig, option, read_toml

__all__ = ["ConfigError", "StageConfig", "option", "read_toml"]
