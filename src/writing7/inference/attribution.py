"""Attribution: which of these candidate authors wrote the query text, if any of them?

Each candidate author ``i`` comes with known writings ``j = 1..n_i`` (any number, any length). The query
is scored against every known text through the one scoring path (:meth:`Matcher.represent`,
:meth:`Matcher.features_between`, the verdict's *same author* head), giving the calibrated same-author
log-odds ``s_ij`` of each (query, known text) pair. Then

    S_i = aggregate_j s_ij                       (mean or max over the author's texts, chosen on validation)
    P(author i)     = exp(S_i / T) / Z
    P(none of them) = exp(b + w * mean_k S_k / T) / Z,     Z = exp(b + w * mean_k S_k / T) + sum_k exp(S_k / T)

a softmax over the candidates plus an open-set "none of these" class. Its logit ``b + w * mean_k S_k / T``
is a background score: with ``w > 0`` a query that resembles *every* candidate (a common genre, a
period style) raises "none" as much as the candidates, so what counts is how far the best candidate
stands out from the rest -- the cohort normalisation of open-set speaker verification (Auckenthaler
et al., DSP 10, 2000; Z-norm), here with its weight learnt. ``T``, ``b`` and ``w`` are fitted by
maximum likelihood (:func:`fit_open_set_softmax`) on episodes of *validation* authors, per length
band of the query: a closed-set episode (the query's author among the candidates, label = that
author) and an open-set episode (its author removed, label = none) per query, in equal numbers; so
the probabilities are calibrated at an even prior between "one of them" and "none of them". This
is temperature scaling (Guo et al., ICML 2017) extended with a background class, as in open-set
authorship attribution (Stolerman et al., 2014: a confidence threshold for "unknown author").

Candidate representations are cached by content hash (:class:`RepresentationCache`): a second query
against the same candidates reads, encodes and profiles only the query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import atomic_write_bytes, atomic_write_json, read_versioned_json
from writing7.inference.verdict import LENGTH_BANDS, TextRepresentations, band_of

logger = logging.getLogger(__name__)
CALIBRATION_FILE = "attribution.json"
FORMAT, VERSION = "writing7-attribution", 1
AGGREGATIONS = ("mean", "max")


# -- the open-set softmax ---------------------------------------------------------------------------
def open_set_logits(scores: np.ndarray, temperature: float, none_logit: float, none_weight: float = 0.0) -> np.ndarray:
    """(N + 1,) the softmax's logits: ``S_i / T`` for each candidate, then ``b + w * mean_k S_k / T`` for "none"."""
    scaled = np.asarray(scores, dtype=np.float64) / temperature  # (N,)
    return np.append(scaled, none_logit + none_weight * scaled.mean())


def open_set_probabilities(scores: np.ndarray, temperature: float, none_logit: float, none_weight: float = 0.0) -> tuple[np.ndarray, float]:
    """``(P(author i) for each candidate, P(none))`` of the module docstring's formula; ``scores``: (N,) ``S_i``."""
    logits = open_set_logits(scores, temperature, none_logit, none_weight)
    logits -= logits.max()
    weights = np.exp(logits)
    probabilities = weights / weights.sum()
    return probabilities[:-1], float(probabilities[-1])


def episode_negative_log_likelihood(parameters: np.ndarray, episodes: Sequence[tuple[np.ndarray, int]]) -> float:
    """Mean ``-log P(label)`` over ``episodes`` of ``(scores (N,), label)``, label ``-1`` = none; ``parameters = (log T, b, w)``."""
    temperature, none_logit, none_weight = float(np.exp(parameters[0])), float(parameters[1]), float(parameters[2])
    total = 0.0
    for scores, label in episodes:
        logits = open_set_logits(scores, temperature, none_logit, none_weight)
        top = logits.max()
        log_normaliser = top + np.log(np.exp(logits - top).sum())
        total += log_normaliser - logits[label]  # label -1 indexes the none logit
    return total / max(len(episodes), 1)


def fit_open_set_softmax(episodes: Sequence[tuple[np.ndarray, int]]) -> tuple[dict[str, float], float]:
    """``({"temperature", "none_logit", "none_weight"}, mean NLL)`` maximising the likelihood of ``episodes``
    (L-BFGS over ``log T``, ``b`` and ``w``, from T = 1, b = 0, w = 0)."""
    from scipy.optimize import minimize

    if not episodes:
        raise ValueError("attribution calibration needs episodes: no validation queries could be cut (are the books long enough?)")
    result = minimize(episode_negative_log_likelihood, np.zeros(3), args=(list(episodes),), method="L-BFGS-B",
                      bounds=[(np.log(0.02), np.log(50.0)), (-30.0, 30.0), (-5.0, 5.0)])
    parameters = {"temperature": float(np.exp(result.x[0])), "none_logit": float(result.x[1]), "none_weight": float(result.x[2])}
    return parameters, float(result.fun)


