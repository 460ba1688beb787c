"""The verdict on two texts of any length: passage-pair logits + whole-text stylometry -> calibrated probabilities.

For a pair of texts, :class:`VerdictFeaturizer` computes :data:`FEATURE_NAMES`:

- the passage features of :mod:`writing7.inference.documents` (every passage pair of the two texts
  through the encoder and pair head, summarised; one passage each for a short text);
- the whole-text stylometric similarities of :mod:`writing7.models.text_profile` (char and word
  n-gram TF-IDF cosines, cosine and Burrows' Delta over 300/1,000 MFW, function-word and
  punctuation profiles, compression distance, rare and unknown shared words, log length).

:class:`Verdict` maps them to probabilities with one :class:`~writing7.calibration.fused.FusedLogisticCalibrator`
per task (same book; same author, other book) and **length band** (:data:`LENGTH_BANDS`, chosen by
the shorter text's word count), each fitted on balanced pairs of validation authors cut at that
band's length (``writing7 calibrate``). Why bands: every similarity sharpens with length, so a
weight right for 200 words is wrong for 5,000, and one regression with a length covariate is
calibrated only on average over lengths; a regression per band is calibrated within each
(Platt 1999; the "one calibrator per length band" of PAN's length-stratified evaluations).
Each band also has a PAN decision threshold and abstention band (:class:`ThresholdCalibrator`), and
reads the features :func:`head_features` gives its task and band (the head saves their names).
A pair whose shorter text is shorter than every text the heads were fitted on (``min_words``) gets
no verdict: a logistic head extrapolated to a few words answers with a confidence nothing measured
(two one-word texts scored 0.99), so such a pair abstains with ``p = 0.5``, PAN's "no answer".
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from writing7.artifacts import atomic_write_json, read_versioned_json
from writing7.calibration.fused import FusedLogisticCalibrator, out_of_fold_logits
from writing7.calibration.threshold import ThresholdCalibrator
from writing7.inference.documents import PASSAGE_FEATURE_NAMES, ChunkingSettings, document_chunks, passage_features
from writing7.models.scoring import ENCODE_BATCH_SIZE, check_pairs, unique_texts
from writing7.models.text_profile import PAIR_FEATURE_NAMES, TextProfiler, TextProfiles

logger = logging.getLogger(__name__)

FEATURE_NAMES = (*PASSAGE_FEATURE_NAMES, *PAIR_FEATURE_NAMES)
TASKS = ("book", "author")
# Features a head does not read, by (task, band); band "*" is every band of the task.
EXCLUDED_FEATURES = {
    # Shared names tie two texts to one book (or one series): evidence for the book task, a content cue the author task
    # must not lean on (it would not travel beyond series). Read by the author heads, they moved attribution's validation
    # NLL both ways (200 words 0.996 -> 1.020, 1,000 words 0.712 -> 0.691).
    ("author", "*"): ("shared_names",),
}
# (name, shortest word count of the shorter text): a pair belongs to the last band whose minimum it reaches.
LENGTH_BANDS = (("passage", 0), ("excerpt", 500), ("chapter", 2_500), ("book", 12_000))
VERDICT_FILE = "verdict.json"
# Passage pairs the pair head reads in one call (memory: about pairs x 2 x dim floats).
PASSAGE_PAIRS_PER_CALL = 8_192
PROFILE_DIRECTORY = "text_profile"
FORMAT, VERSION = "writing7-verdict", 2


def head_features(task: str, band: str) -> tuple[str, ...]:
    """The :data:`FEATURE_NAMES` that ``task``'s head at ``band`` reads (all but its :data:`EXCLUDED_FEATURES`)."""
    excluded = {*EXCLUDED_FEATURES.get((task, "*"), ()), *EXCLUDED_FEATURES.get((task, band), ())}
    return tuple(name for name in FEATURE_NAMES if name not in excluded)


