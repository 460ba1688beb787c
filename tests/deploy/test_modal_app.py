"""The Modal app's entry points, run in this process on the fixture corpus, write what the CLI writes.

No Modal account and no network: outside a running app the entry points call each other in this
process (``fn.local(...)``), the sharded prepare's containers are local processes, and the mount
points ``/input``, ``/training`` and ``/vol`` lead to temporary folders (``WRITING7_MODAL_*``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from datasets import load_from_disk
from typer.testing import CliRunner

modal = pytest.importorskip("modal")
# Modal warns that a function run with .local() does not see its volumes: here they are redirected folders.
pytestmark = pytest.mark.filterwarnings("ignore:The .* function is executing locally:UserWarning")

from tiny_pipeline_config import tiny_config  # noqa: E402
from writing7.cli import app as cli_app  # noqa: E402
from writing7.config.prepare import PrepareConfig  # noqa: E402
from writing7.deploy import modal_app  # noqa: E402
from writing7.deploy.volumes import ROOT_VARIABLES, container_path  # noqa: E402
from writing7.prepare.sharding import start_shards  # noqa: E402
from writing7.stages import prepare  # noqa: E402

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRAINING_DIR = "/input/training"
FUNCTIONS = (
    "standardize_remote", "gutenberg_fetch_all_http", "prepare_remote", "prepare_remote_gpu", "prepare_sharded", "prepare_chunk_shard_remote",
    "prepare_merge_shards_remote_gpu", "train_remote_gpu", "train_contrastive_remote_gpu", "calibrate_contrastive_remote_gpu",
    "evaluate_contrastive_remote_gpu", "bench_style_remote", "wipe_artifacts_remote",
)
ENTRYPOINTS = ("pipeline_contrastive", "wipe_artifacts")


@contextlib.contextmanager
def mounted(input_root: Path, artifacts_root: Path) -> Iterator[None]:
    """``/input`` and ``/training`` (one volume) at ``input_root``, ``/vol`` at ``artifacts_root``, for the block."""
    with pytest.MonkeyPatch.context() as patch:
        for mount, variable in ROOT_VARIABLES.items():
            patch.setenv(variable, str(artifacts_root if mount == "/vol" else input_root))
        yield


def invoke(*arguments: object) -> None:
    result = runner.invoke(cli_app, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output


def files_under(root: Path, *folders: str) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for folder in folders for path in (root / folder).rglob("*") if path.is_file())


def manifest(root: Path) -> dict:
    return json.loads((root / "data" / "processed" / "manifest.json").read_text())


def assert_same_dataset(modal_root: Path, cli_root: Path) -> None:
    produced, expected = load_from_disk(str(modal_root / "data" / "processed")), load_from_disk(str(cli_root / "data" / "processed"))
    assert list(produced) == list(expected) == ["train", "validation", "test"]
    for split in expected:
        assert produced[split].to_list() == expected[split].to_list()
    assert manifest(modal_root)["outputs"] == manifest(cli_root)["outputs"]
    assert manifest(modal_root)["inputs"] == manifest(cli_root)["inputs"]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory, tiny_bert, tiny_sentence_transformer) -> Path:
    folder = tmp_path_factory.mktemp("modal-config")
    return tiny_config(folder / "tiny.toml", tiny_bert=tiny_bert, tiny_sentence_transformer=tiny_sentence_transformer)


@pytest.fixture(scope="module")
def cli_prepared(tmp_path_factory, config_file, fixture_corpus_source) -> Path:
    """``writing7 prepare`` on the fixture corpus with the tiny settings (read-only for the tests)."""
    root = tmp_path_factory.mktemp("cli") / "artifacts"
    invoke("prepare", "--corpus", fixture_corpus_source, "--artifacts", root, "--config", config_file)
    return root


@pytest.fixture()
def volumes(tmp_path, fixture_corpus_source) -> Iterator[tuple[Path, Path]]:
    """Empty ``/vol``, and the fixture corpus at ``/input/training``; yields their folders."""
    input_root, artifacts_root = tmp_path / "input", tmp_path / "vol"
    shutil.copytree(fixture_corpus_source, input_root / "training")
    artifacts_root.mkdir()
    with mounted(input_root, artifacts_root):
        yield input_root, artifacts_root


def test_modal_app_imports_offline_and_defines_every_entry_point(tmp_path):
    environment = {name: value for name, value in os.environ.items() if not name.startswith("MODAL_")}
    environment.update(HOME=str(tmp_path), PYTHONPATH=os.pathsep.join(sys.path))
    code = "import writing7.deploy.modal_app as m; print(m.app.name)"
    completed = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "writing7"
    assert not (tmp_path / ".modal.toml").exists()  # nothing was looked up or written for an account
    for name in FUNCTIONS:
        assert isinstance(getattr(modal_app, name), modal.Function), name
    assert len({id(getattr(modal_app, name)) for name in FUNCTIONS}) == len(FUNCTIONS)  # one body registered twice keeps both names
    for name in ENTRYPOINTS:
        assert callable(getattr(modal_app, name)) and not isinstance(getattr(modal_app, name), modal.Function), name


def test_modal_mount_points_are_redirected_only_when_asked(monkeypatch, tmp_path):
    for variable in ROOT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    assert container_path("/input/training") == Path("/input/training")
    monkeypatch.setenv("WRITING7_MODAL_VOL", str(tmp_path))
    assert container_path("/vol/data/processed") == tmp_path / "data" / "processed"
    assert container_path("/volume/x") == Path("/volume/x")  # a prefix of a name is not a mount point
    assert modal_app.artifacts_root() == tmp_path


def test_modal_prepare_remote_gives_the_cli_dataset(volumes, config_file, cli_prepared):
    _, artifacts_root = volumes
    result = modal_app.prepare_remote.local(training_dir=TRAINING_DIR, config_file=str(config_file))
    assert result["stage"] == "prepare"
    assert_same_dataset(artifacts_root, cli_prepared)
    assert manifest(artifacts_root)["config"] == manifest(cli_prepared)["config"]


def test_modal_prepare_sharded_gives_the_cli_dataset(volumes, config_file, cli_prepared):
    _, artifacts_root = volumes
    result = modal_app.prepare_sharded.local(
        training_dir=TRAINING_DIR, containers=2, per_container_workers=1, shard_wait_timeout_s=30.0, books_per_shard=4,
        config_file=str(config_file),
    )
    sharding = result["stats"]["sharding"]
    assert {key: sharding[key] for key in ("shards", "computed", "reused", "containers")} == {"shards": 5, "computed": 5, "reused": 0, "containers": 2}
    assert not (artifacts_root / "tmp" / "prepare_shards").exists()  # stage A's files go once the dataset is saved
    assert_same_dataset(artifacts_root, cli_prepared)


def test_modal_merge_without_shards_says_no_shard_files_found(volumes, config_file):
    _, artifacts_root = volumes
    cfg = PrepareConfig.load(config_file, force_sharded=True, shard_wait_timeout_s=0.3)
    merge = modal_app.prepare_merge_shards_remote_gpu.local
    inputs = prepare.read_inputs(cfg, corpus=container_path(TRAINING_DIR), artifacts=artifacts_root)
    arguments = {"training_dir": TRAINING_DIR, "cfg_values": cfg.to_dict(), "input_hashes": inputs.hashes, "sharding": {}}
    with pytest.raises(FileNotFoundError, match=r"No shard files found: .*shards_manifest\.json is missing"):
        merge(**arguments)
    start_shards(inputs.books, cfg, directory=inputs.layout.shards, corpus_hash=inputs.hashes["corpus"])  # planned, none written
    with pytest.raises(FileNotFoundError, match=r"No shard files found for 5 of 5 shards .* after 0\.3 s"):
        merge(**arguments)
    with pytest.raises(ValueError, match="was written for other books or stage-A settings"):
        merge(**{**arguments, "input_hashes": {**inputs.hashes, "corpus": "0" * 64}})
    assert not (artifacts_root / "data" / "processed").exists()


def test_modal_wipe_refuses_an_unmarked_volume(volumes):
    _, artifacts_root = volumes
    precious = artifacts_root / "data" / "processed" / "thesis.tex"
    precious.parent.mkdir(parents=True)
    precious.write_text("not Writing7's")
    with pytest.raises(ValueError, match="is not a Writing7 artifacts directory"):
        modal_app.wipe_artifacts_remote.local(what="all")
    with pytest.raises(ValueError, match="is not a Writing7 artifacts directory"):
        modal_app.wipe_artifacts(what="all", yes=True)
    assert precious.read_text() == "not Writing7's"


def test_modal_wipe_asks_like_clean_and_deletes_only_what_writing7_wrote(volumes, cli_prepared, monkeypatch):
    _, artifacts_root = volumes
    shutil.rmtree(artifacts_root)
    shutil.copytree(cli_prepared, artifacts_root)
    notes = artifacts_root / "data" / "notes.txt"
    notes.write_text("mine")
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal
    with pytest.raises(ValueError, match="not a terminal and --yes not given"):
        modal_app.wipe_artifacts(what="data")
    assert (artifacts_root / "data" / "processed" / "manifest.json").is_file()
    with pytest.raises(ValueError, match="changed since the wipe plan was shown"):
        modal_app.wipe_artifacts_remote.local(what="data", confirmed=[str(notes)])
    modal_app.wipe_artifacts(what="data", yes=True)
    assert not (artifacts_root / "data" / "processed").exists()
    assert notes.read_text() == "mine" and (artifacts_root / ".writing7-artifacts").is_file()


def fixture_books_by_id(*book_ids: int) -> dict[int, bytes]:
    """The fixture excerpts of ``book_ids`` (their real Gutenberg ids, from the fixture catalog), as a mirror serves them."""
    with (FIXTURES / "ingest" / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        paths = {int(row["gutenberg_id"]): f"{row['author_slug']}/{row['title_slug']}.txt" for row in csv.DictReader(handle)}
    return {book_id: (FIXTURES / "corpus" / paths[book_id]).read_bytes() for book_id in book_ids}


def books_under(corpus: Path) -> dict[str, bytes]:
    return {path.relative_to(corpus).as_posix(): path.read_bytes() for path in sorted(corpus.rglob("*.txt"))}


def test_modal_gutenberg_fetch_writes_what_cli_ingest_writes(volumes, tmp_path, config_file):
    from writing7.ingest.testing_server import MirrorServer

    input_root, _ = volumes
    with MirrorServer(fixture_books_by_id(5658, 2153)) as server:
        invoke("ingest", "gutenberg", "--ids", "5658,2153", "--corpus", tmp_path / "cli-corpus", "--mirror", server.url, "--config", config_file)
        result = modal_app.gutenberg_fetch_all_http.local(
            ids="5658,2153", corpus_dir="/training/fetched", mirror=server.url, id_concurrency=2, per_id_timeout_s=60.0,
            config_file=str(config_file),
        )
    assert result["counts"] == {"fetched": 2}
    fetched = books_under(input_root / "fetched")
    assert len(fetched) == 2 and fetched == books_under(tmp_path / "cli-corpus")


def test_modal_train_trains_the_missing_teacher_first(volumes, config_file, cli_prepared):
    _, artifacts_root = volumes
    shutil.rmtree(artifacts_root)
    shutil.copytree(cli_prepared, artifacts_root)
    result = modal_app.train_contrastive_remote_gpu.local(config_file=str(config_file), distill_from_cross=True, max_steps=2)
    assert result["stage"] == "train" and result["stats"]["steps"] == 2
    assert (artifacts_root / "models" / "book_matcher" / "final" / "writing7_teacher.json").is_file()
    model_info = json.loads((artifacts_root / "models" / "book_matcher_contrastive" / "final" / "writing7_model.json").read_text())
    assert "distill" in model_info["training"]["final_terms"]


@pytest.mark.slow
def test_modal_pipeline_contrastive_writes_the_cli_layout(volumes, config_file, cli_prepared, fixture_corpus_source, tmp_path):
    _, artifacts_root = volumes
    modal_app.pipeline_contrastive(training_dir=TRAINING_DIR, config_file=str(config_file))
    cli_root = tmp_path / "cli"
    shutil.copytree(cli_prepared, cli_root)  # prepared from the raw books: the same dataset as from their standardized copy
    clean = cli_root / "data" / "clean"
    invoke("standardize", fixture_corpus_source, "--out", clean, "--config", config_file)
    invoke("train", "--artifacts", cli_root, "--config", config_file)
    invoke("calibrate", "--corpus", clean, "--artifacts", cli_root, "--config", config_file)
    invoke("calibrate-attribution", "--corpus", clean, "--artifacts", cli_root, "--config", config_file)
    invoke("evaluate", "--corpus", clean, "--artifacts", cli_root, "--config", config_file)
    folders = ("data", "models", "reports")
    assert files_under(artifacts_root, *folders) == files_under(cli_root, *folders)
    assert "models/book_matcher_contrastive/final/verdict.json" in files_under(artifacts_root, "models")
    assert "models/book_matcher_contrastive/final/attribution.json" in files_under(artifacts_root, "models")
    assert json.loads((artifacts_root / "data" / "clean" / "manifest.json").read_text())["stage"] == "standardize"
    produced, expected = load_from_disk(str(artifacts_root / "data" / "processed")), load_from_disk(str(cli_root / "data" / "processed"))
    assert all(produced[split].to_list() == expected[split].to_list() for split in expected)
    assert (artifacts_root / "reports" / "evaluation.md").is_file()
