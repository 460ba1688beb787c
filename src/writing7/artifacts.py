"""Artifacts: the directory layout, manifests with hashes, atomic outputs, skip-when-current.

Layout (DESIGN.md section 3)::

    artifacts/
      data/clean/                              standardized text
      data/processed/                          HF DatasetDict train/validation/test
      tmp/prepare_shards/                      sharded prepare, stage A
      models/book_matcher/final/               cross-encoder teacher
      models/book_matcher_contrastive/final/   bi-encoder (+ calibration.json, style_calibration.json)
      index/                                   retrieval index
      reports/                                 evaluation and benchmark reports
      hf/                                      HF cache

Every stage writes into a temporary sibling directory and renames it into place when complete,
then records ``manifest.json`` (stage, package versions, resolved config, input and output hashes,
stats). A stage is *current* when its manifest matches the inputs and config and the outputs still
hash to what the manifest says.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
from datetime import datetime
import uuid
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
# Files later stages add next to a trained model (calibrate, calibrate-documents). They are not part of the
# model's hash, so calibrating never makes `train` stale and the model hashes the same before and after.
MODEL_SIDECAR_FILES = (
    "calibration.json", "style_calibration.json", "calibration_manifest.json",
    "document_calibration.json", "document_calibration_manifest.json",
)
TRACKED_PACKAGES = ("writing7", "torch", "transformers", "sentence-transformers", "datasets", "numpy", "spacy")


class MissingInputError(FileNotFoundError):
    """An upstream artifact is missing; the message names the stage to run first."""


@dataclasses.dataclass(frozen=True)
class ArtifactLayout:
    """Paths of every artifact under one root (``--artifacts``, env ``WRITING7_ARTIFACTS``)."""

    root: Path

    @classmethod
    def from_env(cls, root: Path | None = None) -> ArtifactLayout:
        return cls(Path(root or os.environ.get("WRITING7_ARTIFACTS", "artifacts")))

    @property
    def clean(self) -> Path:
        return self.root / "data" / "clean"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def shards(self) -> Path:
        return self.root / "tmp" / "prepare_shards"

    @property
    def teacher(self) -> Path:
        return self.root / "models" / "book_matcher" / "final"

    @property
    def bi_encoder(self) -> Path:
        return self.root / "models" / "book_matcher_contrastive" / "final"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def hf_home(self) -> Path:
        return self.root / "hf"


def require_input(path: Path, *, stage: str, what: str) -> Path:
    """Return ``path`` if it exists, else raise one line naming the stage to run first."""
    if not Path(path).exists():
        raise MissingInputError(f"{what} not found at {path}: run `writing7 {stage}` first")
    return Path(path)


# -- hashing -------------------------------------------------------------------------------
def iter_files(root: Path, *, exclude: Iterable[str] = (MANIFEST_NAME, *MODEL_SIDECAR_FILES)) -> list[Path]:
    """Regular files under ``root`` (or ``[root]`` for a file), sorted, skipping ``exclude`` names (not for a file root)."""
    root = Path(root)
    if root.is_file():
        return [root]
    excluded = set(exclude)
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in excluded)


def hash_tree(root: Path, *, exclude: Iterable[str] = (MANIFEST_NAME, *MODEL_SIDECAR_FILES), suffixes: tuple[str, ...] = ()) -> str:
    """SHA-256 over (relative path, bytes) of every file: renaming a file changes the hash too."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in iter_files(root, exclude=exclude):
        if suffixes and path.suffix not in suffixes:
            continue
        relative = path.name if root.is_file() else path.relative_to(root).as_posix()
        digest.update(relative.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def hash_config(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


# -- atomic writes ---------------------------------------------------------------------------
def _temporary_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temporary sibling, fsync, then ``os.replace`` onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(path)
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, payload: Any) -> Path:
    return atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces ``final``, on error it is removed.

    The old ``final`` is moved aside before the rename and deleted after, so a reader never sees
    a half-written directory and a crash never leaves one in place.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(final)
    temporary.mkdir()
    try:
        yield temporary
        if final.exists():
            retired = _temporary_sibling(final)
            os.replace(final, retired)
            os.replace(temporary, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(temporary, final)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


# -- manifests ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Manifest:
    """What a stage did: enough to decide whether it is current and to audit a result."""

    stage: str
    config: dict[str, Any]
    inputs: dict[str, str]
    outputs: dict[str, str]
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    versions: dict[str, str] = dataclasses.field(default_factory=package_versions)
    created: str = dataclasses.field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="microseconds"))

    def save(self, directory: Path) -> Path:
        return atomic_write_json(Path(directory) / MANIFEST_NAME, dataclasses.asdict(self))

    @classmethod
    def load(cls, directory: Path) -> Manifest | None:
        path = Path(directory) / MANIFEST_NAME
        if not path.is_file():
            return None
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{f.name: payload[f.name] for f in dataclasses.fields(cls) if f.name in payload})
        except (json.JSONDecodeError, TypeError, KeyError):
            return None  # a damaged manifest means "not current", never a crash


