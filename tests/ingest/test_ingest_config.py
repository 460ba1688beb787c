"""IngestConfig: each invalid value fails with the field, the problem and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from writing7.config.base import ConfigError
from writing7.config.ingest import IngestConfig


def test_defaults_are_valid_and_polite() -> None:
    config = IngestConfig()
    assert config.mirror == "https://www.gutenberg.org"
    assert config.layouts == ["cache-epub", "files", "ebooks", "mirror-utf8", "mirror-8bit", "mirror-ascii"]
    assert config.delay_seconds > 0 and config.concurrency <= 8


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mirror": "ftp://mirror.example"}, r"ingest.mirror = 'ftp://mirror.example': is not an http\(s\) URL; give a base URL"),
        ({"mirror": "www.gutenberg.org"}, r"ingest.mirror .* is not an http\(s\) URL"),
        ({"mirror": "https://m.example/?q=1"}, r"ingest.mirror .* has a query or fragment; give the bare base URL"),
        ({"layouts": []}, r"ingest.layouts = \[\]: is empty; list one or more of: cache-epub"),
        ({"layouts": ["cache-epub", "zip"]}, r"ingest.layouts .* has unknown layout\(s\) zip; use names from"),
        ({"layouts": ["files", "files"]}, r"ingest.layouts .* lists a layout twice"),
        ({"concurrency": 0}, r"ingest.concurrency = 0: must be > 0"),
        ({"concurrency": 1000}, r"ingest.concurrency = 1000: must be <= 256; fetch with fewer"),
        ({"timeout_seconds": 0}, r"ingest.timeout_seconds = 0: must be > 0"),
        ({"retries": -1}, r"ingest.retries = -1: must be >= 0"),
        ({"retries": 50}, r"ingest.retries = 50: must be <= 20"),
        ({"delay_seconds": -0.5}, r"ingest.delay_seconds = -0.5: must be >= 0"),
        ({"timeout_seconds": 60, "id_timeout_seconds": 10}, r"ingest.id_timeout_seconds = 10: is shorter than timeout_seconds"),
        ({"backoff_seconds": 5, "backoff_max_seconds": 1}, r"ingest.backoff_max_seconds = 1: is shorter than backoff_seconds"),
        ({"max_book_bytes": 0}, r"ingest.max_book_bytes = 0: must be > 0"),
        ({"user_agent": " "}, r"ingest.user_agent = ' ': is empty; name your client"),
    ],
)
def test_invalid_values(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        IngestConfig(**overrides)


def test_toml_table_then_cli_overrides(tmp_path: Path) -> None:
    config_file = tmp_path / "writing7.toml"
    config_file.write_text('[ingest]\nmirror = "http://mirror.example/gutenberg"\nconcurrency = 2\nlayouts = ["mirror-utf8"]\n')
    config = IngestConfig.load(config_file, concurrency=3, delay_seconds=None)
    assert (config.mirror, config.concurrency, config.layouts, config.delay_seconds) == (
        "http://mirror.example/gutenberg", 3, ["mirror-utf8"], 0.5,
    )


def test_unknown_toml_field(tmp_path: Path) -> None:
    config_file = tmp_path / "writing7.toml"
    config_file.write_text("[ingest]\nthreads = 4\n")
    with pytest.raises(ConfigError, match=r"unknown field\(s\) threads in \[ingest\]"):
        IngestConfig.load(config_file)
