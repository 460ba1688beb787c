"""Which pairs each evaluation task takes."""

from __future__ import annotations

import numpy as np
import pytest

from writing7.metrics.tasks import select_tasks

COLUMNS = {
    "pair_type": ["positive", "negative", "same_author", "negative", "positive"],
    "neg_type": ["", "hard", "", "topic", ""],
    "same_topic": [True, False, False, True, False],
    "author1": ["a", "a", "b", "c", "d"],
    "author2": ["a", "x", "b", "y", "d"],
}


def test_tasks_select_the_documented_pairs() -> None:
    tasks = select_tasks(COLUMNS)
    assert tasks["book"].mask.tolist() == [True, True, False, True, True]
    assert tasks["book"].labels.tolist() == [True, False, False, True]
    assert tasks["author"].mask.tolist() == [False, True, True, True, False]
    assert tasks["author"].labels.tolist() == [False, True, False]
    assert tasks["topic"].mask.tolist() == [True, False, False, True, True]
    assert (tasks["book"].logit_index, tasks["author"].logit_index, tasks["topic"].logit_index) == (0, 1, 0)


def test_a_negative_of_the_same_author_is_never_used() -> None:
    columns = {**COLUMNS, "author2": ["a", "a", "b", "y", "d"]}  # pair 1 is labelled negative but shares the author
    assert not select_tasks(columns)["book"].mask[1] and not np.any(select_tasks(columns)["author"].mask[1])


def test_missing_columns_name_the_stage() -> None:
    with pytest.raises(ValueError, match="writing7 prepare"):
        select_tasks({"pair_type": []})
