"""Embedding passages for neighbour mining: our own encode loop around a SentenceTransformer.

Compared with ``SentenceTransformer.encode`` the loop tokenizes a window of many batches at once
and sorts it by *token* length (so each batch is padded only to its own longest passage), runs
under ``torch.inference_mode``, and runs at the precision ``auto`` resolves to (:mod:`writing7.models.runtime`):
bf16 autocast where the hardware runs bf16 natively (CUDA, CPUs with AVX512-BF16 or AMX), int8 on other CPUs
(:func:`~writing7.models.runtime.int8_encoder`: the transformer on ONNX Runtime when installed, else the model's
Linear layers dynamically quantized in PyTorch; the same path as the matcher's). ``auto``'s choice is only kept when it
matches float32 on a sample (:meth:`ChunkEncoder.check_precision`): the smallest cosine between the two
embeddings of the same passage must reach ``MIN_COSINE`` of that precision (bf16
:data:`BF16_MIN_COSINE`, int8 0.99), otherwise the encoder falls back to float32 and logs why.
``bench/prepare.py`` measures the speed-up against ``SentenceTransformer.encode``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from writing7.progress import progress_disabled
from writing7.models.bi_encoder import resolve_base_model
from writing7.models.runtime import MIN_COSINE, PrecisionPlan, autocast, int8_encoder, resolve_device

logger = logging.getLogger(__name__)
BF16_MIN_COSINE = MIN_COSINE["bf16"]
PRECISION_CHECK_SIZE = 32
# Passages tokenized (and length-sorted) together: bounds memory on large corpora while keeping
# nearly all of the padding saved by a global sort.
BATCHES_PER_WINDOW = 32


class ChunkEncoder:
    """L2-normalized float32 embeddings of passages with any SentenceTransformer model."""

    def __init__(self, model: Any, *, device: torch.device, precision: str = "auto") -> None:
        self.model = model.to(device).eval()
        self.device = device
        self.precision = precision
        self.plan = PrecisionPlan(precision, device)
        self.quantized_model = int8_encoder(self.model) if self.plan.int8 else None

    @classmethod
    def load(cls, name_or_path: str, *, device: str = "auto", max_seq_length: int | None = 128, precision: str = "auto") -> ChunkEncoder:
        """Load a SentenceTransformer folder or id (``all-MiniLM-L6-v2`` = the packaged copy), offline
        (``max_seq_length=None`` keeps the model's own)."""
        from sentence_transformers import SentenceTransformer

        path = resolve_base_model(name_or_path)
        resolved = resolve_device(device)
        try:
            model = SentenceTransformer(path, device=str(resolved), local_files_only=True)
        except (OSError, ValueError) as error:
            raise FileNotFoundError(
                f"embedding model {name_or_path!r} could not be loaded ({error}); "
                "pass --embed-model with a local SentenceTransformer folder"
            ) from error
        if max_seq_length is not None:
            model.max_seq_length = max_seq_length
        return cls(model, device=resolved, precision=precision)

    @property
    def dimension(self) -> int:
        # sentence-transformers >= 5.2 renamed get_sentence_embedding_dimension.
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(dimension())

    @property
    def dtype_name(self) -> str:
        """The precision the encoder runs: ``fp32``, ``bf16`` or ``int8``."""
        return self.plan.precision

    @property
    def bf16(self) -> bool:
        return self.plan.bf16

    @property
    def precision_check_cosine(self) -> float | None:
        """The smallest fp32-vs-chosen cosine of the last check (None when none ran)."""
        return self.plan.check_cosine

    def check_precision(self, sample: Sequence[str], *, min_cosine: float | None = None) -> str:
        """With ``precision=auto``, keep bf16 or int8 only when it matches float32 on ``sample``; returns the precision used.

        ``min_cosine`` defaults to the precision's bar (:data:`writing7.models.runtime.MIN_COSINE`).
        """
        if not self.plan.check_pending or not sample:
            return self.dtype_name
        sample = list(sample[:PRECISION_CHECK_SIZE])
        reference = self._encode(sample, batch_size=len(sample), precision="fp32", progress=False)
        candidate = self._encode(sample, batch_size=len(sample), precision=self.dtype_name, progress=False)
        if self.plan.settle(reference, candidate, min_cosine=min_cosine) == "fp32":
            self.quantized_model = None
        return self.dtype_name

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalized, in input order (``auto``'s check runs first on the
        first texts when :meth:`check_precision` was not called)."""
        self.check_precision(texts)
        return self._encode(list(texts), batch_size=batch_size, precision=self.dtype_name, progress=progress)

    def _model_for(self, precision: str) -> Any:
        """The float model, or its int8 version (made on first use)."""
        if precision != "int8":
            return self.model
        if self.quantized_model is None:
            self.quantized_model = int8_encoder(self.model)
        return self.quantized_model

    def _encode(self, texts: list[str], *, batch_size: int, precision: str, progress: bool) -> np.ndarray:
        output = np.zeros((len(texts), self.dimension), dtype=np.float32)
        bar = tqdm(total=len(texts), desc="prepare: embed", unit="chunk", disable=not progress or progress_disabled())
        window = batch_size * BATCHES_PER_WINDOW
        model = self._model_for(precision)
        with bar, torch.inference_mode(), autocast(self.device, precision == "bf16"):
            for window_start in range(0, len(texts), window):
                features = self._tokenize(texts[window_start:window_start + window])
                for positions, batch in self._sorted_batches(features, batch_size):
                    embeddings = model(batch)["sentence_embedding"].float()  # (batch, dim)
                    embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
                    output[window_start + positions] = embeddings.cpu().numpy()
                    bar.update(len(positions))
        return output

    def _tokenize(self, texts: list[str]) -> dict[str, Any]:
        # sentence-transformers >= 5.2 names it `preprocess`; older versions only have `tokenize`.
        tokenize = getattr(self.model, "preprocess", None) or self.model.tokenize
        return tokenize(texts)

    def _sorted_batches(self, features: dict[str, Any], batch_size: int) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        """Batches of positions sorted by token length, each trimmed to its own longest passage."""
        lengths = features["attention_mask"].sum(dim=1)  # (texts,)
        order = torch.argsort(lengths, descending=True, stable=True)
        left_padded = getattr(self.model.tokenizer, "padding_side", "right") == "left"
        for start in range(0, len(order), batch_size):
            positions = order[start:start + batch_size]
            longest = int(lengths[positions].max())
            trim = slice(-longest, None) if left_padded else slice(0, longest)
            batch = {
                name: (value[positions][:, trim].to(self.device, non_blocking=True) if _is_token_tensor(value, len(order)) else value)
                for name, value in features.items()
            }
            yield positions.numpy(), batch


def _is_token_tensor(value: Any, texts: int) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() == 2 and value.shape[0] == texts


def book_centroids(embeddings: np.ndarray, owners: np.ndarray, books: int) -> np.ndarray:
    """(books, dim): the mean of each book's normalized passage embeddings, re-normalized.

    ``owners[i]`` is the book index of ``embeddings[i]``; a book without embeddings gets a zero row.
    """
    sums = np.zeros((books, embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, owners, embeddings)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
