"""The careful wipe: delete only what Writing7 wrote, by kind; never a corpus, never a folder Writing7 does not own.

``writing7 clean`` once deleted ``~/data``, ``~/models`` and ``~/tmp`` when pointed at ``$HOME``, and a
corpus kept under ``artifacts/data``. Three gates now stand in the way, each enough to stop a wipe:

1. **The root.** Refused when it is a filesystem root or mount point, the home directory (or above it),
   the current directory (or above it), or when it lacks the ``.writing7-artifacts`` marker that
   Writing7 writes the first time a stage output lands in its layout (:meth:`ArtifactLayout.mark`).
2. **Corpora.** When any folder about to be touched holds books -- a ``catalog.csv``, or a sub-folder
   with ``.txt`` files (``{author}/{title}.txt``) -- the whole clean is refused, ``--corpus`` or not.
   Tokenizer vocabularies (``vocab.txt``, ``merges.txt``) are not books. A stage output that still
   hashes to its manifest (``data/clean`` is corpus-shaped by design) is Writing7's own text, not a corpus.
3. **Ownership.** Inside the kind's top-level folders (``data``, ``models``, ...), only these go:

   - a stage output folder whose ``manifest.json`` (written by :func:`~writing7.artifacts.finish`) still
     matches its files: every file in it is one that stage wrote (calibration sidecars are written into
     the model folder by ``calibrate``, and are left out of the hash for that reason);
   - the outputs a file manifest (``*manifest.json`` written by :func:`~writing7.artifacts.finish_files`:
     ``reports/evaluation_manifest.json``) records, while they still hash as recorded, and that manifest;
   - folders and files only Writing7 writes, by their layout name: ``tmp/prepare_shards``, ``hf`` (the HF
     cache), a model's ``checkpoints/step-NNNNNNN`` and ``training_log.jsonl``, and the report files
     written without a manifest (``retrieval.json``, ``style_bench.*``);
   - temporaries named ``.{name}.tmp-{pid}-{hex}`` whose process is gone.

   Anything else -- a file no manifest records, a stage folder changed since its manifest (kept whole) --
   is kept and listed, and folders left empty by the deletions are removed.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from writing7.artifacts import MANIFEST_NAME, MARKER_NAME, ArtifactLayout, Manifest, hash_tree, is_stale_temporary, read_manifest

logger = logging.getLogger(__name__)

TARGETS = {
    "data": ("data", "tmp"),
    "models": ("models",),
    "index": ("index",),
    "reports": ("reports",),
    "all": ("data", "tmp", "models", "index", "reports", "hf"),
}
# Folders only Writing7 writes into, as paths relative to the root ("*" = any one name).
SCRATCH_FOLDERS = ("tmp/prepare_shards", "hf")
CHECKPOINT_FOLDER = "models/*/checkpoints/*"
CHECKPOINT_NAME = re.compile(r"^step-\d+$")  # training/checkpoint.py's step-NNNNNNN, with its state.json
# Files Writing7 writes without a manifest recording them, as paths relative to the root.
KNOWN_FILES = ("models/*/training_log.jsonl", "reports/retrieval.json", "reports/style_bench.json", "reports/style_bench.md", "reports/style_bench.png")
TOKENIZER_TEXT_FILES = frozenset({"vocab.txt", "merges.txt"})
CATALOG_NAME = "catalog.csv"


@dataclass(frozen=True)
class CleanPlan:
    """What a clean will delete (``paths``, ``bytes_total``) and what it leaves because Writing7 did not write it."""

    paths: list[Path]
    bytes_total: int
    kept: list[Path] = field(default_factory=list)
    root: Path | None = None


def _size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


# -- gate 1: the root ----------------------------------------------------------------------------
def check_root(root: Path, *, mount_point_ok: bool = False) -> None:
    """Refuse a root that cannot be (only) Writing7's: filesystem roots, home, the working directory, unmarked folders.

    ``mount_point_ok`` lets a marked mount point through, for a volume made only for Writing7's artifacts
    (the Modal app's ``writing7-artifacts`` volume is mounted at its root, ``/vol``); every other gate stays.
    """
    if root == root.parent or (os.path.ismount(root) and not mount_point_ok):
        raise ValueError(f"{root} is a filesystem root: point --artifacts at the folder a Writing7 run wrote (e.g. ./artifacts)")
    home = Path.home().resolve()
    if root == home or root in home.parents:
        raise ValueError(f"{root} is your home directory or holds it: point --artifacts at the folder a Writing7 run wrote (e.g. ~/project/artifacts)")
    working = Path.cwd().resolve()
    if root == working or root in working.parents:
        raise ValueError(f"{root} is the current directory or holds it: point --artifacts at a folder below it (e.g. ./artifacts)")
    if not ArtifactLayout(root).is_marked():
        raise ValueError(
            f"{root} is not a Writing7 artifacts directory (no {MARKER_NAME} marker): clean deletes only what Writing7 wrote; "
            "point --artifacts at the folder a Writing7 run wrote, or delete files by hand"
        )


# -- gate 2: corpora -----------------------------------------------------------------------------
def holds_books(folder: Path) -> bool:
    """``folder`` looks like a corpus: a ``catalog.csv``, or a sub-folder with ``.txt`` files other than tokenizer vocabularies."""
    if (folder / CATALOG_NAME).is_file():
        return True
    for child in _children(folder):
        if child.is_dir() and not child.is_symlink() and any(_is_book(grandchild) for grandchild in _children(child)):
            return True
    return False


def _is_book(path: Path) -> bool:
    return path.suffix.lower() == ".txt" and path.name not in TOKENIZER_TEXT_FILES and path.is_file()


def find_corpus(folder: Path) -> Path | None:
    """The first folder at or under ``folder`` that holds books; a stage output that still matches its manifest is not a corpus."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    if holds_books(folder):
        return None if is_intact_stage_output(folder) else folder
    for child in _children(folder):
        found = find_corpus(child)
        if found is not None:
            return found
    return None


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except (NotADirectoryError, FileNotFoundError, PermissionError):
        return []


# -- gate 3: ownership ---------------------------------------------------------------------------
def is_intact_stage_output(folder: Path) -> bool:
    """``folder`` holds a stage's ``manifest.json`` and its files still hash to what that manifest recorded."""
    if not (folder / MANIFEST_NAME).is_file():
        return False
    manifest = Manifest.load(folder)
    return manifest is not None and "tree" in manifest.outputs and manifest.outputs["tree"] == hash_tree(folder)


def recorded_outputs(folder: Path) -> set[Path]:
    """Files recorded by the file manifests (``*manifest.json``) in ``folder`` that still hash as recorded, and those manifests."""
    owned: set[Path] = set()
    for path in _children(folder):
        if not path.name.endswith(MANIFEST_NAME) or path.name == MANIFEST_NAME or not path.is_file():
            continue
        manifest = read_manifest(path)
        if manifest is None:
            continue
        owned.add(path)
        for name, digest in manifest.outputs.items():
            output = folder / name
            if output.parent == folder and output.exists() and not output.is_symlink() and hash_tree(output) == digest:
                owned.add(output)
    return owned


def _matches(relative: str, patterns: tuple[str, ...]) -> bool:
    """``relative`` (``a/b/c``) equals one of ``patterns``, where a ``*`` part stands for any one name."""
    parts = relative.split("/")
    for pattern in patterns:
        wanted = pattern.split("/")
        if len(wanted) == len(parts) and all(name in ("*", part) for name, part in zip(wanted, parts)):
            return True
    return False


def _owned_by_name(path: Path, root: Path) -> bool:
    """A temporary of a dead writer, or a folder or file at a place only Writing7 writes to."""
    relative = path.relative_to(root).as_posix()
    if is_stale_temporary(path):
        return True
    if not path.is_dir():
        return _matches(relative, KNOWN_FILES)
    if _matches(relative, SCRATCH_FOLDERS):
        return True
    return _matches(relative, (CHECKPOINT_FOLDER,)) and CHECKPOINT_NAME.match(path.name) is not None and (path / "state.json").is_file()


def sort_owned(folder: Path, root: Path) -> tuple[list[Path], list[Path]]:
    """Split what is under ``folder`` into sub-trees Writing7 wrote (to delete) and the rest (kept, as coarse as possible)."""
    if folder.is_symlink():
        return [], [folder]
    if is_intact_stage_output(folder) or _owned_by_name(folder, root):
        return [folder], []
    if not folder.is_dir() or (folder / MANIFEST_NAME).is_file():
        return [], [folder]  # a stage output changed since its manifest is kept whole, calibration files and all
    delete, keep = [], []
    recorded = recorded_outputs(folder)
    for child in _children(folder):
        if child in recorded:
            delete.append(child)
            continue
        child_delete, child_keep = sort_owned(child, root)
        delete += child_delete
        keep += child_keep
    if not delete:
        return [], [folder]
    return delete, keep


# -- the plan ------------------------------------------------------------------------------------
def plan_clean(artifacts: Path, *, what: str, corpus: Path | None = None, mount_point_ok: bool = False) -> CleanPlan:
    """The sub-trees of kind ``what`` that Writing7 wrote under ``artifacts``; refuses unsafe roots and corpora (see the module doc).

    ``mount_point_ok``: see :func:`check_root`.
    """
    if what not in TARGETS:
        raise ValueError(f"--what {what!r} is not known; use one of: {', '.join(TARGETS)}")
    root = Path(artifacts).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"artifacts directory {root} not found: nothing to clean")
    check_root(root, mount_point_ok=mount_point_ok)
    candidates = [root / name for name in TARGETS[what] if (root / name).exists() or (root / name).is_symlink()]
    for path in candidates:
        _check_candidate(path, corpus)
    delete, keep = [], []
    for path in candidates:
        path_delete, path_keep = sort_owned(path, root)
        delete += path_delete
        keep += path_keep
    return CleanPlan(paths=delete, bytes_total=sum(_size(path) for path in delete), kept=keep, root=root)


