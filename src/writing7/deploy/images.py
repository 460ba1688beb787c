"""The Modal images, built from the package itself.

debian-slim + Python 3.11 + torch (the CPU wheel, or PyPI's CUDA wheel for the GPU image) + writing7's
own dependency list + the ``writing7`` source and the project's ``configs/``. The images are defined
and built by the client (``modal run`` / ``modal deploy``); inside a container this module is imported
again but nothing is built, which is why :func:`package_requirements` may come back empty there.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import modal

from writing7.deploy.volumes import COMMON_ENV

PYTHON_VERSION = "3.11"
TORCH_VERSION = "2.13.0"  # the Makefile's
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CONFIGS_IN_IMAGE = "/opt/writing7/configs"  # the project's configs/ (gpu.toml, quick.toml, ...) inside the images
PROJECT_CONFIGS = Path(__file__).resolve().parents[3] / "configs"  # present in a source checkout


def package_requirements() -> list[str]:
    """writing7's own dependencies as installed here, without its extras and without torch (each image picks its wheel).

    Empty inside a container, where writing7 is source only and no image is built.
    """
    from packaging.requirements import Requirement

    try:
        declared = metadata.requires("writing7") or []
    except metadata.PackageNotFoundError:
        return []
    requirements = [Requirement(text) for text in declared]
    return [str(requirement) for requirement in requirements if requirement.marker is None and requirement.name != "torch"]


def build_image(*, cuda: bool) -> modal.Image:
    """The CPU image (``cuda=False``) or the GPU image, with :data:`COMMON_ENV` set."""
    image = modal.Image.debian_slim(python_version=PYTHON_VERSION).env(COMMON_ENV)
    if cuda:
        image = image.pip_install(f"torch=={TORCH_VERSION}")
    else:
        image = image.pip_install(f"torch=={TORCH_VERSION}", index_url=TORCH_CPU_INDEX)
    image = image.pip_install(*package_requirements()).add_local_python_source("writing7")
    return image.add_local_dir(PROJECT_CONFIGS, CONFIGS_IN_IMAGE) if PROJECT_CONFIGS.is_dir() else image
