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

The root carries a marker, ``.writing7-artifacts``, written the first time a stage output lands at one
of the layout's places: ``writing7 clean`` deletes nothing under a folder without it, so pointing clean
at a folder Writing7 never wrote (``$HOME``, a corpus, a project) deletes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
from datetime import datetime
import uuid
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
# Files later stages add next to a trained model (calibrate and its verdict). They are not part of the
# model's hash, so calibrating never makes `train` stale and the model hashes the same before and after.
MODEL_SIDECAR_FILES = (
    "calibration.json", "style_calibration.json", "calibration_manifest.json",
    "verdict.json", "verdict_manifest.json", "verdict_fit.npz", "text_profile", "attribution.json",
)
TRACKED_PACKAGES = ("writing7", "torch", "transformers", "sentence-transformers", "datasets", "numpy", "spacy")
MARKER_NAME = ".writing7-artifacts"
MARKER_FORMAT = "writing7-artifacts"
MARKER_VERSION = 1
CACHE_ENV = "WRITING7_CACHE"


def cache_dir() -> Path:
    """Where Writing7 caches what it derives from a model (attribution's text representations, int8 graphs):
    ``$WRITING7_CACHE``, else ``$XDG_CACHE_HOME/writing7``, else ``~/.cache/writing7``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "writing7"
logger = logging.getLogger(__name__)


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

    @property
    def marker(self) -> Path:
        return self.root / MARKER_NAME

    def mark(self) -> Path:
        """Write the root's marker once (atomically; an existing marker is left as it is): the root is Writing7's."""
        if not self.marker.is_file():
            payload = {"format": MARKER_FORMAT, "version": MARKER_VERSION, "created": datetime.now().astimezone().isoformat(timespec="seconds")}
            atomic_write_json(self.marker, payload)
        return self.marker

    def is_marked(self) -> bool:
        """True when the root carries a readable Writing7 marker."""
        try:
            return json.loads(self.marker.read_text(encoding="utf-8")).get("format") == MARKER_FORMAT
        except (OSError, ValueError, AttributeError):
            return False

    @classmethod
    def enclosing(cls, path: Path) -> ArtifactLayout | None:
        """The layout of which ``path`` is a stage output (``ROOT/data/clean``, ``ROOT/models/.../final``, ...), or None.

        Only outputs at least two names deep are matched: a folder merely called ``index`` or ``reports``
        (``writing7 index --out ~/index``) must not turn its parent into an artifacts root.
        """
        parts = Path(path).absolute().parts
        for relative in STAGE_OUTPUT_PATHS:
            depth = len(relative.parts)
            if len(parts) > depth and parts[-depth:] == relative.parts:
                return cls(Path(*parts[:-depth]))
        return None


# Where stages write under the root (relative paths), as matched by ArtifactLayout.enclosing.
_RELATIVE = ArtifactLayout(Path())
STAGE_OUTPUT_PATHS = (
    _RELATIVE.clean, _RELATIVE.processed, _RELATIVE.shards, _RELATIVE.teacher, _RELATIVE.bi_encoder,
    _RELATIVE.reports / "evaluation_plots",
)


def require_input(path: Path, *, stage: str, what: str) -> Path:
    """Return ``path`` if it exists, else raise one line naming the stage to run first."""
    if not Path(path).exists():
        raise MissingInputError(f"{what} not found at {path}: run `writing7 {stage}` first")
    return Path(path)


def read_versioned_json(path: Path, *, format: str, version: int, missing: str, fix: str,
                        missing_error: type[Exception] = FileNotFoundError) -> dict[str, Any]:
    """The JSON object a Writing7 file holds, after the three checks every such load makes.

    Absent -> ``missing_error("{path} not found: {missing}")``; not JSON -> ``ValueError("{path} is damaged
    (...): {fix}")``; another ``format`` or ``version`` -> ``ValueError("{path} was written by another Writing7
    version: {fix}")``. ``fix`` names the command that rewrites the file.
    """
    return read_saved_json(path, missing=missing, fix=fix, missing_error=missing_error,
                           compatible=lambda payload: payload.get("format") == format and payload.get("version") == version)


def read_saved_json(path: Path, *, missing: str, fix: str, compatible: Callable[[dict[str, Any]], bool],
                    missing_error: type[Exception] = FileNotFoundError) -> dict[str, Any]:
    """:func:`read_versioned_json` for a file whose compatibility is ``compatible(payload)`` (no format/version fields)."""
    path = Path(path)
    if not path.is_file():
        raise missing_error(f"{path} not found: {missing}")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is damaged ({error}): {fix}") from None
    if not isinstance(payload, dict) or not compatible(payload):
        raise ValueError(f"{path} was written by another Writing7 version: {fix}")
    return payload


# -- hashing -------------------------------------------------------------------------------
def iter_files(root: Path, *, exclude: Iterable[str] = (MANIFEST_NAME, *MODEL_SIDECAR_FILES)) -> list[Path]:
    """Regular files under ``root`` (or ``[root]`` for a file), sorted, skipping files and folders named in ``exclude`` (not for a file root)."""
    root = Path(root)
    if root.is_file():
        return [root]
    excluded = set(exclude)
    return sorted(p for p in root.rglob("*") if p.is_file() and excluded.isdisjoint(p.relative_to(root).parts))


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
    """``.{name}.tmp-{pid}-{8 hex}``: the pid tells a later run whether the writer is still alive."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def temporary_pattern(name: str) -> re.Pattern[str]:
    """The names :func:`_temporary_sibling` gives temporaries of ``name``; group 1 is the writer's pid."""
    return re.compile(rf"^\.{re.escape(name)}\.tmp-(\d+)-[0-9a-f]{{8}}$")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts; pid 0 and below count, to stay on the safe side)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale_temporary(path: Path, name: str | None = None) -> bool:
    """``path`` is a temporary of ours (of ``name`` when given) whose writing process is gone."""
    path = Path(path)
    if name is None:
        match = re.match(r"^\..+\.tmp-(\d+)-[0-9a-f]{8}$", path.name)
    else:
        match = temporary_pattern(name).match(path.name)
    return match is not None and not process_alive(int(match.group(1)))


