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
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from writing7.models.bi_encoder import BiEncoder, encode_token_ids
from writing7.models.embedding_cache import EmbeddingCache, cache_name, token_key
from writing7.models.pair_head import PairHead
from writing7.models.runtime import (
    LOAD_ERRORS, PrecisionPlan, check_model_files, damaged_model, int8_backend, int8_encoder, resolve_device, resolve_precision,
)
from writing7.models.scoring import ENCODE_BATCH_SIZE, check_pairs, unique_texts
from writing7.models.style_features import StyleFeaturizer, TextFeatures, pair_feature_tensor

logger = logging.getLogger(__name__)

INFO_FILE = "writing7_model.json"
PRECISION_CHECK_SIZE = 16  # texts of the first encode call that ``precision="auto"`` checks its choice on
PAIR_HEAD_FILE = "pair_head.safetensors"
STYLE_DIRECTORY = "style_features"
FORMAT_VERSION = 1


class MatcherModel:
    """Same-book / same-author logits and embeddings for passages of prose.

    ``precision`` (``auto | fp32 | bf16 | int8``, :mod:`writing7.models.runtime`) sets how :meth:`encode` runs the
    encoder: int8 encodes with a dynamically quantized copy of it (:func:`~writing7.models.runtime.int8_encoder`, made here when int8
    is asked for, at the check when ``auto`` chooses it), while :attr:`encoder` stays float32
    (training and :meth:`save` use it). With ``auto`` the first :meth:`encode` call checks the choice against
    float32 on its first :data:`PRECISION_CHECK_SIZE` texts and falls back to float32 when they differ.
    """

    def __init__(self, encoder: BiEncoder, head: PairHead, featurizer: StyleFeaturizer | None, info: dict[str, Any], *, device: str | None = None, precision: str = "auto") -> None:
        self.device = resolve_device(device)
        self.encoder = encoder.to(self.device).eval()
        self.head = head.to(self.device).eval()
        self.featurizer = featurizer
        self.info = info
        self.precision_plan = PrecisionPlan(precision, self.device)
        self.quantized_encoder = int8_encoder(self.encoder) if precision == "int8" else None
        self._check_lock = threading.Lock()  # the service encodes from several threads: one check, not one per thread
        self._cache_key: tuple[str, Path] | None = None  # (model hash, folder) once cache_embeddings is called
        self._cache: EmbeddingCache | None = None

    @property
    def precision(self) -> str:
        """The path :meth:`encode` runs: ``fp32``, ``bf16`` or ``int8`` (``auto`` resolved, and checked once it has encoded)."""
        return self.precision_plan.precision

    @property
    def bf16(self) -> bool:
        return self.precision_plan.bf16

    @property
    def int8_backend(self) -> str | None:
        """Where the int8 encoder runs (``onnxruntime`` or ``torch``); None while there is none."""
        if self.quantized_encoder is None:
            return None
        return getattr(self.quantized_encoder, "backend", "torch")

    # -- persistence --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str, device: str | None = None, *, precision: str = "auto") -> MatcherModel:
        """Load ``final/`` written by :meth:`save`; ``precision`` is ``auto``, ``fp32``, ``bf16`` or ``int8`` (see the class).

        Damaged files (a truncated ``model.safetensors``, a broken JSON file) raise
        :class:`~writing7.models.runtime.DamagedModelError` naming the folder, and the file when it
        can be told, instead of the loader's traceback.
        """
        from writing7.artifacts import MANIFEST_NAME, MODEL_SIDECAR_FILES

        path = Path(path)
        info_path = path / INFO_FILE
        if not info_path.is_file():
            raise FileNotFoundError(f"{info_path} not found: {path} is not a Writing7 model folder; run `writing7 train` first")
        resolved = resolve_device(device)
        if resolve_precision(precision, resolved) == "int8":  # a bad setting fails before any file is read
            int8_backend()  # and so does a bad $WRITING7_INT8_BACKEND (not "the folder is damaged")
        check_model_files(path, skip=(MANIFEST_NAME, *MODEL_SIDECAR_FILES))  # calibration files are not the model's
        try:
            return cls._load_files(path, resolved, precision)
        except torch.cuda.OutOfMemoryError:
            raise  # a full device, not a damaged folder
        except LOAD_ERRORS as error:
            raise damaged_model(path, error) from error

    @classmethod
    def _load_files(cls, path: Path, device: torch.device, precision: str) -> MatcherModel:
        from safetensors.torch import load_file

        info = json.loads((path / INFO_FILE).read_text(encoding="utf-8"))
        encoder = BiEncoder.load(path, device=str(device))
        head = PairHead(**info["pair_head"])
        head.load_state_dict(load_file(str(path / PAIR_HEAD_FILE)))
        featurizer = StyleFeaturizer.load(path / STYLE_DIRECTORY) if info.get("style_features") else None
        return cls(encoder, head, featurizer, info, device=str(device), precision=precision)

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
    def cache_embeddings(self, model_dir: Path, directory: Path | None = None) -> None:
        """Keep every embedding :meth:`encode` computes from now on in an :class:`~writing7.models.embedding_cache.EmbeddingCache`
        under ``directory`` (default ``cache_dir()/embeddings``), and read it back instead of encoding again.

        ``model_dir`` is the folder this model was loaded from (its files, calibration sidecars aside, name the cache). For
        the stages that encode the same passages (calibrate, evaluate), not for serving: a service's texts do not repeat.
        """
        from writing7.artifacts import cache_dir, hash_tree

        self._cache_key, self._cache = (hash_tree(Path(model_dir)), Path(directory) if directory else cache_dir() / "embeddings"), None

    def _embedding_cache(self) -> EmbeddingCache | None:
        """The cache of the precision :meth:`encode` runs; None when not caching or while ``auto``'s check is pending."""
        if self._cache_key is None or self.precision_plan.check_pending:
            return None
        model_hash, directory = self._cache_key
        path = directory / cache_name(model_hash, self.precision, self.int8_backend or "", torch.__version__)
        if self._cache is None or self._cache.path != path:
            self._cache = EmbeddingCache(path, self.encoder.embedding_dim)
        return self._cache

    def encode(self, texts: Sequence[str], batch_size: int = ENCODE_BATCH_SIZE) -> np.ndarray:
        """(n,) texts -> (n, embedding_dim) float32 L2-normalised embeddings (length-sorted batches; cached texts read
        back when :meth:`cache_embeddings` was called, keyed by their token ids)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.encoder.embedding_dim), dtype=np.float32)
        token_ids = self.encoder.tokenize(texts)
        cache = self._embedding_cache()
        if cache is None:
            embeddings = self._encode_tokens(token_ids, batch_size)
            if (cache := self._embedding_cache()) is not None:  # auto's check has just settled the precision
                cache.store([token_key(ids) for ids in token_ids], embeddings)
            return embeddings
        keys = [token_key(ids) for ids in token_ids]
        found = cache.lookup(keys)
        missing = {key: ids for key, ids in zip(keys, token_ids) if key not in found}
        if missing:
            computed = self._encode_tokens(list(missing.values()), batch_size)
            cache.store(list(missing), computed)
            found.update(zip(missing, computed))
        return np.stack([found[key] for key in keys])

    def _encode_tokens(self, token_ids: list[list[int]], batch_size: int) -> np.ndarray:
        """Embeddings of tokenized texts at the plan's precision (``auto``'s check first, when pending)."""
        if self.precision_plan.check_pending:
            with self._check_lock:
                if self.precision_plan.check_pending:
                    checked = self._check_precision(token_ids[:PRECISION_CHECK_SIZE], batch_size)
                    return np.concatenate([checked, self._encode_token_ids(token_ids[PRECISION_CHECK_SIZE:], batch_size)])
        return self._encode_token_ids(token_ids, batch_size)

    def _encode_token_ids(self, token_ids: list[list[int]], batch_size: int, *, precision: str | None = None) -> np.ndarray:
        """Embeddings at ``precision`` (default: the plan's) of tokenized texts, (n, dim) float32."""
        precision = precision or self.precision
        if not token_ids:
            return np.zeros((0, self.encoder.embedding_dim), dtype=np.float32)
        if precision == "int8":
            if self.quantized_encoder is None:
                self.quantized_encoder = int8_encoder(self.encoder)
            return encode_token_ids(self.quantized_encoder, token_ids, batch_size=batch_size, device=self.device, bf16=False).numpy()
        return encode_token_ids(self.encoder, token_ids, batch_size=batch_size, device=self.device, bf16=precision == "bf16").numpy()

    def _check_precision(self, token_ids: list[list[int]], batch_size: int) -> np.ndarray:
        """``auto``'s check: embed the check batch at float32 and at the chosen precision; keep it if they match.

        Returns the check batch's embeddings at the precision kept, so every row of a call has one precision.
        """
        reference = self._encode_token_ids(token_ids, batch_size, precision="fp32")
        candidate = self._encode_token_ids(token_ids, batch_size)
        kept = self.precision_plan.settle(reference, candidate)
        if kept == "fp32":
            self.quantized_encoder = None
            return reference
        return candidate

    # -- pair logits --------------------------------------------------------------------------
    def pair_logits_from_embeddings(self, embeddings1: np.ndarray, embeddings2: np.ndarray, texts1: Sequence[str], texts2: Sequence[str]) -> np.ndarray:
        """(n, 2) float32 logits, [:, 0] same book, [:, 1] same author (uncalibrated), of pairs whose embeddings are known.

        The texts give the style features. To score pairs of texts from scratch, use
        :func:`writing7.models.scoring.score_text_pairs` (it encodes each distinct text once, then calls this).
        """
        check_pairs(texts1, texts2)
        if len(embeddings1) != len(texts1) or len(embeddings2) != len(texts2):
            raise ValueError(f"got {len(embeddings1)}/{len(embeddings2)} embeddings for {len(texts1)} pairs: pass one embedding per text")
        distinct, rows1, rows2 = unique_texts(texts1, texts2)
        embeddings = np.zeros((len(distinct), np.asarray(embeddings1).shape[1]), dtype=np.float32)
        embeddings[rows1], embeddings[rows2] = embeddings1, embeddings2
        return self.pair_logits_for_rows(embeddings, self.text_features(distinct), rows1, rows2)

    def text_features(self, texts: Sequence[str]) -> TextFeatures | None:
        """The pair head's per-text style features of ``texts`` (None when the model has none)."""
        return self.featurizer.transform(list(texts)) if self.featurizer is not None else None

    @torch.inference_mode()
    def pair_logits_between(self, embeddings: np.ndarray, features: TextFeatures | None, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        """(len(rows_a), len(rows_b), 2) logits of every pair of a row of ``rows_a`` with a row of ``rows_b``.

        The TF-IDF cosines come from one sparse (a, b) cross product (:meth:`StyleFeaturizer.pair_features_between`)
        instead of one sparse row product per pair, and the head reads all ``a * b`` pairs in one call.
        """
        rows_a, rows_b = np.asarray(rows_a), np.asarray(rows_b)
        first, second = np.repeat(rows_a, len(rows_b)), np.tile(rows_b, len(rows_a))
        if features is None:
            pair_features = torch.zeros((len(first), 0), dtype=torch.float32)
        else:
            pair_features = torch.from_numpy(StyleFeaturizer.pair_features_between(features, rows_a, rows_b))
        logits = self.head(
            torch.as_tensor(embeddings[first], dtype=torch.float32, device=self.device),
            torch.as_tensor(embeddings[second], dtype=torch.float32, device=self.device),
            pair_features.to(self.device),
        )  # (a * b, 2)
        return logits.float().cpu().numpy().reshape(len(rows_a), len(rows_b), 2)

    @torch.inference_mode()
    def pair_logits_for_rows(self, embeddings: np.ndarray, features: TextFeatures | None, rows1: np.ndarray, rows2: np.ndarray,
                             chunk: int = 4096) -> np.ndarray:
        """(p, 2) logits of the pairs ``(rows1[k], rows2[k])`` of texts whose (n, dim) embeddings and style features are known.

        Pairs are processed ``chunk`` at a time, so memory stays bounded however many pairs are asked for.
        """
        output = np.zeros((len(rows1), 2), dtype=np.float32)
        for start in range(0, len(rows1), chunk):
            first, second = rows1[start:start + chunk], rows2[start:start + chunk]
            pair_features = pair_feature_tensor(features, first, second)  # (p, k)
            logits = self.head(
                torch.as_tensor(embeddings[first], dtype=torch.float32, device=self.device),
                torch.as_tensor(embeddings[second], dtype=torch.float32, device=self.device),
                pair_features.to(self.device),
            )  # (p, 2)
            output[start:start + chunk] = logits.float().cpu().numpy()
        return output

