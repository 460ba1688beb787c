"""Resumable checkpoints: model, optimizer, scheduler, step (= sampler position) and RNG states.

Each checkpoint is a directory ``step-0000200/`` written through
:func:`~writing7.artifacts.atomic_directory`, so a kill during a save leaves the previous checkpoint
intact and never a half-written one. ``state.json`` carries a fingerprint of the settings that shape
training; a checkpoint with another fingerprint is never resumed from. It also records the number of
training processes (``world_size``); with more than one, ``rng-ranks.pt`` holds every rank's RNG state.
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from writing7.artifacts import atomic_directory

logger = logging.getLogger(__name__)
CHECKPOINT_PATTERN = re.compile(r"^step-(\d+)$")


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    directory: Path, *, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, fingerprint: str, keep: int,
    rank_rng_states: list[dict[str, Any]] | None = None,
) -> Path:
    """Write ``directory/step-NNNNNNN`` atomically, then delete all but the ``keep`` newest.

    ``rank_rng_states``: every training process's RNG state, rank order (default: this process's alone).
    """
    target = Path(directory) / f"step-{step:07d}"
    rank_rng_states = rank_rng_states or [rng_state()]
    with atomic_directory(target) as temporary:
        torch.save(model.state_dict(), temporary / "model.pt")
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, temporary / "optimizer.pt")
        torch.save(rank_rng_states[0], temporary / "rng.pt")
        if len(rank_rng_states) > 1:
            torch.save(rank_rng_states, temporary / "rng-ranks.pt")
        state = {"step": step, "fingerprint": fingerprint, "world_size": len(rank_rng_states)}
        (temporary / "state.json").write_text(json.dumps(state) + "\n", encoding="utf-8")
    for old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("checkpoint saved: %s", target)
    return target


def prune_checkpoints(directory: Path, *, keep: str) -> list[Path]:
    """After a completed run: delete all checkpoints (``"none"``), all but the newest (``"last"``) or none (``"all"``).

    Only complete ``step-NNNNNNN`` folders are deleted (with ``"none"`` the folder too, when nothing else is
    left in it); returns what was deleted.
    """
    if keep not in ("none", "last", "all"):
        raise ValueError(f"keep_checkpoints {keep!r} is not known: use none, last or all")
    checkpoints = list_checkpoints(directory)
    doomed = {"none": checkpoints, "last": checkpoints[:-1], "all": []}[keep]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    if keep == "none" and Path(directory).is_dir() and not any(Path(directory).iterdir()):
        Path(directory).rmdir()
    if doomed:
        logger.info("training complete: deleted %d checkpoint(s) in %s (keep_checkpoints = %s)", len(doomed), directory, keep)
    return doomed


def list_checkpoints(directory: Path) -> list[Path]:
    """Complete checkpoint directories, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if CHECKPOINT_PATTERN.match(path.name) and (path / "state.json").is_file()]
    return sorted(found, key=lambda path: int(CHECKPOINT_PATTERN.match(path.name).group(1)))


def latest_checkpoint(directory: Path, fingerprint: str) -> Path | None:
    """The newest checkpoint written with this ``fingerprint``, or None."""
    for path in reversed(list_checkpoints(directory)):
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        if state.get("fingerprint") == fingerprint:
            return path
        logger.info("ignoring checkpoint %s: written with other settings", path)
    return None


def checkpoint_world_size(path: Path) -> int:
    """How many training processes wrote the checkpoint at ``path`` (1 for checkpoints from before the field)."""
    return int(json.loads((Path(path) / "state.json").read_text(encoding="utf-8")).get("world_size", 1))


def load_checkpoint(path: Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, rank: int = 0) -> int:
    """Restore everything from ``path`` (the RNG state of process ``rank``); returns the step to continue from."""
    path = Path(path)
    model.load_state_dict(torch.load(path / "model.pt", map_location="cpu", weights_only=True))
    states = torch.load(path / "optimizer.pt", map_location="cpu", weights_only=False)
    optimizer.load_state_dict(states["optimizer"])
    scheduler.load_state_dict(states["scheduler"])
    if rank:
        restore_rng_state(torch.load(path / "rng-ranks.pt", map_location="cpu", weights_only=False)[rank])
    else:
        restore_rng_state(torch.load(path / "rng.pt", map_location="cpu", weights_only=False))
    step = int(json.loads((path / "state.json").read_text(encoding="utf-8"))["step"])
    logger.info("resuming from %s (step %d)", path, step)
    return step
