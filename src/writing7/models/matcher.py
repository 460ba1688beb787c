"""MatcherModel: the trained bi-encoder + pair head + style features, as saved in ``final/``.

Folder layout (a SentenceTransformer folder plus Writing7 files)::

    modules.json, config.json, model.safetensors, tokenizer*, 1_Pooling/, 2_Dense/, .../N_Normalize/
    pair_head.safetensors        PairHead state (weights + feature standardisation buffers)
    style_features/              char/word idf (.npy) and z-score statistics (JSON)
    writing7_model.json          base model, dims, max_seq_length, head/feature config, training summary
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from writing7.models.bi_encoder import BiEncoder, encode_token_ids
from writing7.models.pair_head import PairHead
from writing7.models.runtime import resolve_device, use_bf16
from writing7.models.style_features import StyleFeaturizer, TextFeatures, pair_feature_tensor

logger = logging.getLogger(__name__)

INFO_FILE = "writing7_model.json"
PAIR_HEAD_FILE = "pair_head.safetensors"
STYLE_DIRECTORY = "style_features"
FORMAT_VERSION = 1


def unique_rows(texts1: Sequence[str], texts2: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Distinct texts of both sides and the row of each side's text in that list."""
    position: dict[str, int] = {}
    for text in (*texts1, *texts2):
        position.setdefault(text, len(position))
    rows1 = np.fromiter((position[text] for text in texts1), dtype=np.int64, count=len(texts1))
    rows2 = np.fromiter((position[text] for text in texts2), dtype=np.int64, count=len(texts2))
    return list(position), rows1, rows2


class MatcherModel:
    """Same-book / same-author logits and embeddings for passages of prose."""

    def __init__(self, encoder: BiEncoder, head: PairHead, featurizer: StyleFeaturizer | None, info: dict[str, Any], *, device: str | None = None, precision: str = "auto") -> None:
        self.device = resolve_device(device)
        self.encoder = encoder.to(self.device).eval()
        self.head = head.to(self.device).eval()
        self.featurizer = featurizer
        self.info = info
        self.bf16 = use_bf16(precision, self.device)

    # -- persistence --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str, device: str | None = None, *, precision: str = "auto") -> MatcherModel:
        """Load ``final/`` written by :meth:`save`; ``precision="fp32"`` disables bf16 autocast."""
        from safetensors.torch import load_file

        path = Path(path)
        info_path = path / INFO_FILE
        if not info_path.is_file():
            raise FileNotFoundError(f"{info_path} not found: {path} is not a Writing7 model folder; run `writing7 train` first")
        info = json.loads(info_path.read_text(encoding="utf-8"))
        resolved = resolve_device(device)
        encoder = BiEncoder.load(path, device=str(resolved))
        head = PairHead(**info["pair_head"])
        head.load_state_dict(load_file(str(path / PAIR_HEAD_FILE)))
        featurizer = StyleFeaturizer.load(path / STYLE_DIRECTORY) if info.get("style_features") else None
        return cls(encoder, head, featurizer, info, device=str(resolved), precision=precision)

    def save(self, path: Path | str, *, training_summary: dict[str, Any] | None = None) -> None:
        """Write the model folder (``path`` must not hold another model's files)."""
        from safetensors.torch import save_file

        path = Path(path)
        self.encoder.save(path)
        save_file({key: value.detach().cpu().contiguous() for key, value in self.head.state_dict().items()}, str(path / PAIR_HEAD_FILE))
        if self.featurizer is not None:
            self.featurizer.save(path / STYLE_DIRECTORY)
        if training_summary is not None:
            self.info["training"] = training_summary
        self.info.update(
            format_version=FORMAT_VERSION, embedding_dim=self.encoder.embedding_dim, max_seq_length=self.encoder.max_seq_length,
            pair_head=self.head.config(), logits=["same_book", "same_author"],
            pair_feature_names=list(StyleFeaturizer.PAIR_FEATURE_NAMES) if self.featurizer else [],
            style_features=dataclasses.asdict(self.featurizer.settings) if self.featurizer else None,
        )
        (path / INFO_FILE).write_text(json.dumps(self.info, indent=2, default=str) + "\n", encoding="utf-8")

    # -- embeddings ---------------------------------------------------------------------------
    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(n,) texts -> (n, embedding_dim) float32 L2-normalised embeddings (length-sorted batches)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.encoder.embedding_dim), dtype=np.float32)
        token_ids = self.encoder.tokenize(texts)
        embeddings = encode_token_ids(self.encoder, token_ids, batch_size=batch_size, device=self.device, bf16=self.bf16)
        return embeddings.numpy()

    def cosine(self, texts1: Sequence[str], texts2: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Cosine similarity of each pair, (n,) float32 in [-1, 1]."""
        _check_pairs(texts1, texts2)
        distinct, rows1, rows2 = unique_rows(texts1, texts2)
        embeddings = self.encode(distinct, batch_size=batch_size)
        return np.sum(embeddings[rows1] * embeddings[rows2], axis=1).astype(np.float32)

    # -- pair logits --------------------------------------------------------------------------
    def pair_logits(self, texts1: Sequence[str], texts2: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(n, 2) float32: [:, 0] same-book logit, [:, 1] same-author logit (uncalibrated)."""
        _check_pairs(texts1, texts2)
        distinct, rows1, rows2 = unique_rows(texts1, texts2)
        embeddings = self.encode(distinct, batch_size=batch_size)
        features = self._text_features(distinct)
        return self._logits(embeddings[rows1], embeddings[rows2], features, rows1, rows2)

    def pair_logits_from_embeddings(self, embeddings1: np.ndarray, embeddings2: np.ndarray, texts1: Sequence[str], texts2: Sequence[str]) -> np.ndarray:
        """Like :meth:`pair_logits` for pairs whose embeddings are already known (texts give the style features)."""
        _check_pairs(texts1, texts2)
        if len(embeddings1) != len(texts1) or len(embeddings2) != len(texts2):
            raise ValueError(f"got {len(embeddings1)}/{len(embeddings2)} embeddings for {len(texts1)} pairs: pass one embedding per text")
        distinct, rows1, rows2 = unique_rows(texts1, texts2)
        features = self._text_features(distinct)
        return self._logits(np.asarray(embeddings1), np.asarray(embeddings2), features, rows1, rows2)

    def _text_features(self, texts: list[str]) -> TextFeatures | None:
        return self.featurizer.transform(texts) if self.featurizer is not None else None

    @torch.inference_mode()
    def _logits(self, embeddings1: np.ndarray, embeddings2: np.ndarray, features: TextFeatures | None, rows1: np.ndarray, rows2: np.ndarray, chunk: int = 4096) -> np.ndarray:
        output = np.zeros((len(rows1), 2), dtype=np.float32)
        for start in range(0, len(rows1), chunk):
            stop = start + chunk
            pair_features = pair_feature_tensor(features, rows1[start:stop], rows2[start:stop])  # (p, k)
            logits = self.head(
                torch.as_tensor(embeddings1[start:stop], dtype=torch.float32, device=self.device),
                torch.as_tensor(embeddings2[start:stop], dtype=torch.float32, device=self.device),
                pair_features.to(self.device),
            )  # (p, 2)
            output[start:stop] = logits.float().cpu().numpy()
        return output


def _check_pairs(texts1: Sequence[str], texts2: Sequence[str]) -> None:
    if len(texts1) != len(texts2):
        raise ValueError(f"texts1 has {len(texts1)} texts but texts2 has {len(texts2)}: pass two lists of equal length")