def remove_stale_temporaries(final: Path) -> list[Path]:
    """Delete temporaries of ``final`` left by killed runs; those of a live process (a concurrent run) stay."""
    final = Path(final)
    if not final.parent.is_dir():
        return []
    stale = [path for path in final.parent.iterdir() if is_stale_temporary(path, final.name)]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        logger.info("removed %s (left by an interrupted run)", path)
    return stale


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[Any]:
    """A UTF-8 text handle on a temporary sibling of ``path``; on success it is fsynced and replaces ``path``.

    On any error the temporary is removed and ``path`` is left as it was: a reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(path)
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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
    a half-written directory and a crash never leaves one in place. A kill leaves the temporary
    behind; the next write of ``final`` removes it once its process is gone. On error the parent
    folders this call created are removed again (when still empty), so a failed stage leaves nothing;
    on success at a layout place the artifacts root gets its marker (:meth:`ArtifactLayout.mark`).
    """
    final = Path(final)
    created = _missing_parents(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(final)
    temporary = _temporary_sibling(final)
    temporary.mkdir()
    succeeded = False
    try:
        yield temporary
        _replace_directory(temporary, final)
        succeeded = True
        _mark_enclosing_root(final)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
        if not succeeded:
            _remove_if_empty(created)


def _mark_enclosing_root(final: Path) -> None:
    """Mark the artifacts root when ``final`` is one of its stage outputs; a root we cannot write to only costs `clean`."""
    layout = ArtifactLayout.enclosing(final)
    if layout is None:
        return
    try:
        layout.mark()
    except OSError as error:
        logger.warning("could not mark %s as a Writing7 artifacts directory (%s): `writing7 clean` will refuse it", layout.root, error)


def _replace_directory(temporary: Path, final: Path) -> None:
    if final.exists():
        retired = _temporary_sibling(final)
        os.replace(final, retired)
        os.replace(temporary, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(temporary, final)


def _missing_parents(path: Path) -> list[Path]:
    """The ancestors of ``path`` that do not exist yet, deepest first."""
    return [parent for parent in Path(path).parents if not parent.exists()]


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):  # not empty (or gone): leave it
            folder.rmdir()


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
        """The ``manifest.json`` of a stage output folder, or ``None`` when absent or damaged."""
        return cls.read(Path(directory) / MANIFEST_NAME)

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        """The manifest saved at ``path`` (any file name), or ``None`` when absent or damaged."""
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(**{f.name: payload[f.name] for f in dataclasses.fields(cls) if f.name in payload})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, KeyError):
            return None  # no or damaged manifest means "not current", never a crash


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
    return manifest.outputs == _hash_outputs(outputs, Path(manifest_path).parent)


def read_manifest(path: Path) -> Manifest | None:
    """The manifest saved at ``path`` (any file name), or ``None`` when absent or damaged."""
    return Manifest.read(path)


def finish_files(manifest_path: Path, *, stage: str, config: dict[str, Any], inputs: dict[str, str], outputs: Iterable[Path], stats: dict[str, Any]) -> Manifest:
    """:func:`finish` for :func:`files_current`: hash the named outputs, write the manifest to ``manifest_path``."""
    manifest = Manifest(stage=stage, config=config, inputs=inputs, outputs=_hash_outputs(outputs, Path(manifest_path).parent), stats=stats)
    atomic_write_json(Path(manifest_path), dataclasses.asdict(manifest))
    return manifest


def _hash_outputs(outputs: Iterable[Path], folder: Path) -> dict[str, str]:
    """``{output path relative to the manifest's folder: hash}``: a plain name for an output beside the manifest (what
    ``clean`` deletes with it), a ``../`` path for one elsewhere, so two outputs with one name never share a key."""
    return {os.path.relpath(path, folder): (hash_tree(path) if Path(path).exists() else "missing") for path in outputs}


def finish(output_dir: Path, *, stage: str, config: dict[str, Any], inputs: dict[str, str], stats: dict[str, Any]) -> Manifest:
    """Hash the finished outputs and write the manifest."""
    manifest = Manifest(stage=stage, config=config, inputs=inputs, outputs={"tree": hash_tree(output_dir)}, stats=stats)
    manifest.save(output_dir)
    return manifest
