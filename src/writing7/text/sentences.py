"""Sentence splitting: character spans into the cleaned book text.

spaCy's rule-based ``sentencizer`` on a blank English pipeline (no model download) finds candidate
boundaries; when spaCy is not installed a regex does. Both candidates then go through the same
repairs, because both get English prose dialogue wrong in the same few ways:

* an opening quote left dangling at the end of a sentence (``said he. “`` + ``Where…``) moves to
  the sentence it opens;
* a "sentence" that starts with a lower-case letter continues the previous one
  (``“Hello!” he cried.``, ``vol. ii. of it``);
* a sentence ending in a title or abbreviation (``Capt.``, ``Col.``, ``Rev.``) or an initial
  (``J. R. R.``) continues into the next one.

Paragraph breaks (a blank line) always end a sentence: the text is split into paragraphs first,
which also keeps spaCy's documents short.

After the repairs the two engines agree closely: on 16 MB of cleaned Gutenberg text the regex
finds 99.9 % of spaCy's boundaries while running about 5-15x faster (``bench/standardize.py``),
so ``use_spacy=False`` is a sound choice when throughput matters.

:func:`book_sentences` keeps a whole book's spans on disk: ``prepare`` and ``index`` split the same cleaned
books (in separate worker processes), and a rerun of either with other settings splits nothing again.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import atomic_write_bytes, cache_dir

logger = logging.getLogger(__name__)

# Titles and abbreviations that end in a period without ending the sentence (compared case-folded).
# Words that often end a sentence too ("No.", "Ed.", "etc.") are left out on purpose.
ABBREVIATIONS = frozenset(
    "mr mrs ms messrs mme mlle dr st mt capt col gen lt sgt maj adm cmdr rev hon prof sr jr esq gov "
    "supt insp bros co vol vols ch chap p pp viz cf v vs jan feb apr aug sept oct nov dec ft lb lbs oz".split()
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_REGEX_BOUNDARY = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s)")
_DANGLING_OPEN_QUOTE = re.compile(r"(?:\s[\"']+|[“‘«]+)$")
_LAST_WORD = re.compile(r"([A-Za-z]+)\.[\"'”’)\]]*$")
# The first letter or digit after quotes, brackets and Gutenberg's _italic_ underscores.
_FIRST_CHARACTER = re.compile(r"^[\W_]*([^\W_])")
# spaCy's tokenizer keeps capital initials ("J.") whole, so it never splits after the pronoun "I."
_AFTER_PRONOUN_I = re.compile(r"(?<=\bI[.!?])\s+(?=[\"'“‘]?[A-Z])")
_SPACY_BATCH = 256


@functools.lru_cache(maxsize=1)
def _spacy_pipeline() -> Any | None:
    """A blank English pipeline with the rule-based sentencizer, built once; ``None`` without spaCy."""
    try:
        import spacy
    except ImportError:
        return None
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 10_000_000  # paragraphs are short; this only guards a book without blank lines
    return nlp


def _split_spans(pattern: re.Pattern[str], text: str, *, keep_separator: bool) -> list[tuple[int, int]]:
    """Spans of ``text`` cut at each match of ``pattern``; with ``keep_separator`` a match ends the span before it."""
    spans, start = [], 0
    for match in pattern.finditer(text):
        spans.append((start, match.end() if keep_separator else match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the blocks between blank lines, whitespace-trimmed, empty blocks dropped."""
    spans = _split_spans(_PARAGRAPH_BREAK, text, keep_separator=False)
    return [span for span in (_trim(text, s, e) for s, e in spans) if span is not None]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _regex_candidates(paragraph: str) -> list[tuple[int, int]]:
    return _split_spans(_REGEX_BOUNDARY, paragraph, keep_separator=True)  # the full stop belongs to its sentence


def _spacy_candidates(nlp: Any, paragraphs: list[str]) -> Iterator[list[tuple[int, int]]]:
    for document in nlp.pipe(paragraphs, batch_size=_SPACY_BATCH):
        yield [(sentence.start_char, sentence.end_char) for sentence in document.sents]