def feature_columns(names: Sequence[str]) -> np.ndarray:
    """The columns of :data:`FEATURE_NAMES` holding ``names``."""
    return np.array([FEATURE_NAMES.index(name) for name in names])


def band_of(words: float) -> str:
    """The :data:`LENGTH_BANDS` name of a pair whose shorter text has ``words`` words."""
    name = LENGTH_BANDS[0][0]
    for band, minimum in LENGTH_BANDS:
        if words >= minimum:
            name = band
    return name


@dataclasses.dataclass
class PairFeatures:
    """Fused-head inputs of ``n`` pairs and how much text each used."""

    values: np.ndarray  # (n, len(FEATURE_NAMES))
    words: np.ndarray  # (n, 2) word count of each text
    passages: np.ndarray  # (n, 2) passages read of each text

    @property
    def shorter_words(self) -> np.ndarray:
        return self.words.min(axis=1)


def stack_rows(parts: Sequence[Any]) -> Any:
    """The rows of several same-type dataclasses of per-row fields (sparse matrices, arrays, lists) one after another."""
    first = parts[0]
    if first is None:
        return None
    values = {}
    for field in dataclasses.fields(first):
        pieces = [getattr(part, field.name) for part in parts]
        if sp.issparse(pieces[0]):
            values[field.name] = sp.vstack(pieces).tocsr()
        elif isinstance(pieces[0], np.ndarray):
            values[field.name] = np.concatenate(pieces)
        else:
            values[field.name] = [item for piece in pieces for item in piece]
    return type(first)(**values)


@dataclasses.dataclass
class TextRepresentations:
    """What the verdict reads of ``n`` texts, computed once per text: passages encoded, whole texts profiled.

    Text ``i`` owns passage rows ``offsets[i]:offsets[i + 1]`` of ``embeddings`` and ``style``. Pair features
    of any two texts (:meth:`VerdictFeaturizer.pair_features`) need nothing else, so a representation can be
    kept and reused (attribution caches its candidates' representations).
    """

    embeddings: np.ndarray  # (passages, dim) L2-normalised
    style: Any  # the pair head's per-passage TextFeatures (None when the model has none)
    offsets: np.ndarray  # (n + 1,)
    profiles: TextProfiles | None  # whole-text profiles (None in the uncalibrated mode)
    words: np.ndarray  # (n,) word count of each text

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def concatenate(cls, parts: Sequence[TextRepresentations]) -> TextRepresentations:
        """One representation of the texts of ``parts``, in order (passage rows re-offset)."""
        starts = np.cumsum([0] + [len(part.embeddings) for part in parts])  # (parts + 1,)
        offsets = np.concatenate([[0]] + [part.offsets[1:] + start for part, start in zip(parts, starts)])
        return cls(np.concatenate([part.embeddings for part in parts]), stack_rows([part.style for part in parts]), offsets,
                   stack_rows([part.profiles for part in parts]), np.concatenate([part.words for part in parts]))

    def select(self, index: int) -> TextRepresentations:
        """Text ``index`` alone."""
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        rows = np.arange(start, end)
        style = None if self.style is None else _select_rows(self.style, rows)
        profiles = None if self.profiles is None else _select_rows(self.profiles, np.array([index]))
        return TextRepresentations(self.embeddings[start:end], style, np.array([0, end - start]), profiles, self.words[index:index + 1])


def _select_rows(table: Any, rows: np.ndarray) -> Any:
    """Rows ``rows`` of a dataclass of per-row fields (the inverse of :func:`stack_rows`)."""
    values = {}
    for field in dataclasses.fields(table):
        value = getattr(table, field.name)
        values[field.name] = [value[row] for row in rows] if isinstance(value, list) else value[rows]
    return type(table)(**values)


