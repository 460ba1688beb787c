"""Where the Modal app's volumes are mounted, and where those paths lead outside a Modal container.

The original deployment mounts the volume ``writing7-training`` (raw books) read-only at ``/input``
(and writable at ``/training`` for ingestion), and ``writing7-artifacts`` at ``/vol``, the artifacts
root (``/vol/data/processed``, ``/vol/models/...``, ``/vol/hf``, ``/vol/tmp/prepare_shards``). Entry
points take those paths as arguments (``--training-dir /input/training``) and pass them through
:func:`container_path`: inside a container it returns them unchanged; when the entry points run in
this process (tests, or ``.local()``), an environment variable per mount point redirects it to a
folder, so ``/input/training`` becomes ``$WRITING7_MODAL_INPUT/training``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

INPUT_MOUNT = "/input"
TRAINING_MOUNT = "/training"
ARTIFACTS_MOUNT = "/vol"
TRAINING_VOLUME = "writing7-training"
ARTIFACTS_VOLUME = "writing7-artifacts"
# Read at every call (not at import) so that a test can point them at temporary folders.
ROOT_VARIABLES = {
    INPUT_MOUNT: "WRITING7_MODAL_INPUT",
    TRAINING_MOUNT: "WRITING7_MODAL_TRAINING",
    ARTIFACTS_MOUNT: "WRITING7_MODAL_VOL",
}
# The environment of every container (the original note's COMMON_ENV). Unlike the local CLI, which never
# downloads, containers may fetch a base model from the hub once: it lands in the HF cache on the volume.
COMMON_ENV = {
    "HF_HOME": f"{ARTIFACTS_MOUNT}/hf",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTORCH_ALLOC_CONF": "expandable_segments:True",
    "WRITING7_ARTIFACTS": ARTIFACTS_MOUNT,
    "HF_HUB_OFFLINE": "0",
    "TRANSFORMERS_OFFLINE": "0",
    "HF_DATASETS_OFFLINE": "0",
}


def container_path(path: str | Path) -> Path:
    """``path``, with a leading mount point replaced by the folder its variable names when that variable is set."""
    pure = PurePosixPath(path)
    for mount, variable in ROOT_VARIABLES.items():
        root = os.environ.get(variable)
        if root and (pure == PurePosixPath(mount) or PurePosixPath(mount) in pure.parents):
            return Path(root) / pure.relative_to(mount)
    return Path(path)


def artifacts_root() -> Path:
    """The artifacts root: ``/vol`` in a container."""
    return container_path(ARTIFACTS_MOUNT)


def optional_path(path: str) -> Path | None:
    """:func:`container_path` of ``path``, or None for an empty string (an option left out on ``modal run``)."""
    return container_path(path) if path else None
