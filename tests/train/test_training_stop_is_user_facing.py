"""A training run stopped before max_steps says how to resume as a UserFacingError: one CLI line, not a bug (issue 20)."""

from __future__ import annotations

import dataclasses

import pytest

from writing7.errors import UserFacingError
from writing7.stages.train import run


def test_a_stopped_training_run_is_a_user_facing_error(artifacts, tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, max_steps=3, save_steps=1)
    with pytest.raises(UserFacingError, match=r"^training stopped at step 1 of 3: run `writing7 train` again to resume$"):
        run(cfg, artifacts=artifacts, should_stop=lambda step: step == 1)