class VerdictFeaturizer:
    """Turns text pairs into :class:`PairFeatures` with a :class:`~writing7.models.matcher.MatcherModel` and a fitted profiler."""

    def __init__(self, model: Any, profiler: TextProfiler | None, settings: ChunkingSettings, *, batch_size: int = ENCODE_BATCH_SIZE) -> None:
        self.model = model
        self.profiler = profiler
        self.settings = settings
        self.batch_size = batch_size

    def features(self, texts1: Sequence[str], texts2: Sequence[str]) -> PairFeatures:
        """Each distinct text is cut, encoded and profiled once, however many pairs it is in."""
        check_pairs(texts1, texts2)
        distinct, first, second = unique_texts(texts1, texts2)
        return self.pair_features(self.represent(distinct), first, second)

    def represent(self, texts: Sequence[str]) -> TextRepresentations:
        """:class:`TextRepresentations` of ``texts``: passages spread over each, encoded; each text profiled whole."""
        passages = [document_chunks(text, self.settings) for text in texts]
        offsets = np.cumsum([0] + [len(group) for group in passages])  # (texts + 1,)
        flat = [passage for group in passages for passage in group]
        embeddings = np.asarray(self.model.encode(flat, batch_size=self.batch_size), dtype=np.float32)  # (passages, dim)
        if self.profiler is None:  # the uncalibrated mode: passage features only
            profiles, words = None, np.array([len(text.split()) for text in texts], dtype=np.float64)
        else:
            profiles = self.profiler.profile(list(texts))
            words = profiles.word_counts
        return TextRepresentations(embeddings, self.model.text_features(flat), offsets, profiles, words)

    def pair_features(self, texts: TextRepresentations, first: np.ndarray, second: np.ndarray) -> PairFeatures:
        """:class:`PairFeatures` of the pairs ``(texts[first[k]], texts[second[k]])``."""
        first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
        passage_rows = self._passage_rows(texts, first, second)
        values = passage_rows if texts.profiles is None else np.concatenate(
            [passage_rows, self.profiler.pair_features(texts.profiles, first, second)], axis=1)
        counts = np.diff(texts.offsets)
        return PairFeatures(values=values, words=np.stack([texts.words[first], texts.words[second]], axis=1),
                            passages=np.stack([counts[first], counts[second]], axis=1))

    def _passage_rows(self, texts: TextRepresentations, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """(p, len(PASSAGE_FEATURE_NAMES)) passage features of the pairs: every passage pair through the pair head, one call
        per text and group of its partners (up to :data:`PASSAGE_PAIRS_PER_CALL` passage pairs), not one per pair."""
        offsets, embeddings = texts.offsets, texts.embeddings
        rows = np.zeros((len(first), len(PASSAGE_FEATURE_NAMES)))
        order = np.argsort(first, kind="stable")
        for pairs in np.split(order, np.flatnonzero(np.diff(first[order])) + 1) if len(order) else []:
            rows_a = np.arange(offsets[first[pairs[0]]], offsets[first[pairs[0]] + 1])
            for group in _partner_groups(pairs, np.diff(offsets)[second[pairs]], len(rows_a)):
                parts = [np.arange(offsets[second[k]], offsets[second[k] + 1]) for k in group]
                logits = self.model.pair_logits_between(embeddings, texts.style, rows_a, np.concatenate(parts))  # (a, sum b, 2)
                end = 0
                for k, part in zip(group, parts):
                    end += len(part)
                    rows[k] = passage_features(logits[:, end - len(part):end].astype(np.float64), embeddings[rows_a], embeddings[part],
                                               self.settings.top_k)
        return rows


def _partner_groups(pairs: np.ndarray, partner_passages: np.ndarray, passages: int) -> list[np.ndarray]:
    """``pairs`` (one text's) in consecutive groups whose partners' passages times ``passages`` stay within
    :data:`PASSAGE_PAIRS_PER_CALL` (a partner too large for one call gets a group of its own)."""
    groups, start, total = [], 0, 0
    for index, count in enumerate(partner_passages):
        if index > start and (total + count) * passages > PASSAGE_PAIRS_PER_CALL:
            groups.append(pairs[start:index])
            start, total = index, 0
        total += count
    groups.append(pairs[start:])
    return groups


@dataclasses.dataclass
class BandHead:
    """One task at one length band: the fused probability over ``features`` and its PAN decision."""

    features: tuple[str, ...]  # the FEATURE_NAMES it reads, in its scaler's order
    scaler: FusedLogisticCalibrator
    decision: ThresholdCalibrator
    validation: dict[str, Any]

    def read(self, values: np.ndarray) -> np.ndarray:
        """The columns of ``values`` ((n, len(FEATURE_NAMES))) this head reads."""
        return values[:, feature_columns(self.features)]

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "scaler": self.scaler.to_dict(), "decision": self.decision.to_dict(),
                "validation": self.validation}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> BandHead:
        return cls(tuple(payload["features"]), FusedLogisticCalibrator.from_dict(payload["scaler"]),
                   ThresholdCalibrator.from_dict(payload["decision"]), payload.get("validation", {}))


