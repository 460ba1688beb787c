import json

import pytest

from writing7.artifacts import (
    ArtifactLayout,
    Manifest,
    MissingInputError,
    atomic_directory,
    atomic_write_json,
    finish,
    hash_tree,
    is_current,
    require_input,
)


def test_layout_matches_design_section_3(tmp_path):
    layout = ArtifactLayout(tmp_path)
    assert layout.processed == tmp_path / "data" / "processed"
    assert layout.shards == tmp_path / "tmp" / "prepare_shards"
    assert layout.teacher == tmp_path / "models" / "book_matcher" / "final"
    assert layout.bi_encoder == tmp_path / "models" / "book_matcher_contrastive" / "final"
    assert layout.reports == tmp_path / "reports"


def test_layout_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_ARTIFACTS", str(tmp_path / "elsewhere"))
    assert ArtifactLayout.from_env().root == tmp_path / "elsewhere"


def test_hash_covers_relative_paths_and_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("same bytes")
    before = hash_tree(tmp_path)
    (tmp_path / "a" / "x.txt").rename(tmp_path / "a" / "y.txt")
    renamed = hash_tree(tmp_path)
    (tmp_path / "a" / "y.txt").write_text("other bytes")
    assert len({before, renamed, hash_tree(tmp_path)}) == 3


def test_hash_ignores_the_manifest(tmp_path):
    (tmp_path / "data.txt").write_text("payload")
    before = hash_tree(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    assert hash_tree(tmp_path) == before


def test_atomic_directory_replaces_only_on_success(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as work:
        (work / "result.txt").write_text("first")
    with pytest.raises(RuntimeError), atomic_directory(target) as work:
        (work / "result.txt").write_text("half written")
        raise RuntimeError("crash mid-stage")
    assert (target / "result.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary siblings left


def test_atomic_write_json_leaves_no_temporary_file(tmp_path):
    atomic_write_json(tmp_path / "report.json", {"books": 3})
    assert json.loads((tmp_path / "report.json").read_text()) == {"books": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_manifest_makes_a_stage_current_until_something_changes(tmp_path):
    output = tmp_path / "processed"
    output.mkdir()
    (output / "rows.txt").write_text("rows")
    inputs = {"corpus": "abc"}
    finish(output, stage="prepare", config={"seed": 1}, inputs=inputs, stats={"rows": 1})
    assert is_current(output, stage="prepare", config={"seed": 1}, inputs=inputs)
    assert not is_current(output, stage="prepare", config={"seed": 2}, inputs=inputs)
    assert not is_current(output, stage="prepare", config={"seed": 1}, inputs={"corpus": "changed"})
    assert not is_current(output, stage="train", config={"seed": 1}, inputs=inputs)
    (output / "rows.txt").write_text("tampered")
    assert not is_current(output, stage="prepare", config={"seed": 1}, inputs=inputs)


def test_manifest_records_versions_config_and_stats(tmp_path):
    manifest = finish(tmp_path, stage="standardize", config={"a": 1}, inputs={}, stats={"books": 2})
    loaded = Manifest.load(tmp_path)
    assert loaded == manifest
    assert "writing7" in loaded.versions and "torch" in loaded.versions
    assert loaded.stats == {"books": 2}


def test_damaged_manifest_means_not_current(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    assert Manifest.load(tmp_path) is None
    assert not is_current(tmp_path, stage="prepare", config={}, inputs={})


def test_missing_input_names_the_stage_to_run_first(tmp_path):
    with pytest.raises(MissingInputError, match=r"run `writing7 prepare` first"):
        require_input(tmp_path / "data" / "processed", stage="prepare", what="pair dataset")
