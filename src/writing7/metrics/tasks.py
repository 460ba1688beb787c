"""Which labelled pairs each evaluation task uses, from the pair dataset's columns.

- **book**: same-book pairs (``pair_type == "positive"``) vs different-author negatives; same-author
  pairs are left out (they are neither a same-book pair nor a fair negative). Uses the same-book logit.
- **author**: same-author-other-book pairs (``pair_type == "same_author"``) vs different-author
  negatives. Uses the same-author logit.
- **topic**: same-book pairs vs the topic-matched negatives only (``neg_type == "topic"`` or
  ``same_topic``): does the model still separate books when the topic cannot help? Uses the same-book
  logit and the book calibration.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

TASKS = ("book", "author", "topic")
CALIBRATION_OF_TASK = {"book": "book", "author": "author", "topic": "book"}
LOGIT_INDEX = {"book": 0, "author": 1}
REQUIRED_COLUMNS = ("pair_type", "neg_type", "same_topic", "author1", "author2")


@dataclasses.dataclass
class TaskSelection:
    """The pairs of one task: ``mask`` over all pairs, and the task label of each selected pair."""

    name: str
    mask: np.ndarray  # (n_all,) bool
    labels: np.ndarray  # (mask.sum(),) bool
    calibration: str  # "book" or "author": whose logit and calibration answer this task

    @property
    def logit_index(self) -> int:
        return LOGIT_INDEX[self.calibration]


def select_tasks(columns: Mapping[str, Sequence[Any]], tasks: Sequence[str] = TASKS) -> dict[str, TaskSelection]:
    """Masks and labels of each task in ``tasks`` over the pairs described by ``columns``."""
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValueError(f"pair data lacks column(s) {', '.join(missing)}: re-run `writing7 prepare` to rebuild data/processed")
    pair_type = np.asarray(columns["pair_type"], dtype=object)
    neg_type = np.asarray(columns["neg_type"], dtype=object)
    same_topic = np.asarray(columns["same_topic"]).astype(bool)
    different_author = np.asarray(columns["author1"], dtype=object) != np.asarray(columns["author2"], dtype=object)
    positive = pair_type == "positive"
    negative = (pair_type == "negative") & different_author
    masks = {
        "book": (positive | negative, positive),
        "author": ((pair_type == "same_author") | negative, pair_type == "same_author"),
        "topic": (positive | (negative & ((neg_type == "topic") | same_topic)), positive),
    }
    unknown = [name for name in tasks if name not in masks]
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)}; use some of: {', '.join(TASKS)}")
    return {name: TaskSelection(name, masks[name][0], masks[name][1][masks[name][0]], CALIBRATION_OF_TASK[name]) for name in tasks}