def _continues(previous: str, following: str) -> bool:
    """True when the boundary between ``previous`` and ``following`` is not a sentence end."""
    first = _FIRST_CHARACTER.match(following)
    if first and first.group(1).islower():
        return True
    last = _LAST_WORD.search(previous)
    if last is None:
        return False
    word = last.group(1)
    is_initial = len(word) == 1 and word.isupper() and word != "I"
    return is_initial or word.casefold() in ABBREVIATIONS


def _split_after_pronoun(paragraph: str, candidates: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    for start, end in candidates:
        for match in _AFTER_PRONOUN_I.finditer(paragraph, start, end):
            yield start, match.start()
            start = match.end()
        yield start, end


def _repair(paragraph: str, candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Move dangling opening quotes forward, merge false boundaries, trim whitespace."""
    split = _split_after_pronoun(paragraph, candidates)
    trimmed = [span for span in (_trim(paragraph, s, e) for s, e in split) if span is not None]
    moved: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(trimmed):
        dangling = _DANGLING_OPEN_QUOTE.search(paragraph, start, end)
        if dangling and index + 1 < len(trimmed) and dangling.start() > start:
            quote_start = dangling.start() + (1 if paragraph[dangling.start()].isspace() else 0)
            end = quote_start
            trimmed[index + 1] = (quote_start, trimmed[index + 1][1])
        span = _trim(paragraph, start, end)
        if span is not None:
            moved.append(span)
    merged: list[tuple[int, int]] = []
    for start, end in moved:
        if merged and _continues(paragraph[merged[-1][0]:merged[-1][1]], paragraph[start:end]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def split_sentences(text: str, *, use_spacy: bool = True) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` into ``text``; ``text[start:end]`` has no surrounding whitespace.

    ``use_spacy=False`` forces the regex candidates (what runs when spaCy is absent).
    """
    paragraphs = paragraph_spans(text)
    pieces = [text[start:end] for start, end in paragraphs]
    nlp = _spacy_pipeline() if use_spacy else None
    candidates = _spacy_candidates(nlp, pieces) if nlp is not None else map(_regex_candidates, pieces)
    spans: list[tuple[int, int]] = []
    for (offset, _), piece, piece_candidates in zip(paragraphs, pieces, candidates):
        spans.extend((offset + start, offset + end) for start, end in _repair(piece, piece_candidates))
    return spans


def book_sentences(text: str) -> list[tuple[int, int]]:
    """:func:`split_sentences` of a whole book, read back from ``cache_dir()/sentences`` when it was split before.

    On a 2-core AVX2 machine spaCy splits the shared corpus in about 2 minutes, once in ``prepare`` and again
    in ``index``; the spans are 16 bytes a sentence (about 10 MB for the corpus). The file's name is a digest of
    the text, of this module's source and of the engine (spaCy's version, or the regex), so a changed splitter
    never reads old spans. A cache that cannot be read or written is skipped: splitting never fails for it.
    """
    path = cache_dir() / "sentences" / f"{_sentences_key(text)}.npy"
    try:
        return [(start, end) for start, end in np.load(path, allow_pickle=False).tolist()]
    except (OSError, ValueError, EOFError):  # absent, or a damaged file: split again
        pass
    spans = split_sentences(text)
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(spans, dtype=np.int64).reshape(-1, 2), allow_pickle=False)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as error:
        logger.debug("sentence spans not cached (%s)", error)
    return spans


@functools.lru_cache(maxsize=1)
def _splitter_identity() -> bytes:
    """This module's source and the engine that finds candidates: what the spans depend on besides the text."""
    engine = f"spacy {metadata.version('spacy')}" if _spacy_pipeline() is not None else "regex"
    return Path(__file__).read_bytes() + engine.encode()


def _sentences_key(text: str) -> str:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=20)
    digest.update(_splitter_identity())
    return digest.hexdigest()
