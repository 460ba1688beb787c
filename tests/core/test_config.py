import dataclasses

import pytest
from typer.testing import CliRunner

from writing7.cli import app
from writing7.config import ConfigError, StageConfig, option


@dataclasses.dataclass
class ExampleConfig(StageConfig):
    section = "example"
    steps: int = option(10, "Number of steps.")
    ratio: float = option(0.5, "A fraction.")
    mode: str = option("fast", "fast or slow.")

    def validate(self) -> None:
        self.require_positive("steps")
        self.require_fraction("ratio")
        self.require_choice("mode", ("fast", "slow"))


def test_defaults_then_file_then_overrides(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[example]\nsteps = 20\nmode = 'slow'\n[other]\nx = 1\n")
    config = ExampleConfig.load(config_file, steps=30, ratio=None)
    assert (config.steps, config.ratio, config.mode) == (30, 0.5, "slow")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"steps": 0}, r"example\.steps = 0: must be > 0; set steps to a positive number"),
        ({"ratio": 1.5}, r"example\.ratio = 1\.5: must be a fraction in \[0, 1\]"),
        ({"mode": "warp"}, r"example\.mode = 'warp': is not a known choice; use one of: fast, slow"),
    ],
)
def test_validation_names_field_and_fix(values, message):
    with pytest.raises(ConfigError, match=message):
        ExampleConfig.load(None, **values)


def test_unknown_field_in_file_is_named(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[example]\nstep = 3\n")
    with pytest.raises(ConfigError, match=r"unknown field\(s\) step in \[example\]; known fields: steps, ratio, mode"):
        ExampleConfig.load(config_file)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ratio = 'x'", r'w7\.toml: \[example\] ratio = "x" must be a number, like the default 0\.5'),
        ("steps = true", r"\[example\] steps = true must be a whole number, like the default 10"),
        ("steps = 2.5", r"\[example\] steps = 2\.5 must be a whole number"),
        ("mode = 3", r'\[example\] mode = 3 must be a string in quotes, like the default "fast"'),
    ],
)
def test_a_value_of_the_wrong_type_is_named_with_its_expected_kind(tmp_path, line, message):
    config_file = tmp_path / "w7.toml"
    config_file.write_text(f"[example]\n{line}\n")
    with pytest.raises(ConfigError, match=message):
        ExampleConfig.load(config_file)


def test_a_whole_number_is_taken_for_a_float_field(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[example]\nratio = 1\n")
    ratio = ExampleConfig.load(config_file).ratio
    assert ratio == 1.0 and isinstance(ratio, float)


def test_malformed_toml_names_the_file(tmp_path):
    config_file = tmp_path / "broken.toml"
    config_file.write_text("[example\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        ExampleConfig.load(config_file)


def test_missing_config_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config file .* not found: check the --config path"):
        ExampleConfig.load(tmp_path / "absent.toml")


def test_help_text_travels_with_each_field():
    help_texts = {f.name: f.metadata["help"] for f in dataclasses.fields(ExampleConfig)}
    assert help_texts["steps"] == "Number of steps."


@pytest.mark.parametrize(("native", "amx", "expected"), [
    ("1", True, "cpu-default"), ("1", False, "cpu-fast"), ("0", True, "cpu-fast"), ("0", False, "cpu-fast")])
def test_the_cpu_preset_wants_native_bf16_on_amx(monkeypatch, request, restore_logging, native, amx, expected):
    """`writing7 config preset` (what `make run` reads): the default where bf16 runs on AMX, the fast preset elsewhere
    (AVX512-BF16 without AMX included); the preset it names is a file in configs/."""
    monkeypatch.setenv("WRITING7_CPU_NATIVE_BF16", native)
    monkeypatch.setattr("writing7.models.runtime.cpu_has_amx", lambda: amx)
    result = CliRunner().invoke(app, ["config", "preset"])
    assert result.exit_code == 0 and result.stdout.strip() == expected
    assert (request.config.rootpath / "configs" / f"{expected}.toml").is_file()


def test_a_bad_native_bf16_override_is_one_line(monkeypatch, restore_logging):
    monkeypatch.setenv("WRITING7_CPU_NATIVE_BF16", "yes")
    result = CliRunner().invoke(app, ["config", "preset"])
    assert result.exit_code == 2 and "use 0" in result.output and "Traceback" not in result.output
