"""Texts of any length as passages: which passages are read, and what their pair logits say.

A text of at most ``single_passage_words`` words is one passage (the encoder reads it whole, up to
its token limit). A longer text is cut into windows of ``chunk_size`` sentences (the passage length
the pair head was trained on) and at most ``max_chunks`` of them, spread evenly from the first to
the last window, are kept: the whole text is sampled, never only its beginning. Comparing two texts
gives a matrix of passage-pair logits ``L`` of shape ``(passages_a, passages_b, 2)`` (same-book and
same-author logits of the pair head), summarised by :data:`PASSAGE_FEATURE_NAMES`:

    for c in (book, author):  mean(L[..., c]),  max(L[..., c]),  mean of the top-k L[..., c]
    cos(mean embedding of a's passages, mean embedding of b's passages)

The mean alone under-reacts when two long texts share a few close passages; the max alone
over-reacts to one lucky pair and grows with the number of pairs; the centroid cosine is the
encoder's whole-text view. The fused head (:mod:`writing7.inference.verdict`) weighs them with the
whole-text stylometry and the length.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from writing7.text.chunks import PASSAGE_SENTENCES, make_chunks
from writing7.text.sentences import split_sentences

SLICE_CHARACTERS = 4_000  # about 700 words: room for one window of 10 sentences wherever a slice falls
PASSAGE_FEATURE_NAMES = ("book_mean", "book_max", "book_top_k_mean", "author_mean", "author_max", "author_top_k_mean", "centroid_cosine")


@dataclasses.dataclass(frozen=True)
class ChunkingSettings:
    """How a text is cut into passages; the verdict records them so inference cuts as the fit did.

    These defaults are the one definition: ``[calibrate]``'s passage settings default to them, the verdict
    records what it was fitted with (``verdict.json`` ``settings``), and inference reads that record (these
    defaults only apply in the uncalibrated mode, where there is no record).
    """

    chunk_size: int = PASSAGE_SENTENCES
    min_chunk_chars: int = 200
    max_chunks: int = 16
    top_k: int = 3
    single_passage_words: int = 300


def document_chunks(text: str, settings: ChunkingSettings) -> list[str]:
    """At most ``settings.max_chunks`` passages spread evenly over ``text`` (the text itself when it is short).

    No stopword filter: the user chose the text, so every window counts; windows shorter than
    ``min_chunk_chars`` are dropped unless nothing else remains. A text longer than
    ``2 * max_chunks`` slices of :data:`SLICE_CHARACTERS` is not split into sentences whole: each
    passage is the first full window of ``max_chunks`` evenly spaced slices, so choosing passages
    costs the same for a chapter and for a 500,000-word book.
    """
    if not text.strip():
        raise ValueError("a text is empty: pass a text with at least one sentence")
    if len(text.split()) <= settings.single_passage_words:
        return [" ".join(text.split())]
    if len(text) > 2 * settings.max_chunks * SLICE_CHARACTERS:
        starts = np.linspace(0, len(text) - SLICE_CHARACTERS, settings.max_chunks).astype(int)
        passages = [_first_window(text[start:start + SLICE_CHARACTERS], settings, skip_first=start > 0) for start in starts]
        return [passage for passage in passages if passage] or [" ".join(text[:SLICE_CHARACTERS].split())]
    texts = _windows(text, settings) or [" ".join(text.split())]
    if len(texts) <= settings.max_chunks:
        return texts
    positions = np.linspace(0, len(texts) - 1, settings.max_chunks).round().astype(int)
    return [texts[position] for position in positions]


def _windows(text: str, settings: ChunkingSettings) -> list[str]:
    chunks = make_chunks(text, split_sentences(text), book_id="document", author="", chunk_size=settings.chunk_size,
                         overlap=settings.chunk_size, min_chars=settings.min_chunk_chars, min_stopword_ratio=0.0)
    return [chunk.text for chunk in chunks]


def _first_window(piece: str, settings: ChunkingSettings, *, skip_first: bool) -> str:
    """The first window of ``chunk_size`` whole sentences of a slice (its first sentence is cut when the slice starts mid-text)."""
    sentences = split_sentences(piece)[1 if skip_first else 0:][: settings.chunk_size + 1]
    if len(sentences) > settings.chunk_size:  # the last one may be cut by the slice's end
        sentences = sentences[: settings.chunk_size]
    if not sentences:
        return ""
    return " ".join(piece[sentences[0][0]:sentences[-1][1]].split())


def passage_features(logits: np.ndarray, embeddings_a: np.ndarray, embeddings_b: np.ndarray, top_k: int) -> np.ndarray:
    """The :data:`PASSAGE_FEATURE_NAMES` of one text pair.

    ``logits``: (passages_a, passages_b, 2), [..., 0] same book, [..., 1] same author;
    ``embeddings_a`` / ``embeddings_b``: (passages, dim) L2-normalised. Returns (7,).
    """
    features = []
    for column in range(2):
        values = np.sort(logits[..., column].ravel())[::-1]  # (pairs,), descending
        features += [values.mean(), values[0], values[: min(top_k, values.size)].mean()]
    centroid_a, centroid_b = embeddings_a.mean(axis=0), embeddings_b.mean(axis=0)
    features.append(float(centroid_a @ centroid_b / (np.linalg.norm(centroid_a) * np.linalg.norm(centroid_b) + 1e-12)))
    return np.asarray(features, dtype=np.float64)
