"""Wiping the artifacts volume with ``writing7 clean``'s rules, across the Modal client and a container.

The plan is :func:`writing7.stages.clean.plan_clean` on the volume's root (``/vol``), so the same
gates hold: an unmarked root, a corpus anywhere in it, and files Writing7 did not write are never
deleted. One difference, on purpose: ``/vol`` is a mount point, which ``clean`` refuses in general;
the ``writing7-artifacts`` volume exists only for Writing7's artifacts, so the wipe lets that mount
point through (and only the volume's own root; the marker is still required).

Confirmation follows :func:`~writing7.stages.clean.confirm_deletion`: the user's terminal runs the
local entry point, which shows the plan a container computed and asks (or takes ``--yes``); the
container then deletes only when its own plan still lists exactly the confirmed paths.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from writing7.stages.clean import CleanPlan, execute_clean, plan_clean

logger = logging.getLogger(__name__)


def plan_wipe(root: Path, *, what: str) -> CleanPlan:
    """What a wipe of kind ``what`` (data, models, index, reports, all) would delete under the volume's ``root``."""
    return plan_clean(root, what=what, mount_point_ok=True)


def describe(plan: CleanPlan) -> dict[str, Any]:
    """The plan as JSON-able values (it travels from the container to the client)."""
    return {"paths": [str(path) for path in plan.paths], "kept": [str(path) for path in plan.kept], "bytes": plan.bytes_total}


def log_plan(described: dict[str, Any]) -> None:
    """Show the plan the way ``writing7 clean`` prints it."""
    if described["kept"]:
        logger.info("keeping (not written by Writing7, or changed since):\n%s", "\n".join(f"  {path}" for path in described["kept"]))
    if described["paths"]:
        logger.info("will delete:\n%s\n(%.1f MB)", "\n".join(f"  {path}" for path in described["paths"]), described["bytes"] / 1e6)


def wipe_confirmed(root: Path, *, what: str, confirmed: list[str]) -> dict[str, Any]:
    """Delete the plan's paths when they are exactly ``confirmed``; raises (deleting nothing) when the plan changed."""
    plan = plan_wipe(root, what=what)
    if sorted(str(path) for path in plan.paths) != sorted(confirmed):
        raise ValueError("the artifacts volume changed since the wipe plan was shown: nothing deleted; run the wipe again")
    execute_clean(plan)
    return describe(plan)