def aggregate(logits: np.ndarray, how: str) -> float:
    """``S_i`` from an author's (n_i,) pair logits."""
    if how not in AGGREGATIONS:
        raise ValueError(f"aggregation {how!r} is not known; use one of: {', '.join(AGGREGATIONS)}")
    return float(np.mean(logits) if how == "mean" else np.max(logits))


@dataclasses.dataclass
class AttributionCalibration:
    """Per query length band: the open-set softmax's ``temperature``, ``none_logit`` and ``none_weight``; the aggregation."""

    aggregation: str
    bands: dict[str, dict[str, float]]  # band -> {"temperature", "none_logit", "none_weight", "validation_nll", "episodes"}
    fit: dict[str, Any] = dataclasses.field(default_factory=dict)

    def parameters(self, words: float) -> tuple[float, float, float]:
        """``(T, b, w)`` of the band of a query of ``words`` words (the nearest fitted band)."""
        order = [name for name, _ in LENGTH_BANDS]
        wanted = band_of(words)
        band = wanted if wanted in self.bands else min(self.bands, key=lambda name: abs(order.index(name) - order.index(wanted)))
        return self.bands[band]["temperature"], self.bands[band]["none_logit"], self.bands[band]["none_weight"]

    def save(self, model_dir: Path) -> Path:
        return atomic_write_json(Path(model_dir) / CALIBRATION_FILE, {"format": FORMAT, "version": VERSION, **dataclasses.asdict(self)})

    @classmethod
    def exists(cls, model_dir: Path) -> bool:
        return (Path(model_dir) / CALIBRATION_FILE).is_file()

    @classmethod
    def load(cls, model_dir: Path) -> AttributionCalibration:
        payload = read_versioned_json(Path(model_dir) / CALIBRATION_FILE, format=FORMAT, version=VERSION,
                                      missing="run `writing7 calibrate-attribution --corpus DIR` to fit attribution on validation authors",
                                      fix="run `writing7 calibrate-attribution --force`")
        return cls(payload["aggregation"], payload["bands"], payload.get("fit", {}))


# -- candidate representations, cached by content hash ---------------------------------------------
def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Bumped when TextRepresentations (or the profiles in it) change fields: an older pickle is then a miss, not an error.
REPRESENTATION_VERSION = 2


def model_key(matcher: Any) -> str:
    """What a cached representation depends on: its format, the verdict file, the passage settings, the weights' size and time."""
    digest = hashlib.sha256(f"representation {REPRESENTATION_VERSION}".encode())
    for name in ("verdict.json", "model.safetensors", "pair_head.safetensors"):
        path = matcher.model_dir / name
        if name.endswith(".json") and path.is_file():
            digest.update(path.read_bytes())
        elif path.is_file():
            status = path.stat()
            digest.update(f"{name}:{status.st_size}:{status.st_mtime_ns}".encode())
    digest.update(json.dumps(dataclasses.asdict(matcher.featurizer.settings), sort_keys=True).encode())
    return digest.hexdigest()[:16]


