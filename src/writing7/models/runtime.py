"""Device and precision choices shared by training and inference, and loading errors of saved model folders.

bf16 autocast is used where the hardware runs it natively: CUDA with bf16 support, and CPUs with
AVX512-BF16 or AMX (on those, a MiniLM training step is about 1.6x faster than float32). Elsewhere
autocast would emulate bf16 and be slower than float32, so it stays off.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import torch

logger = logging.getLogger(__name__)
PRECISIONS = ("auto", "bf16", "fp32")


def resolve_device(device: str | None = None) -> torch.device:
    """``None``/``"auto"``: CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"unknown device {device!r} ({error}); use auto, cpu, cuda or cuda:N") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    return resolved


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` runs bf16 matrix products natively (not emulated)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    return False


def use_bf16(precision: str, device: torch.device) -> bool:
    """``auto`` -> native bf16 only; ``bf16`` -> always; ``fp32`` -> never."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision == "bf16" or (precision == "auto" and native_bf16(device))


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on ``device`` when ``enabled``; a no-op context otherwise."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def configure_cuda(tf32: bool) -> None:
    """TF32 matmuls/convolutions on Ampere+ GPUs: ~2x faster float32 with 10-bit mantissa products."""
    if torch.cuda.is_available() and tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


# -- loading a saved model folder ----------------------------------------------------------------
class DamagedModelError(ValueError):
    """A model folder whose files are there but cannot be loaded: a truncated copy, an interrupted write, a
    hand-edited JSON. A ``ValueError``, so the CLI shows it as one ``error:`` line instead of a loader's traceback."""


# What safetensors, transformers, sentence-transformers, json, numpy and torch raise on damaged files.
LOAD_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, RuntimeError, EOFError)
REASON_CHARACTERS = 200


def damaged_model(folder: Path, reason: BaseException | str, *, file: str | None = None) -> DamagedModelError:
    """The one-line error for a damaged ``folder``: which file (when known), what is wrong, and the fix."""
    if isinstance(reason, KeyError):
        reason = f"missing entry {reason}"
    text = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    text = text if len(text) <= REASON_CHARACTERS else text[:REASON_CHARACTERS] + "..."
    where = f"{file}: " if file else ""
    return DamagedModelError(f"the model folder {folder} is damaged ({where}{text}): retrain it or copy it again")


def check_model_files(folder: Path, *, skip: Iterable[str] = ()) -> None:
    """Open every weights file's header and parse every JSON file of ``folder`` (names in ``skip`` excepted).

    The loaders report a truncated ``model.safetensors`` or a broken ``config.json`` without saying
    which file it was; checking each file first lets the error name it. Cheap: safetensors reads only
    the header (and checks it against the file's length), the JSON files are small.
    """
    from safetensors import SafetensorError, safe_open

    skipped = set(skip)
    for path in sorted(folder.rglob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt"):
                pass
        except (SafetensorError, OSError) as error:
            raise damaged_model(folder, error, file=path.relative_to(folder).as_posix()) from error
    for path in sorted(folder.rglob("*.json")):
        if path.name in skipped:
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise damaged_model(folder, f"not valid JSON: {error}", file=path.relative_to(folder).as_posix()) from error