@dataclasses.dataclass
class Verdict:
    """Per task, per length band: :class:`BandHead`; plus the chunking and the fitted :class:`TextProfiler`."""

    settings: ChunkingSettings
    profiler: TextProfiler
    heads: dict[str, dict[str, BandHead]]  # task -> band -> head
    fit_stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    min_words: float = 0.0  # the shortest shorter text of the fitting pairs: below it, no verdict

    def too_short(self, features: PairFeatures) -> np.ndarray:
        """(n,) True where the shorter text has fewer than ``min_words`` words: those pairs get no verdict."""
        return features.shorter_words < self.min_words

    def head(self, task: str, words: float) -> BandHead:
        """The head of ``task`` for a pair whose shorter text has ``words`` words (the nearest fitted band)."""
        bands = self.heads[task]
        wanted = band_of(words)
        if wanted in bands:
            return bands[wanted]
        order = [name for name, _ in LENGTH_BANDS]
        return bands[min(bands, key=lambda name: abs(order.index(name) - order.index(wanted)))]

    def predict(self, task: str, features: PairFeatures) -> dict[str, np.ndarray]:
        """``{"p", "decision", "abstained", "pan", "logit"}`` arrays for ``task`` on every pair (each through its band's head).

        A :meth:`too_short` pair abstains: ``p = pan = 0.5``, ``logit = 0``.
        """
        n = len(features.values)
        result = {"p": np.zeros(n), "logit": np.zeros(n), "decision": np.zeros(n, bool), "abstained": np.zeros(n, bool), "pan": np.zeros(n)}
        bands = np.array([band_of(words) for words in features.shorter_words])
        for band in set(bands.tolist()):
            rows = np.flatnonzero(bands == band)
            head = self.head(task, features.shorter_words[rows[0]])
            values = head.read(features.values[rows])
            result["logit"][rows] = head.scaler.logit(values)
            result["p"][rows] = head.scaler.predict(values)
            result["decision"][rows], result["abstained"][rows] = head.decision.decide(result["p"][rows])
            result["pan"][rows] = head.decision.predict(result["p"][rows])
        short = self.too_short(features)
        result["p"][short], result["pan"][short], result["logit"][short] = 0.5, 0.5, 0.0
        result["decision"][short], result["abstained"][short] = False, True
        return result

    def contributions(self, task: str, features: PairFeatures, index: int) -> dict[str, Any]:
        """The logit of pair ``index`` as ``bias + sum(contributions)``, one contribution per feature (0 for one its head does not read)."""
        head = self.head(task, features.shorter_words[index])
        parts = head.scaler.contributions(head.read(features.values[index:index + 1]))[0]
        contributions = dict.fromkeys(FEATURE_NAMES, 0.0) | dict(zip(head.features, parts.tolist()))
        return {"bias": head.scaler.intercept_, "contributions": contributions, "band": band_of(features.shorter_words[index])}

    # -- persistence -------------------------------------------------------------------------------
    def save(self, model_dir: Path) -> None:
        """``model_dir/text_profile/`` then ``model_dir/verdict.json`` (atomically, last: it is what marks the verdict present)."""
        self.profiler.save(Path(model_dir) / PROFILE_DIRECTORY)
        atomic_write_json(Path(model_dir) / VERDICT_FILE, {
            "format": FORMAT, "version": VERSION, "features": list(FEATURE_NAMES),
            "bands": [list(band) for band in LENGTH_BANDS],
            "settings": dataclasses.asdict(self.settings), "fit": self.fit_stats, "min_words": self.min_words,
            "heads": {task: {band: head.to_dict() for band, head in bands.items()} for task, bands in self.heads.items()},
        })

    @classmethod
    def exists(cls, model_dir: Path) -> bool:
        return (Path(model_dir) / VERDICT_FILE).is_file()

    @classmethod
    def load(cls, model_dir: Path) -> Verdict:
        path = Path(model_dir) / VERDICT_FILE
        payload = read_versioned_json(path, format=FORMAT, version=VERSION, fix="run `writing7 calibrate --force`",
                                      missing="run `writing7 calibrate` to fit the verdict (or pass --uncalibrated)")
        heads = {task: {band: BandHead.from_dict(head) for band, head in bands.items()} for task, bands in payload["heads"].items()}
        if tuple(payload.get("features", ())) != FEATURE_NAMES or "min_words" not in payload or any(
                not set(head.features) <= set(FEATURE_NAMES) for bands in heads.values() for head in bands.values()):
            raise ValueError(f"{path} was written by another Writing7 version: run `writing7 calibrate --force`")
        return cls(ChunkingSettings(**payload["settings"]), TextProfiler.load(Path(model_dir) / PROFILE_DIRECTORY), heads, payload.get("fit", {}),
                   float(payload["min_words"]))