class RepresentationCache:
    """Text representations by content hash: in memory, and (when ``directory`` is set) one file per text on disk.

    Files are written atomically (a temporary sibling, then a rename), under ``directory/<model key>/``, so two
    models never share an entry and a crash never leaves half a file. They are Python pickles: keep the cache
    folder private to its user, like any cache of executable state. Memory keeps the ``max_in_memory`` most
    recently used texts (a long-running service sees many uploads); the disk keeps everything.
    """

    def __init__(self, matcher: Any, directory: Path | None = None, *, max_in_memory: int = 512) -> None:
        self.matcher = matcher
        self.directory = Path(directory) / "representations" / model_key(matcher) if directory is not None else None
        self.memory: OrderedDict[str, TextRepresentations] = OrderedDict()
        self.max_in_memory = max_in_memory
        self.computed = 0  # texts represented by this cache (misses): what a test of the cache counts

    def get(self, texts: Sequence[str]) -> list[TextRepresentations]:
        """One representation per text, computing (in one batch) only those neither in memory nor on disk."""
        keys = [text_hash(text) for text in texts]
        missing = {key: text for key, text in zip(keys, texts) if not self._lookup(key)}
        if missing:
            represented = self.matcher.represent(list(missing.values()))
            self.computed += len(missing)
            for position, key in enumerate(missing):
                self._store(key, represented.select(position))
        result = [self.memory[key] for key in keys]
        while len(self.memory) > max(self.max_in_memory, len(set(keys))):  # never evict what this call returns
            self.memory.popitem(last=False)
        return result

    def _lookup(self, key: str) -> bool:
        if key in self.memory:
            self.memory.move_to_end(key)
            return True
        path = self._path(key)
        if path is None or not path.is_file():
            return False
        try:
            self.memory[key] = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as error:
            logger.warning("attribution cache: %s unreadable (%s); recomputing it", path, error)
            return False
        return True

    def _store(self, key: str, representation: TextRepresentations) -> None:
        self.memory[key] = representation
        path = self._path(key)
        if path is not None:
            atomic_write_bytes(path, pickle.dumps(representation, protocol=pickle.HIGHEST_PROTOCOL))

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / key[:2] / f"{key}.pkl"


# -- attribution -----------------------------------------------------------------------------------
def check_candidates(candidates: Mapping[str, Sequence[str]]) -> None:
    """At least one author, each with at least one non-empty text."""
    if not candidates:
        raise ValueError("no candidate authors: give at least one author with known writings")
    for author, texts in candidates.items():
        if not texts or not all(isinstance(text, str) and text.strip() for text in texts):
            raise ValueError(f"candidate {author!r} has no text or an empty text: give each author at least one non-empty text")


class Attributor:
    """Rank candidate authors for a query text with the calibrated open-set softmax of the module docstring."""

    def __init__(self, matcher: Any, calibration: AttributionCalibration, *, cache: RepresentationCache | None = None) -> None:
        if not matcher.calibrated:
            raise ValueError("attribution needs the calibrated verdict: load the model without --uncalibrated (run `writing7 calibrate`)")
        self.matcher = matcher
        self.calibration = calibration
        self.cache = cache or RepresentationCache(matcher)

    @classmethod
    def load(cls, matcher: Any, *, cache_dir: Path | None = None) -> Attributor:
        """The attributor of ``matcher``'s model folder (its ``attribution.json``), caching under ``cache_dir`` when given."""
        return cls(matcher, AttributionCalibration.load(matcher.model_dir), cache=RepresentationCache(matcher, cache_dir))

    def author_logits(self, query: str, candidates: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
        """``{author: (n_author,) same-author logits of the query with each known text}``."""
        check_candidates(candidates)
        if not query.strip():
            raise ValueError("the query text is empty: give the text to attribute")
        owners = [author for author, texts in candidates.items() for _ in texts]
        known = self.cache.get([text for texts in candidates.values() for text in texts])
        texts = TextRepresentations.concatenate([self.matcher.represent([query]), *known])
        features = self.matcher.features_between(texts, np.zeros(len(known), dtype=np.int64), np.arange(1, len(known) + 1))
        logits = self.matcher.task_logits("author", features)  # (known,)
        return {author: logits[[position for position, owner in enumerate(owners) if owner == author]] for author in candidates}

    def attribute(self, query: str, candidates: Mapping[str, Sequence[str]], *, top_k: int | None = None) -> dict[str, Any]:
        """``{"candidates": [{"author", "probability", "score", "texts"}, ...] best first, "none_of_these", ...}``.

        ``score`` is ``S_i`` (the aggregated same-author logit); ``top_k`` keeps the best ``top_k`` candidates
        (the probabilities are over all of them).
        """
        per_author = self.author_logits(query, candidates)
        authors = list(per_author)
        scores = np.array([aggregate(per_author[author], self.calibration.aggregation) for author in authors])
        words = float(len(query.split()))
        probabilities, none = open_set_probabilities(scores, *self.calibration.parameters(words))
        ranked = sorted(range(len(authors)), key=lambda position: -probabilities[position])
        rows = [{"author": authors[position], "probability": float(probabilities[position]), "score": float(scores[position]),
                 "texts": int(per_author[authors[position]].size)} for position in ranked]
        return {"candidates": rows[:top_k] if top_k else rows, "none_of_these": none, "words": int(words), "length_band": band_of(words),
                "aggregation": self.calibration.aggregation, "calibrated": True}
