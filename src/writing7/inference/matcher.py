"""``Matcher``: the Python API over a trained, calibrated bi-encoder.

    >>> matcher = Matcher.load("artifacts/models/book_matcher_contrastive/final")
    >>> matcher.score(passage_a, passage_b)
    {'p_same_book': 0.91, 'p_same_author': 0.95, 'decision': True, 'abstained': False, ...}

Probabilities come from the pair head's logits through the calibration that ``writing7 calibrate``
fitted on validation pairs (temperature/Platt, then a threshold and an abstention band);
``style_similarity`` maps the embedding cosine through the fitted monotone style map. A model
without calibration is refused unless ``uncalibrated=True``, which uses ``sigmoid(logit)``, a 0.5
threshold, no abstention and ``(cosine + 1) / 2``, and says ``"calibrated": False`` in every result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import ArtifactLayout
from writing7.calibration.scoring import score_pairs
from writing7.config.inference import InferenceConfig
from writing7.inference.documents import ChunkingSettings, DocumentCalibration, compare_documents

logger = logging.getLogger(__name__)

Pair = tuple[str, str]


def default_model_dir() -> Path:
    """``$WRITING7_ARTIFACTS/models/book_matcher_contrastive/final`` (artifacts default ``./artifacts``)."""
    return ArtifactLayout.from_env().bi_encoder


class UncalibratedTarget:
    """The explicit uncalibrated mode for one target: ``p = sigmoid(logit)``, threshold 0.5, no band."""

    threshold_ = 0.5
    band_ = (0.5, 0.5)

    def probability(self, logits: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=float)))

    def decide_batch(self, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probabilities = np.asarray(probabilities, dtype=float)
        return probabilities >= self.threshold_, np.zeros(probabilities.shape, dtype=bool)

    def pan_values(self, probabilities: np.ndarray) -> np.ndarray:
        return np.asarray(probabilities, dtype=float)


class UncalibratedStyle:
    """The explicit uncalibrated style score: ``(cosine + 1) / 2``."""

    def predict(self, cosines: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(cosines, dtype=float) + 1.0) / 2.0, 0.0, 1.0)


class UncalibratedBundle:
    def __init__(self) -> None:
        self.book, self.author, self.style = UncalibratedTarget(), UncalibratedTarget(), UncalibratedStyle()


def load_calibration(model_dir: Path, *, uncalibrated: bool) -> Any:
    """The fitted calibration next to the model, or the flagged uncalibrated stand-in when asked for."""
    if uncalibrated:
        logger.warning("scoring UNCALIBRATED: probabilities are sigmoid(logit), style is (cosine+1)/2")
        return UncalibratedBundle()
    from writing7.calibration.bundle import MatcherCalibration

    if not MatcherCalibration.exists(model_dir):
        raise FileNotFoundError(
            f"no calibration.json / style_calibration.json in {model_dir}: run `writing7 calibrate` first "
            "(or pass --uncalibrated to score with raw, flagged probabilities)"
        )
    return MatcherCalibration.load(model_dir)


def load_document_calibration(model_dir: Path) -> DocumentCalibration | None:
    path = Path(model_dir) / DocumentCalibration.FILE_NAME
    if not path.is_file():
        return None
    return DocumentCalibration.from_dict(json.loads(path.read_text(encoding="utf-8")))


class Matcher:
    """Score passage pairs (same book, same author), style similarity, embeddings, whole documents."""

    def __init__(self, model: Any, calibration: Any, *, model_dir: Path, calibrated: bool,
                 document_calibration: DocumentCalibration | None = None, config: InferenceConfig | None = None) -> None:
        self.model = model
        self.calibration = calibration
        self.model_dir = Path(model_dir)
        self.calibrated = calibrated
        self.document_calibration = document_calibration
        self.config = config or InferenceConfig()

    @classmethod
    def load(cls, model_dir: Path | str | None = None, *, device: str | None = None, uncalibrated: bool | None = None,
             config: InferenceConfig | None = None) -> Matcher:
        """Load the model folder ``model_dir`` (default :func:`default_model_dir`) and its calibration."""
        from writing7.models.matcher import MatcherModel

        config = config or InferenceConfig()
        uncalibrated = config.uncalibrated if uncalibrated is None else uncalibrated
        model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not model_dir.is_dir():
            raise FileNotFoundError(f"model folder {model_dir} not found: run `writing7 train` first or pass --model DIR")
        calibration = load_calibration(model_dir, uncalibrated=uncalibrated)
        model = MatcherModel.load(model_dir, device=device)
        return cls(model, calibration, model_dir=model_dir, calibrated=not uncalibrated,
                   document_calibration=load_document_calibration(model_dir), config=config)

    # -- pairs ---------------------------------------------------------------------------------
    def score(self, text_a: str, text_b: str) -> dict[str, Any]:
        """``{p_same_book, p_same_author, decision, abstained, ...}`` for one pair (see :meth:`score_batch`)."""
        return self.score_batch([(text_a, text_b)])[0]

    def score_batch(self, pairs: Sequence[Pair]) -> list[dict[str, Any]]:
        """Calibrated scores for many pairs, one batched forward.

        Each text is encoded once however often it repeats. ``decision`` answers "same book?" and is
        None when ``abstained`` (the probability lies in the calibrated abstention band);
        ``author_decision``/``author_abstained`` answer "same author?"; ``pan_book``/``pan_author`` are
        the PAN answers (0.5 when abstaining).
        """
        if not pairs:
            return []
        _check_pairs(pairs)
        scores = score_pairs(self.model, [p[0] for p in pairs], [p[1] for p in pairs], batch_size=self.config.batch_size)
        return self.scores_from_logits(scores.logits)  # logits (n, 2)

    def scores_from_logits(self, logits: np.ndarray) -> list[dict[str, Any]]:
        """Calibrated result dicts from (n, 2) raw pair-head logits ([:, 0] book, [:, 1] author)."""
        book = self._target(self.calibration.book, logits[:, 0])
        author = self._target(self.calibration.author, logits[:, 1])
        return [
            {"p_same_book": book["p"][i], "p_same_author": author["p"][i],
             "decision": book["decision"][i], "abstained": book["abstained"][i],
             "author_decision": author["decision"][i], "author_abstained": author["abstained"][i],
             "pan_book": book["pan"][i], "pan_author": author["pan"][i], "calibrated": self.calibrated}
            for i in range(logits.shape[0])
        ]

    @staticmethod
    def _target(calibrator: Any, logits: np.ndarray) -> dict[str, list]:
        """Probabilities, decisions (None where abstaining), abstentions and PAN answers for one task."""
        probabilities = np.asarray(calibrator.probability(logits), dtype=float).reshape(-1)  # (n,)
        decisions, abstained = calibrator.decide_batch(probabilities)
        return {"p": probabilities.tolist(), "abstained": np.asarray(abstained).tolist(),
                "decision": [None if skip else bool(same) for same, skip in zip(decisions, abstained)],
                "pan": np.asarray(calibrator.pan_values(probabilities), dtype=float).tolist()}

    def style_similarity(self, text_a: str, text_b: str) -> float:
        """Calibrated style similarity in [0, 1] (the fitted monotone map of the embedding cosine)."""
        return self.style_similarity_batch([(text_a, text_b)])[0]

    def style_similarity_batch(self, pairs: Sequence[Pair]) -> list[float]:
        if not pairs:
            return []
        _check_pairs(pairs)
        cosines = score_pairs(self.model, [p[0] for p in pairs], [p[1] for p in pairs], batch_size=self.config.batch_size).cosines  # (n,)
        return np.clip(self.calibration.style.predict(cosines), 0.0, 1.0).astype(float).tolist()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised embeddings."""
        if isinstance(texts, str):
            raise ValueError("embed takes a list of texts; wrap a single text as [text]")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self.model.encode(list(texts), batch_size=self.config.batch_size), dtype=np.float32)

    @property
    def dimension(self) -> int:
        return int(self.model.encoder.embedding_dim)

    # -- documents -------------------------------------------------------------------------------
    def chunking(self) -> ChunkingSettings:
        """The document chunking: the one the document calibration was fitted with, else the config's."""
        if self.document_calibration is not None:
            return self.document_calibration.settings
        return ChunkingSettings.from_config(self.config)

    def compare_documents(self, document_a: str, document_b: str) -> dict[str, Any]:
        """One calibrated probability for two long texts (see :mod:`writing7.inference.documents`)."""
        if self.document_calibration is None and self.calibrated:
            raise FileNotFoundError(
                f"no {DocumentCalibration.FILE_NAME} in {self.model_dir}: run `writing7 calibrate-documents` first "
                "(or pass --uncalibrated for a flagged mean-logit estimate)"
            )
        return compare_documents(self, document_a, document_b)


def _check_pairs(pairs: Sequence[Pair]) -> None:
    for position, pair in enumerate(pairs):
        if len(pair) != 2 or not all(isinstance(text, str) for text in pair):
            raise ValueError(f"pair {position} is not two texts: pass (text_a, text_b) string pairs")
        if not pair[0].strip() or not pair[1].strip():
            raise ValueError(f"pair {position} has an empty text: both texts need some words")