def fit_band_heads(values: np.ndarray, labels: np.ndarray, bands: np.ndarray, *, task: str, target_metric: str,
                   inverse_regularisation: float, max_band_fraction: float, groups: np.ndarray | None = None) -> dict[str, BandHead]:
    """One :class:`BandHead` per length band present in ``bands`` ((n,) band names) for one task, each on its :func:`head_features`.

    Each head's ``validation`` holds its in-sample AUC and ECE and, with ``groups`` ((n,) each pair's author), the
    AUC and ECE of its author-grouped out-of-fold logits (``cross_validated``): what it does on authors it was not
    fitted on.
    """
    from writing7.metrics.calibration_error import expected_calibration_error
    from writing7.metrics.pan import auc

    heads = {}
    for band in sorted(set(bands.tolist()), key=[name for name, _ in LENGTH_BANDS].index):
        mask = bands == band
        features = head_features(task, band)
        read, band_labels = values[mask][:, feature_columns(features)], labels[mask]
        scaler = FusedLogisticCalibrator(inverse_regularisation).fit(read, band_labels)
        probabilities = scaler.predict(read)
        decision = ThresholdCalibrator(target_metric=target_metric, max_band_fraction=max_band_fraction).fit(probabilities, band_labels)
        validation: dict[str, Any] = {"pairs": int(mask.sum()), "positives": int(band_labels.sum()), "auc": auc(band_labels, probabilities),
                                      "ece": expected_calibration_error(band_labels, probabilities)}
        out_of_fold = None if groups is None else out_of_fold_logits(read, band_labels, groups[mask], inverse_regularisation=inverse_regularisation)
        if out_of_fold is not None:
            held_out = expit(out_of_fold)
            validation["cross_validated"] = {"auc": auc(band_labels, held_out), "ece": expected_calibration_error(band_labels, held_out)}
        logger.info("verdict: %s task, %s band: %s", task, band, validation)
        heads[band] = BandHead(features, scaler, decision, validation)
    return heads