def hash_inputs(inputs: dict[str, Path]) -> dict[str, str]:
    """Hash each named input (file or directory)."""
    return {name: hash_tree(path) for name, path in inputs.items()}


def is_current(output_dir: Path, *, stage: str, config: dict[str, Any], inputs: dict[str, str]) -> bool:
    """True when ``output_dir/manifest.json`` matches stage, config and input hashes and the outputs are intact."""
    manifest = Manifest.load(output_dir)
    if manifest is None or manifest.stage != stage:
        return False
    if hash_config(manifest.config) != hash_config(config) or manifest.inputs != inputs:
        return False
    return manifest.outputs.get("tree") == hash_tree(output_dir)


def files_current(manifest_path: Path, *, stage: str, config: dict[str, Any], inputs: dict[str, str], outputs: Iterable[Path]) -> bool:
    """:func:`is_current` for outputs written into a directory other stages also use (a model folder,
    ``reports/``): the manifest is its own file and only the named outputs are hashed."""
    manifest = read_manifest(manifest_path)
    if manifest is None or manifest.stage != stage or manifest.inputs != inputs:
        return False
    if hash_config(manifest.config) != hash_config(config):
        return False
    return manifest.outputs == _hash_outputs(outputs)


def read_manifest(path: Path) -> Manifest | None:
    """The manifest saved at ``path`` (any file name), or ``None`` when absent or damaged."""
    path = Path(path)
    return Manifest.load(path.parent) if path.name == MANIFEST_NAME else _manifest_from_file(path)


def _manifest_from_file(path: Path) -> Manifest | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**{f.name: payload[f.name] for f in dataclasses.fields(Manifest) if f.name in payload})
    except (OSError, json.JSONDecodeError, TypeError, KeyError):
        return None  # no or damaged manifest means "not current", never a crash


def finish_files(manifest_path: Path, *, stage: str, config: dict[str, Any], inputs: dict[str, str], outputs: Iterable[Path], stats: dict[str, Any]) -> Manifest:
    """:func:`finish` for :func:`files_current`: hash the named outputs, write the manifest to ``manifest_path``."""
    manifest = Manifest(stage=stage, config=config, inputs=inputs, outputs=_hash_outputs(outputs), stats=stats)
    atomic_write_json(Path(manifest_path), dataclasses.asdict(manifest))
    return manifest


def _hash_outputs(outputs: Iterable[Path]) -> dict[str, str]:
    return {Path(path).name: (hash_tree(path) if Path(path).exists() else "missing") for path in outputs}


def finish(output_dir: Path, *, stage: str, config: dict[str, Any], inputs: dict[str, str], stats: dict[str, Any]) -> Manifest:
    """Hash the finished outputs and write the manifest."""
    manifest = Manifest(stage=stage, config=config, inputs=inputs, outputs={"tree": hash_tree(output_dir)}, stats=stats)
    manifest.save(output_dir)
    return manifest
