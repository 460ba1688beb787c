import sys

import pytest
from typer.testing import CliRunner

from writing7.cli import app
from writing7.config import ConfigError
from writing7.config.prepare import PrepareConfig
from writing7.prepare.ray_runtime import import_ray, ray_session
from writing7.prepare.sharding import use_sharding

runner = CliRunner()


def test_sharding_is_off_by_default():
    config = PrepareConfig()
    assert not config.force_sharded and not config.auto_shard and config.ray_address == ""
    assert not use_sharding(config, 1_000_000)


def test_force_and_auto_switch_on_file_count():
    assert use_sharding(PrepareConfig(force_sharded=True), 1)
    auto = PrepareConfig(auto_shard=True, sharded_switch_threshold=20)
    assert not use_sharding(auto, 19) and use_sharding(auto, 20)


def test_pipeline_override_and_toml_table(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text('[prepare]\nauto_shard = true\nray_address = "ray://head:10001"\nshard_wait_timeout_s = 5.5\n')
    config = PrepareConfig.load(config_file, force_sharded=True, shard_max_retries=0)
    assert config.force_sharded and config.auto_shard and config.ray_address == "ray://head:10001"
    assert (config.shard_wait_timeout_s, config.shard_max_retries) == (5.5, 0)


@pytest.mark.parametrize("address", ["auto", "10.0.0.5:6379", "head-node:6379", "ray://head:10001", "ray://head"])
def test_ray_addresses_accepted(address):
    assert PrepareConfig(force_sharded=True, ray_address=address).ray_address == address


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sharded_switch_threshold": 0}, r"prepare\.sharded_switch_threshold = 0: must be > 0"),
        ({"books_per_shard": 0}, r"prepare\.books_per_shard = 0: must be > 0; set books_per_shard to a positive number"),
        ({"shard_wait_timeout_s": 0.0}, r"prepare\.shard_wait_timeout_s = 0\.0: must be > 0"),
        ({"shard_max_retries": -1}, r"prepare\.shard_max_retries = -1: must be >= 0; set shard_max_retries to 0 or more"),
        (
            {"ray_address": "head:6379"},
            r"prepare\.ray_address = 'head:6379': is set but sharding is off; add --force-sharded \(or --auto-shard\)",
        ),
        (
            {"ray_address": "http://head:8265", "force_sharded": True},
            r"prepare\.ray_address = 'http://head:8265': is not a Ray address; use host:port of the head \(port 6379\), ray://host:10001 or auto",
        ),
        ({"ray_address": "head", "auto_shard": True}, r"prepare\.ray_address = 'head': is not a Ray address"),
    ],
)
def test_validation_names_field_and_fix(values, message):
    with pytest.raises(ConfigError, match=message):
        PrepareConfig(**values)


def test_missing_ray_gives_the_install_hint(monkeypatch, fixture_corpus_source, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError, as without the extra
    with pytest.raises(RuntimeError, match=r"needs Ray, which is not installed: pip install 'writing7\[ray\]'"):
        import_ray()
    result = runner.invoke(app, [
        "prepare", "--corpus", str(fixture_corpus_source), "--artifacts", str(tmp_path), "--force-sharded", "--workers", "2",
    ])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == "error: the sharded prepare needs Ray, which is not installed: pip install 'writing7[ray]'"
    assert not (tmp_path / "data" / "processed").exists() and not (tmp_path / "tmp" / "prepare_shards").exists()


def test_cli_options_reach_the_config(fixture_corpus_source, tmp_path):
    result = runner.invoke(app, [
        "prepare", "--corpus", str(fixture_corpus_source), "--artifacts", str(tmp_path),
        "--auto-shard", "--sharded-switch-threshold", "5", "--ray-address", "ray:/x", "--shard-wait-timeout-s", "3",
    ])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: prepare.ray_address = 'ray:/x': is not a Ray address")


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1"])
def test_an_unreachable_cluster_fails_fast_naming_the_address(address):
    pytest.importorskip("ray")
    with pytest.raises(RuntimeError, match=rf"cannot reach the Ray cluster at {address} \(.*\): check that `ray start --head` runs there"):
        with ray_session(address=address):
            pass
