"""``Matcher``: the Python API over a trained, calibrated bi-encoder.

    >>> matcher = Matcher.load("artifacts/models/book_matcher_contrastive/final")
    >>> matcher.score(passage_a, passage_b)
    {'p_same_book': 0.91, 'p_same_author': 0.95, 'decision': True, 'abstained': False, ...}

Texts may have any length: each is read as passages spread over all of it, every passage pair is
scored, and the verdict (:mod:`writing7.inference.verdict`, fitted by ``writing7 calibrate`` on
validation authors at 200 to whole-book lengths) fuses the passage logits with whole-text
stylometry into calibrated probabilities, a decision and a PAN abstention band per length band.
Every result says how much text it used (``words`` and ``passages`` per side). ``style_similarity``
maps the cosine of the two texts' mean passage embeddings through the fitted monotone style map. A
model without a verdict is refused unless ``uncalibrated=True``, which uses ``sigmoid(mean passage
logit)``, a 0.5 threshold, no abstention and ``(cosine + 1) / 2``, and says ``"calibrated": False``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import ArtifactLayout
from writing7.inference.documents import PASSAGE_FEATURE_NAMES
from writing7.inference.settings import MatcherSettings
from writing7.inference.verdict import FEATURE_NAMES, TASKS, PairFeatures, TextRepresentations, Verdict, VerdictFeaturizer, band_of

logger = logging.getLogger(__name__)

Pair = tuple[str, str]


def default_model_dir() -> Path:
    """``$WRITING7_ARTIFACTS/models/book_matcher_contrastive/final`` (artifacts default ``./artifacts``)."""
    return ArtifactLayout.from_env().bi_encoder


class UncalibratedVerdict:
    """The explicit uncalibrated mode: ``p = sigmoid(mean passage logit)``, threshold 0.5, no abstention, no stylometry."""

    columns = {"book": PASSAGE_FEATURE_NAMES.index("book_mean"), "author": PASSAGE_FEATURE_NAMES.index("author_mean")}

    min_words = 0

    def too_short(self, features: PairFeatures) -> np.ndarray:
        return np.zeros(len(features.values), bool)

    def predict(self, task: str, features: PairFeatures) -> dict[str, np.ndarray]:
        logit = features.values[:, self.columns[task]]
        p = 1.0 / (1.0 + np.exp(-logit))
        return {"p": p, "logit": logit, "decision": p >= 0.5, "abstained": np.zeros(p.shape, bool), "pan": p}


class UncalibratedStyle:
    """The explicit uncalibrated style score: ``(cosine + 1) / 2``."""

    def predict(self, cosines: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(cosines, dtype=float) + 1.0) / 2.0, 0.0, 1.0)


def load_verdict(model_dir: Path, *, uncalibrated: bool) -> tuple[Verdict | UncalibratedVerdict, Any]:
    """``(verdict, style map)`` next to the model, or the flagged uncalibrated stand-ins when asked for."""
    if uncalibrated:
        logger.warning("scoring UNCALIBRATED: probabilities are sigmoid(mean passage logit), style is (cosine+1)/2")
        return UncalibratedVerdict(), UncalibratedStyle()
    from writing7.calibration.bundle import MatcherCalibration

    if not Verdict.exists(model_dir) or not MatcherCalibration.exists(model_dir):
        raise FileNotFoundError(
            f"no verdict.json / style_calibration.json in {model_dir}: run `writing7 calibrate` first "
            "(or pass --uncalibrated to score with raw, flagged probabilities)"
        )
    return Verdict.load(model_dir), MatcherCalibration.load(model_dir).style


class Matcher:
    """Score text pairs of any length (same book, same author), style similarity, embeddings."""

    def __init__(self, model: Any, verdict: Verdict | UncalibratedVerdict, style: Any, *, model_dir: Path,
                 config: MatcherSettings | None = None) -> None:
        self.model = model
        self.verdict = verdict
        self.style = style
        self.model_dir = Path(model_dir)
        self.calibrated = isinstance(verdict, Verdict)
        self.config = config or MatcherSettings()
        self.featurizer = VerdictFeaturizer(model, verdict.profiler if self.calibrated else None, self._settings(),
                                            batch_size=self.config.batch_size)

    @classmethod
    def load(cls, model_dir: Path | str | None = None, *, device: str | None = None, uncalibrated: bool | None = None,
             config: MatcherSettings | None = None) -> Matcher:
        """Load the model folder ``model_dir`` (default :func:`default_model_dir`) and its verdict; the encoder runs at
        ``config.precision`` (auto, fp32, bf16 or int8)."""
        from writing7.models.matcher import MatcherModel

        config = config or MatcherSettings()
        uncalibrated = config.uncalibrated if uncalibrated is None else uncalibrated
        model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not model_dir.is_dir():
            raise FileNotFoundError(f"model folder {model_dir} not found: run `writing7 train` first or pass --model DIR")
        verdict, style = load_verdict(model_dir, uncalibrated=uncalibrated)
        model = MatcherModel.load(model_dir, device=device, precision=config.precision)
        return cls(model, verdict, style, model_dir=model_dir, config=config)

    def _settings(self) -> Any:
        """The verdict's passage settings, with the config's work cap when one is set."""
        from writing7.inference.documents import ChunkingSettings

        settings = self.verdict.settings if self.calibrated else ChunkingSettings()
        if self.config.max_chunks_per_document:
            settings = dataclasses.replace(settings, max_chunks=self.config.max_chunks_per_document)
        return settings

    # -- pairs ---------------------------------------------------------------------------------
    def score(self, text_a: str, text_b: str) -> dict[str, Any]:
        """``{p_same_book, p_same_author, decision, abstained, ..., words, passages}`` for one pair (see :meth:`score_batch`)."""
        return self.score_batch([(text_a, text_b)])[0]

    def score_batch(self, pairs: Sequence[Pair]) -> list[dict[str, Any]]:
        """Calibrated scores for many pairs of texts of any length.

        Each distinct text is read (passages spread over all of it), encoded and profiled once however
        often it repeats. ``decision`` answers "same book?" and is None when ``abstained`` (the
        probability lies in the band's abstention interval); ``author_decision``/``author_abstained``
        answer "same author?"; ``pan_book``/``pan_author`` are the PAN answers (0.5 when abstaining);
        ``words``/``passages`` say how much of each text was read; ``length_band`` names the head used;
        ``too_short`` marks a pair whose shorter text is below the verdict's ``min_words``, where both
        tasks abstain with probability 0.5 (the verdict was never fitted on texts that short).
        """
        return self._results(self.features(pairs))

    def features(self, pairs: Sequence[Pair]) -> PairFeatures:
        """The verdict's inputs of ``pairs`` (:data:`writing7.inference.verdict.FEATURE_NAMES`)."""
        if not pairs:
            return PairFeatures(np.zeros((0, len(FEATURE_NAMES))), np.zeros((0, 2)), np.zeros((0, 2), int))
        _check_pairs(pairs)
        return self.featurizer.features([p[0] for p in pairs], [p[1] for p in pairs])

    def represent(self, texts: Sequence[str]) -> TextRepresentations:
        """What the verdict reads of each text (passages encoded, whole text profiled), reusable across pairs."""
        return self.featurizer.represent(list(texts))

    def features_between(self, texts: TextRepresentations, first: Sequence[int], second: Sequence[int]) -> PairFeatures:
        """The verdict's inputs of the pairs ``(texts[first[k]], texts[second[k]])`` of already represented texts."""
        return self.featurizer.pair_features(texts, np.asarray(first), np.asarray(second))

    def task_logits(self, task: str, features: PairFeatures) -> np.ndarray:
        """(n,) the verdict's logit of ``task`` ("book" or "author") for each pair: what its probability is the sigmoid of."""
        return np.asarray(self.verdict.predict(task, features)["logit"], dtype=np.float64)

    def explain(self, text_a: str, text_b: str, *, top: int = 10) -> dict[str, Any]:
        """:meth:`score` plus ``explanation``: per task the logit as bias + one contribution per feature, and the evidence.

        See :mod:`writing7.inference.explain`. Needs the calibrated verdict (its heads are what is explained).
        """
        return self._explained(text_a, text_b, top=top)[0]

    def _explained(self, text_a: str, text_b: str, *, top: int) -> tuple[dict[str, Any], PairFeatures]:
        """:meth:`explain`'s result and the pair's features (read once, as :meth:`score` reads them)."""
        from writing7.inference.explain import pair_evidence, task_contributions
        from writing7.models.scoring import unique_texts

        if not self.calibrated:
            raise ValueError("explanations need the calibrated verdict: load the model without --uncalibrated (run `writing7 calibrate`)")
        _check_pairs([(text_a, text_b)])
        distinct, first, second = unique_texts([text_a], [text_b])
        texts = self.represent(distinct)
        features = self.features_between(texts, first, second)
        result = self._results(features)[0]
        result["explanation"] = {
            "tasks": {task: task_contributions(self.verdict, task, features, 0) for task in TASKS},
            "evidence": pair_evidence(self.verdict.profiler, texts.profiles, text_a, text_b, int(first[0]), int(second[0]), top),
        }
        return result, features

    def _results(self, features: PairFeatures) -> list[dict[str, Any]]:
        book, author = (self.verdict.predict(task, features) for task in TASKS)
        too_short = self.verdict.too_short(features)
        if too_short.any():
            logger.warning("%d of %d pairs have a text under %d words, shorter than any the verdict was fitted on: no verdict "
                           "(p = 0.5, abstained); pass a paragraph or more of each text", too_short.sum(), too_short.size, self.verdict.min_words)
        style = np.clip(self.style.predict(features.values[:, PASSAGE_FEATURE_NAMES.index("centroid_cosine")]), 0.0, 1.0)
        return [
            {"p_same_book": float(book["p"][i]), "p_same_author": float(author["p"][i]),
             "decision": None if book["abstained"][i] else bool(book["decision"][i]), "abstained": bool(book["abstained"][i]),
             "author_decision": None if author["abstained"][i] else bool(author["decision"][i]), "author_abstained": bool(author["abstained"][i]),
             "pan_book": float(book["pan"][i]), "pan_author": float(author["pan"][i]), "style_similarity": float(style[i]),
             "words": features.words[i].astype(int).tolist(), "passages": features.passages[i].astype(int).tolist(),
             "length_band": band_of(features.shorter_words[i]), "too_short": bool(too_short[i]), "calibrated": self.calibrated}
            for i in range(len(features.values))
        ]

    def style_similarity(self, text_a: str, text_b: str) -> float:
        """Calibrated style similarity in [0, 1] (the fitted monotone map of the mean-passage-embedding cosine)."""
        return self.score(text_a, text_b)["style_similarity"]

    def style_similarity_batch(self, pairs: Sequence[Pair]) -> list[float]:
        return [result["style_similarity"] for result in self.score_batch(pairs)]

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
    def compare_documents(self, document_a: str, document_b: str, *, explain: bool = False) -> dict[str, Any]:
        """:meth:`score` of two documents plus the verdict's inputs (``features``): the same numbers, shown in full.

        ``explain``: also :meth:`explain`'s ``explanation``.
        """
        if explain:
            result, features = self._explained(document_a, document_b, top=10)
        else:
            features = self.features([(document_a, document_b)])
            result = self._results(features)[0]
        result["features"] = dict(zip(FEATURE_NAMES, np.round(features.values[0], 6).tolist()))
        return result


def _check_pairs(pairs: Sequence[Pair]) -> None:
    for position, pair in enumerate(pairs):
        if len(pair) != 2 or not all(isinstance(text, str) for text in pair):
            raise ValueError(f"pair {position} is not two texts: pass (text_a, text_b) string pairs")
        if not pair[0].strip() or not pair[1].strip():
            raise ValueError(f"pair {position} has an empty text: both texts need some words")