def _check_candidate(path: Path, corpus: Path | None) -> None:
    if path.is_symlink():
        raise ValueError(f"{path} is a symbolic link: remove it by hand, clean never follows links")
    if corpus is not None and _contains(path, Path(corpus).resolve()):
        raise ValueError(f"{path} contains the corpus {corpus}: refusing to delete it; move the corpus out of the artifacts directory")
    found = find_corpus(path)
    if found is not None:
        raise ValueError(f"{found} holds a corpus ({{author}}/{{title}}.txt books): refusing to delete it; move the corpus out of the artifacts directory")


def _contains(parent: Path, child: Path) -> bool:
    return child == parent or parent in child.parents


def confirm_deletion(*, yes: bool, ask: Callable[[str], bool], interactive: bool | None = None) -> bool:
    """clean's confirmation rule: ``yes`` deletes without asking; otherwise ``ask`` a terminal, and refuse without one.

    ``interactive`` defaults to whether standard input is a terminal. Returns ``ask``'s answer (or True for ``yes``).
    """
    if yes:
        return True
    if not (sys.stdin.isatty() if interactive is None else interactive):
        raise ValueError("not a terminal and --yes not given: pass --yes to delete without asking")
    return ask("delete these?")


def execute_clean(plan: CleanPlan) -> None:
    """Delete the plan's paths, then the folders they leave empty (up to, not including, the root)."""
    for path in plan.paths:
        logger.info("deleting %s", path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for path in plan.paths:
        _remove_empty_parents(path, plan.root)


def _remove_empty_parents(path: Path, root: Path | None) -> None:
    for parent in path.parents:
        if root is None or parent == root or root not in parent.parents:
            return
        try:
            parent.rmdir()
        except OSError:
            return  # not empty: something else lives there
