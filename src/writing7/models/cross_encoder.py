"""The cross-encoder teacher: both passages in one input, a new linear head -> one same-book logit.

It reads the two passages jointly (every token attends to every token of the other passage), so it is
more accurate per pair than the bi-encoder but costs a forward pass per pair: it scores training pairs
once for distillation and can rerank a shortlist. The folder is a plain Hugging Face
sequence-classification model (``num_labels=1``) plus ``writing7_teacher.json``; it also loads as a
``sentence_transformers.CrossEncoder``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from writing7.models.bi_encoder import resolve_base_model
from writing7.models.runtime import autocast, resolve_device, use_bf16

logger = logging.getLogger(__name__)
INFO_FILE = "writing7_teacher.json"


class CrossEncoderTeacher(nn.Module):
    """A sequence-pair classifier on a transformer body (same-book logit)."""

    def __init__(self, model: nn.Module, tokenizer: Any, *, max_seq_length: int, info: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.info = info or {}
        self.device = torch.device("cpu")
        self.bf16 = False

    @classmethod
    def from_base(cls, base_model: str, *, max_seq_length: int) -> CrossEncoderTeacher:
        """The base model's body with a freshly initialised one-logit classification head."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        path = resolve_base_model(base_model)
        verbosity = transformers_logging.get_verbosity()
        transformers_logging.set_verbosity_error()  # "newly initialized classifier" is exactly what we want here
        try:
            model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
            tokenizer = AutoTokenizer.from_pretrained(path)
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot load teacher base model {base_model!r} ({error}); pass --base-model with a local model folder") from error
        finally:
            transformers_logging.set_verbosity(verbosity)
        return cls(model, tokenizer, max_seq_length=max_seq_length, info={"base_model": base_model})

    @classmethod
    def load(cls, path: Path | str, device: str | None = None, *, precision: str = "auto") -> CrossEncoderTeacher:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(path)
        info_path = path / INFO_FILE
        if not info_path.is_file():
            raise FileNotFoundError(f"{info_path} not found: {path} is not a Writing7 teacher; run `writing7 train-teacher` first")
        info = json.loads(info_path.read_text(encoding="utf-8"))
        model = AutoModelForSequenceClassification.from_pretrained(str(path))
        teacher = cls(model, AutoTokenizer.from_pretrained(str(path)), max_seq_length=int(info["max_seq_length"]), info=info)
        return teacher.to_device(device, precision=precision).eval()

    def to_device(self, device: str | None, *, precision: str = "auto") -> CrossEncoderTeacher:
        self.device = resolve_device(device)
        self.bf16 = use_bf16(precision, self.device)
        return self.to(self.device)

    def save(self, path: Path, *, training_summary: dict[str, Any] | None = None) -> None:
        path = Path(path)
        self.model.save_pretrained(str(path))
        self.tokenizer.save_pretrained(str(path))
        if training_summary is not None:
            self.info["training"] = training_summary
        self.info.update(max_seq_length=self.max_seq_length, logits=["same_book"])
        (path / INFO_FILE).write_text(json.dumps(self.info, indent=2, default=str) + "\n", encoding="utf-8")

    def tokenize(self, texts1: Sequence[str], texts2: Sequence[str]) -> dict[str, torch.Tensor]:
        """Pairs -> padded tensors; each side truncated so that the pair fits ``max_seq_length``."""
        return self.tokenizer(list(texts1), list(texts2), truncation="longest_first", max_length=self.max_seq_length, padding=True, return_tensors="pt")

    def forward(self, **inputs: torch.Tensor) -> torch.Tensor:
        """Tokenised pairs -> (pairs,) float32 same-book logits."""
        return self.model(**inputs).logits[:, 0].float()

    @torch.inference_mode()
    def predict_logits(self, texts1: Sequence[str], texts2: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(n,) float32 same-book logits (uncalibrated)."""
        if len(texts1) != len(texts2):
            raise ValueError(f"texts1 has {len(texts1)} texts but texts2 has {len(texts2)}: pass two lists of equal length")
        self.eval()
        output = np.zeros(len(texts1), dtype=np.float32)
        for start in range(0, len(texts1), batch_size):
            inputs = self.tokenize(texts1[start : start + batch_size], texts2[start : start + batch_size])
            with autocast(self.device, self.bf16):
                logits = self(**{key: value.to(self.device) for key, value in inputs.items()})
            output[start : start + batch_size] = logits.float().cpu().numpy()
        return output
