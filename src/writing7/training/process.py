"""What every training run sets up in its process before building a model: CUDA math, CPU threads, seeds.

``cfg`` in :mod:`writing7.training` is any object with the ``[train]`` / ``[teacher]`` fields (the stage
passes :class:`writing7.config.train.TrainConfig` or ``TeacherConfig``): library code here never imports
``writing7.config``, so the settings travel as the object the caller already holds.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from writing7.models.runtime import configure_cuda


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def configure_process(*, tf32: bool, threads: int, seed: int) -> None:
    """TF32 matmuls on CUDA when asked, ``threads`` torch CPU threads (0: torch's default), every RNG seeded."""
    configure_cuda(tf32)
    if threads:
        torch.set_num_threads(threads)
    seed_everything(seed)
