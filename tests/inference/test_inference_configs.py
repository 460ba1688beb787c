import pytest

from writing7.config import ConfigError
from writing7.config.inference import InferenceConfig
from writing7.config.serve import ServeConfig


@pytest.mark.parametrize(("values", "message"), [
    ({"batch_size": 0}, r"inference\.batch_size = 0: must be > 0; set batch_size to a positive number"),
    ({"max_chunks_per_document": -1}, r"inference\.max_chunks_per_document = -1: must be >= 0"),
    ({"block_pairs": 0}, r"inference\.block_pairs = 0: must be > 0"),
])
def test_inference_config_validation(values, message):
    with pytest.raises(ConfigError, match=message):
        InferenceConfig(**values)


@pytest.mark.parametrize(("values", "message"), [
    ({"port": 70000}, r"serve\.port = 70000: is not a TCP port; use a number between 1 and 65535"),
    ({"max_batch_size": 0}, r"serve\.max_batch_size = 0: must be > 0"),
    ({"max_wait_ms": -1.0}, r"serve\.max_wait_ms = -1\.0: must be >= 0"),
    ({"max_text_characters": 0}, r"serve\.max_text_characters = 0: must be > 0"),
])
def test_serve_config_validation(values, message):
    with pytest.raises(ConfigError, match=message):
        ServeConfig(**values)


def test_serve_settings_come_from_the_serve_table(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[serve]\nport = 9001\nbatching = false\n[inference]\nbatch_size = 8\n")
    assert (ServeConfig.load(config_file).port, ServeConfig.load(config_file).batching) == (9001, False)
    assert ServeConfig.load(config_file, port=9002).port == 9002
    assert InferenceConfig.load(config_file).batch_size == 8
