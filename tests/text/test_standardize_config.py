import pytest

from writing7.config.base import ConfigError
from writing7.config.standardize import StandardizeConfig


def test_defaults_are_valid_and_overrides_apply(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[standardize]\nmin_kept_fraction = 0.6\nworkers = 3\n")
    cfg = StandardizeConfig.load(config_file, workers=1, min_book_chars=None)
    assert (cfg.min_kept_fraction, cfg.workers, cfg.min_book_chars) == (0.6, 1, StandardizeConfig().min_book_chars)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_kept_fraction": 0.0}, r"standardize\.min_kept_fraction = 0\.0: must be in \(0, 1\]; set it to a fraction"),
        ({"min_kept_fraction": 1.5}, r"standardize\.min_kept_fraction = 1\.5: must be in \(0, 1\]"),
        ({"min_book_chars": 0}, r"standardize\.min_book_chars = 0: must be > 0; set min_book_chars to a positive number"),
        ({"workers": -1}, r"standardize\.workers = -1: must be >= 0; set workers to 0 or more"),
        ({"workers": 65}, r"standardize\.workers = 65: must be <= 64; use 0 for one worker per CPU core"),
        ({"chunk_size": 3}, r"unknown field\(s\) chunk_size in \[standardize\]"),
    ],
)
def test_each_validation_message(values, message):
    with pytest.raises(ConfigError, match=message):
        StandardizeConfig.from_mapping(values)
