"""The careful wipe: delete artifact sub-trees by kind, never the corpus, never outside the artifacts root."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from writing7.artifacts import ArtifactLayout

logger = logging.getLogger(__name__)

TARGETS = {
    "data": ("data", "tmp"),
    "models": ("models",),
    "index": ("index",),
    "reports": ("reports",),
    "all": ("data", "tmp", "models", "index", "reports", "hf"),
}


@dataclass(frozen=True)
class CleanPlan:
    paths: list[Path]
    bytes_total: int


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def plan_clean(artifacts: Path, *, what: str, corpus: Path | None = None) -> CleanPlan:
    """The existing sub-trees ``what`` names under ``artifacts``; refuses anything that could hold the corpus."""
    if what not in TARGETS:
        raise ValueError(f"--what {what!r} is not known; use one of: {', '.join(TARGETS)}")
    root = ArtifactLayout(Path(artifacts)).root.resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"artifacts directory {root} not found: nothing to clean")
    paths = [root / name for name in TARGETS[what] if (root / name).exists() or (root / name).is_symlink()]
    for path in paths:
        if path.is_symlink():
            raise ValueError(f"{path} is a symbolic link: remove it by hand, clean never follows links")
        if corpus is not None and _contains(path, Path(corpus).resolve()):
            raise ValueError(f"{path} contains the corpus {corpus}: refusing to delete it; move the corpus out of the artifacts directory")
    return CleanPlan(paths=paths, bytes_total=sum(_size(path) for path in paths))


def _contains(parent: Path, child: Path) -> bool:
    return child == parent or parent in child.parents


def execute_clean(plan: CleanPlan) -> None:
    for path in plan.paths:
        logger.info("deleting %s", path)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
