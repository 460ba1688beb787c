"""Whole-text stylometry: a profile per text (any length) and symmetric similarities of two profiles.

The document verdict (:mod:`writing7.inference.verdict`) fuses these with the encoder's passage-pair
logits. Everything corpus-dependent (idf, most-frequent words, z-score statistics, the known
vocabulary) is fitted once on *training* books (:meth:`TextProfiler.fit`), never on the pair being
scored, and saved in the model folder (``text_profile/``).

Pair features (:data:`PAIR_FEATURE_NAMES`), each symmetric in the two texts:

- ``char4_cosine``: cosine of sublinear-tf x idf character 4-gram vectors (hashed), the classical
  short-text authorship signal (Stamatatos, JASIST 60(3), 2009);
- ``char_wb_cosine``: the same over word-bounded character 2-5-grams (affixes and short words);
- ``word_cosine``: word 1-2-gram TF-IDF cosine (shared vocabulary and names: strong for "same book");
- ``cosine_delta_300`` / ``cosine_delta_1000``: cosine of the z-scored relative frequencies of the
  300 / 1,000 most frequent training words, Smith & Aldridge's cosine Delta, the most robust Delta
  variant (Evert et al., DSH 32(suppl. 2), 2017);
- ``burrows_delta_300``: mean absolute difference of the same z-scores over 300 MFW (Burrows, LLC
  17(3), 2002); a distance, so lower means closer;
- ``impostor_delta_300`` / ``impostor_delta_1000``: the cosine Delta ``c(a, b)`` normalised against
  impostors, ``w_a (c(a, b) - mu_a) / sigma_a + w_b (c(a, b) - mu_b) / sigma_b`` where ``mu_x``, ``sigma_x``
  are the mean and spread of ``c(x, i)`` over :data:`IMPOSTORS` training excerpts ``i`` and
  ``w_a = n_b / (n_a + n_b)`` weighs each side by the other's word count ``n`` (1/2 each for texts of
  equal length; a short text against a whole book is judged on the short text's scale) (score
  normalisation as in the impostors method, Koppel & Winter, JASIST 65(1), 2014): "closer to each
  other than to other authors' texts", which corrects for how typical a text's own word profile is.
  Worth about +0.01 of author AUC at 5,000 words and on book halves in grouped cross-validation on
  validation authors (docs/architecture.md, section 13);
- ``impostor_char4``, ``impostor_char_wb``, ``impostor_words``, ``impostor_function_words``,
  ``impostor_punctuation``: the same normalisation of the char 4-gram, char 2-5-gram, word 1-2-gram,
  function-word and punctuation cosines (:data:`IMPOSTOR_SPACES`). A raw n-gram cosine mixes "these two
  texts are alike" with "this text is like every text" (common vocabulary, a plain style); the
  normalised one keeps the first. In the same cross-validation, the five lifted book AUC at 200 and
  1,000 words by +0.009 each and author AUC at 5,000 words by +0.011 (docs/architecture.md, section 13);
- ``function_word_cosine`` / ``punctuation_cosine``: cosines of the z-scored function-word and
  punctuation-mark rates;
- ``compression_distance``: normalised compression distance
  ``NCD(x, y) = (C(xy) - min(C(x), C(y))) / max(C(x), C(y))`` with zlib on at most
  :data:`COMPRESSION_CHARS` characters of each text spread over it (Cilibrasi & Vitanyi 2005);
- ``rare_word_overlap``: idf-weighted Jaccard of the two word sets,
  ``sum_{w in A & B} idf(w) / sum_{w in A | B} idf(w)`` (rare shared words weigh most);
- ``shared_unknown_words``: ``log(1 + |U_a & U_b|)`` where ``U`` are the capitalised words not in
  the training vocabulary (character and place names a book keeps using);
- ``shared_names``: ``log(1 + sum_{w in N_a & N_b} idf_N(w))`` where ``N`` are the capitalised words a
  text uses mid-sentence (:func:`names_of`: proper nouns, common first names included) and
  ``idf_N(w) = log((1 + n) / (1 + df_N(w)))`` over the ``n`` fitting texts' name sets, so a name every
  book uses ("London", "Mrs") adds almost nothing and a pair sharing "George" and "Lucy" adds much.
  ``shared_unknown_words`` cannot see such names (they are in the training vocabulary). In grouped
  cross-validation on validation authors (the by-length report's ablation) it lifted book AUC from
  0.863 to 0.866 at 200 words and from 0.958 to 0.964 at 1,000, and author AUC at 200 words from
  0.673 to 0.678 (series share their characters); the author heads nevertheless do not read it
  (:data:`writing7.inference.verdict.EXCLUDED_FEATURES`);
- ``log_words``: ``log(min(words_a, words_b))``, the length covariate every fused head needs
  because every similarity above sharpens with length.

Word-level features read every word of a text; the three n-gram spaces read at most
:data:`MAX_NGRAM_CHARACTERS` of it, in evenly spread slices (n-gram profiles are stable long before
35,000 words, and hashing a whole novel's character 2-5-grams costs seconds and gigabytes).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from writing7.artifacts import read_versioned_json
from writing7.models.char_ngrams import CharNgramHasher
from writing7.models.function_words import FUNCTION_WORDS
from writing7.models.style_features import WORD_PATTERN, _inverse_document_frequency, _mean_and_scale, _weighted_tfidf
from writing7.text.chunks import spread_sample

# The similarities normalised against the impostors: the cosine Delta at each MFW size, then these profile spaces.
IMPOSTOR_SPACES = ("char4", "char_wb", "words", "function_words", "punctuation")
DENSE_SPACES = ("function_words", "punctuation")  # z-scored rates (their cosine needs unit rows); the rest are unit tf-idf rows
IMPOSTOR_FEATURES = ("impostor_delta_300", "impostor_delta_1000", "impostor_char4", "impostor_char_wb", "impostor_words",
                     "impostor_function_words", "impostor_punctuation")
PAIR_FEATURE_NAMES = (
    "char4_cosine", "char_wb_cosine", "word_cosine", "cosine_delta_300", "cosine_delta_1000", "burrows_delta_300",
    *IMPOSTOR_FEATURES,
    "function_word_cosine", "punctuation_cosine", "compression_distance", "rare_word_overlap", "shared_unknown_words",
    "shared_names", "log_words",
)
PUNCTUATION_MARKS = (",", ";", ":", "!", "?", ".", "\"", "'", "-", "(", "\u2014")
COMPRESSION_CHARS = 12_000  # zlib's window is 32 KiB: C(xy) only sees repeats across x and y within it
HASHING_FEATURES = 1 << 20
MAX_NGRAM_CHARACTERS = 200_000  # about 35,000 words: n-gram profiles of a longer text come from evenly spread slices of it
MFW_SIZES = (300, 1000)
# Training excerpts kept as impostors (evenly spread over the fitting texts, so over the books). The model folder keeps
# their n-gram rows (about 15,000 non-zeros each): 200 of them take 15 MB, compressed; 400 gave the same validation AUC.
IMPOSTORS = 200
FORMAT = "writing7-text-profile"
VERSION = 4
_FUNCTION_WORD_SET = frozenset(FUNCTION_WORDS)
# A capitalised word of 3+ letters that does not open a sentence, a line, a quotation or a bracket: not after
# ". ", "! ", "? ", a quote, "(" or a line start. In English prose that is a proper noun (or a title such as "Mrs").
NAME_PATTERN = re.compile(r"(?<![.!?\"“‘'(\n]\s)(?<![.!?\"“‘'(\n])(?<!^)\b[A-Z][a-z]{2,}\b")


def words_of(text: str) -> list[str]:
    """The words of ``text`` as :mod:`writing7.models.style_features` counts them (case kept)."""
    return WORD_PATTERN.findall(text)


def names_of(text: str) -> frozenset[str]:
    """The capitalised words ``text`` uses mid-sentence (:data:`NAME_PATTERN`), function words aside ("--But she"):
    its character and place names."""
    return frozenset(name for name in NAME_PATTERN.findall(text) if name.lower() not in _FUNCTION_WORD_SET)


@dataclasses.dataclass
class TextProfiles:
    """Profiles of ``n`` texts, rows aligned with the input texts."""

    char4: sp.csr_matrix  # (n, H) L2-normalised tf-idf
    char_wb: sp.csr_matrix  # (n, H)
    words: sp.csr_matrix  # (n, H)
    mfw: np.ndarray  # (n, max(MFW_SIZES)) z-scored relative frequencies
    impostor_mean: np.ndarray  # (n, len(IMPOSTOR_FEATURES)) mean similarity to the impostors, per MFW size, then per space
    impostor_spread: np.ndarray  # (n, len(IMPOSTOR_FEATURES)) its standard deviation
    function_words: np.ndarray  # (n, F) z-scored rates
    punctuation: np.ndarray  # (n, P) z-scored rates per word
    word_sets: list[frozenset[str]]  # lower-cased word types of each text
    word_weights: np.ndarray  # (n,) sum of the idf of each text's word types (rare_word_overlap's denominator)
    unknown_words: list[frozenset[str]]  # capitalised words outside the training vocabulary
    names: list[frozenset[str]]  # capitalised words used mid-sentence (names_of)
    samples: list[bytes]  # the compression sample of each text, UTF-8
    compressed: np.ndarray  # (n,) zlib size of each sample
    word_counts: np.ndarray  # (n,) whitespace-separated words

    def __len__(self) -> int:
        return len(self.word_counts)


def _hashing(analyzer: str, ngram_range: tuple[int, int]) -> HashingVectorizer | CharNgramHasher:
    """The counter of one hashed space: numpy-vectorised for characters (:mod:`writing7.models.char_ngrams`), scikit-learn for words."""
    if analyzer == "word":
        return HashingVectorizer(analyzer="word", token_pattern=WORD_PATTERN.pattern, ngram_range=ngram_range,
                                 n_features=HASHING_FEATURES, alternate_sign=False, norm=None, dtype=np.float32)
    return CharNgramHasher(ngram_range, HASHING_FEATURES, word_bounded=analyzer == "char_wb")


VECTORIZERS = {"char4": ("char", (4, 4)), "char_wb": ("char_wb", (2, 5)), "words": ("word", (1, 2))}


def compression_sample(text: str) -> bytes:
    """At most :data:`COMPRESSION_CHARS` characters of ``text``: four evenly spaced slices of a long text."""
    if len(text) <= COMPRESSION_CHARS:
        return text.encode("utf-8")
    width = COMPRESSION_CHARS // 4
    starts = np.linspace(0, len(text) - width, 4).astype(int)
    return "\n".join(text[start:start + width] for start in starts).encode("utf-8")


def _compressed_size(data: bytes) -> int:
    return len(zlib.compress(data, 9))


def _rates(words: list[str], index: dict[str, int], size: int) -> np.ndarray:
    counts = np.zeros(size, dtype=np.float32)
    for word in words:
        position = index.get(word)
        if position is not None:
            counts[position] += 1
    return counts / max(len(words), 1)


def _punctuation_rates(text: str, word_count: int) -> np.ndarray:
    return np.array([text.count(mark) for mark in PUNCTUATION_MARKS], dtype=np.float32) / max(word_count, 1)


class TextProfiler:
    """Fit corpus statistics on training texts (:meth:`fit`); profile texts (:meth:`profile`); compare (:meth:`pair_features`)."""

    def __init__(self) -> None:
        self._vectorizers = {name: _hashing(*spec) for name, spec in VECTORIZERS.items()}
        self._function_index = {word: position for position, word in enumerate(FUNCTION_WORDS)}

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str]) -> TextProfiler:
        """idf of every hashed n-gram space, the 1,000 most frequent words, z-score statistics, the vocabulary, name idf.

        ``texts`` should be excerpts of the training books (a few thousand words each) so that the
        z-scores describe texts of a realistic length.
        """
        texts = list(texts)
        if len(texts) < 2:
            raise ValueError(f"text profiles need at least 2 training texts to fit idf and z-scores, got {len(texts)}")
        self.idf_ = {name: _inverse_document_frequency(vectorizer.transform(texts)) for name, vectorizer in self._vectorizers.items()}
        lowered = [[word.lower() for word in words_of(text)] for text in texts]
        document_frequency: Counter[str] = Counter(word for words in lowered for word in set(words))
        totals: Counter[str] = Counter(word for words in lowered for word in words)
        self.most_frequent_words_ = [word for word, _ in totals.most_common(max(MFW_SIZES))]
        self.vocabulary_ = sorted(word for word, count in document_frequency.items() if count >= 2)
        self.word_idf_ = {word: float(np.log((1 + len(texts)) / (1 + count)) + 1) for word, count in document_frequency.items() if count >= 2}
        self.unseen_idf_ = float(np.log(1 + len(texts)) + 1)
        name_frequency: Counter[str] = Counter(name for text in texts for name in names_of(text))
        # a name in fewer than 2 fitting texts weighs as much as an unseen one (and is not stored)
        self.name_idf_ = {name: float(np.log((1 + len(texts)) / (1 + count))) for name, count in name_frequency.items() if count >= 2}
        self.unseen_name_idf_ = float(np.log((1 + len(texts)) / 2))
        self._build_indexes()
        mfw_rates = np.stack([_rates(words, self._mfw_index, len(self.most_frequent_words_)) for words in lowered])
        self.mfw_mean_, self.mfw_scale_ = _mean_and_scale(mfw_rates)
        self.function_mean_, self.function_scale_ = _mean_and_scale(np.stack([_rates(words, self._function_index, len(FUNCTION_WORDS)) for words in lowered]))
        self.punctuation_mean_, self.punctuation_scale_ = _mean_and_scale(
            np.stack([_punctuation_rates(text, len(words)) for text, words in zip(texts, lowered)]))
        chosen = np.unique(np.linspace(0, len(texts) - 1, min(IMPOSTORS, len(texts))).astype(int))
        self.impostor_mfw_ = self._zscore(list(mfw_rates[chosen]), self.mfw_mean_, self.mfw_scale_, mfw_rates.shape[1])  # (impostors, MFW)
        self.impostor_spaces_ = self._space_rows([texts[index] for index in chosen], [lowered[index] for index in chosen])
        self._prepare_impostors()
        return self

    @property
    def char4_hasher(self) -> CharNgramHasher:
        """What counts the ``char4`` space (explanations list the shared 4-grams and their columns)."""
        return self._vectorizers["char4"]

    def _build_indexes(self) -> None:
        self._mfw_index = {word: position for position, word in enumerate(self.most_frequent_words_)}
        self._vocabulary = frozenset(self.vocabulary_)

    def _prepare_impostors(self) -> None:
        """The impostors as every profile's products need them, in the order of :data:`IMPOSTOR_FEATURES`, made once: unit
        rows of each MFW size and dense space ((impostors, width)), the n-gram spaces' rows as columns ((width, impostors)
        CSR; transposing them in every product cost 68 of the 75 ms of profiling one 200-word text)."""
        self._impostor_matrices = [_unit_rows(self.impostor_mfw_[:, :size].astype(np.float64)) for size in MFW_SIZES]
        self._impostor_matrices += [_unit_rows(self.impostor_spaces_[name].astype(np.float64)) if name in DENSE_SPACES
                                    else self.impostor_spaces_[name].T.tocsr() for name in IMPOSTOR_SPACES]

    def _check_fitted(self) -> None:
        if not hasattr(self, "idf_"):
            raise ValueError("TextProfiler is not fitted: call fit(training_texts) or load it from a model folder")

    # -- profiles ---------------------------------------------------------------------------------
    def profile(self, texts: Sequence[str]) -> TextProfiles:
        """:class:`TextProfiles` of ``texts`` (cost linear in their length)."""
        self._check_fitted()
        texts = list(texts)
        word_counts = np.array([len(text.split()) for text in texts], dtype=np.float64)  # words as a reader counts them
        tokens = [words_of(text) for text in texts]  # word-level features read every word (cheap)
        lowered = [[word.lower() for word in words] for words in tokens]
        spaces = self._space_rows(texts, lowered)
        samples = [compression_sample(text) for text in texts]
        word_sets = [frozenset(words) for words in lowered]
        size = len(self.most_frequent_words_)
        mfw = self._zscore([_rates(words, self._mfw_index, size) for words in lowered], self.mfw_mean_, self.mfw_scale_, size)
        impostor_mean, impostor_spread = self._impostor_statistics(mfw, spaces)
        return TextProfiles(
            char4=spaces["char4"], char_wb=spaces["char_wb"], words=spaces["words"],
            mfw=mfw, impostor_mean=impostor_mean, impostor_spread=impostor_spread,
            function_words=spaces["function_words"], punctuation=spaces["punctuation"],
            word_sets=word_sets, word_weights=np.array([self._idf_sum(words) for words in word_sets], dtype=np.float64),
            unknown_words=[frozenset(word for word in words if word[0].isupper() and word.lower() not in self._vocabulary) for words in tokens],
            names=[names_of(text) for text in texts],
            samples=samples, compressed=np.array([_compressed_size(sample) for sample in samples], dtype=np.float64),
            word_counts=word_counts,
        )

    def _space_rows(self, texts: list[str], lowered: list[list[str]]) -> dict[str, sp.csr_matrix | np.ndarray]:
        """``{space: rows}`` of :data:`IMPOSTOR_SPACES` for ``texts`` (``lowered``: their lower-cased words): hashed TF-IDF
        rows (n, H) and z-scored function-word (n, F) and punctuation (n, P) rates; what a profile and the impostors keep."""
        return {
            **self._vectors([spread_sample(text, MAX_NGRAM_CHARACTERS) for text in texts]),
            "function_words": self._zscore([_rates(words, self._function_index, len(FUNCTION_WORDS)) for words in lowered],
                                           self.function_mean_, self.function_scale_, len(FUNCTION_WORDS)),
            "punctuation": self._zscore([_punctuation_rates(text, len(words)) for text, words in zip(texts, lowered)],
                                        self.punctuation_mean_, self.punctuation_scale_, len(PUNCTUATION_MARKS)),
        }

    def _vectors(self, texts: list[str], group: int = 16) -> dict[str, sp.csr_matrix]:
        """The hashed TF-IDF rows of ``texts``, ``group`` texts at a time (bounded memory for long texts)."""
        rows: dict[str, list[sp.csr_matrix]] = {name: [sp.csr_matrix((0, HASHING_FEATURES), dtype=np.float32)] for name in self._vectorizers}
        for start in range(0, len(texts), group):
            block = texts[start:start + group]
            for name, vectorizer in self._vectorizers.items():
                rows[name].append(_weighted_tfidf(vectorizer.transform(block), self.idf_[name]))
        return {name: sp.vstack(parts).tocsr() for name, parts in rows.items()}

    def _impostor_statistics(self, mfw: np.ndarray, spaces: dict[str, sp.csr_matrix | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of each text's similarity to the impostors, in the order of :data:`IMPOSTOR_FEATURES`
        (cosine Delta per MFW size, then the cosine in each of :data:`IMPOSTOR_SPACES`): two (n, len(IMPOSTOR_FEATURES)) arrays."""
        texts = [_unit_rows(mfw[:, :size].astype(np.float64)) for size in MFW_SIZES]
        texts += [_unit_rows(spaces[name].astype(np.float64)) if name in DENSE_SPACES else spaces[name] for name in IMPOSTOR_SPACES]
        means, spreads = np.zeros((len(mfw), len(texts))), np.ones((len(mfw), len(texts)))
        for column, (rows, impostors) in enumerate(zip(texts, self._impostor_matrices)):
            if not rows.shape[0]:
                continue
            if sp.issparse(rows):  # scipy computes each row of a sparse product from that row alone: batch-independent
                similarities = (rows @ impostors).toarray()  # (n, impostors)
            else:
                # one text at a time: a text's statistics must not depend on the texts profiled with it (a batched dense
                # product rounds differently by batch, and the served API must equal the Python one exactly)
                similarities = np.stack([impostors @ row for row in rows])  # (n, impostors)
            means[:, column], spreads[:, column] = similarities.mean(axis=1), np.maximum(similarities.std(axis=1), 1e-6)
        return means, spreads

    @staticmethod
    def _zscore(rows: list[np.ndarray], mean: np.ndarray, scale: np.ndarray, width: int) -> np.ndarray:
        if not rows:
            return np.zeros((0, width), dtype=np.float32)
        return ((np.stack(rows) - mean) / scale).astype(np.float32)

    # -- pair features ----------------------------------------------------------------------------
    def pair_features(self, profiles: TextProfiles, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """(p, len(PAIR_FEATURE_NAMES)) features of the pairs ``(profiles[first[k]], profiles[second[k]])``."""
        first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
        columns = {name: _row_dot(getattr(profiles, name), first, second) for name in ("char4", "char_wb", "words")}
        mfw_a, mfw_b = profiles.mfw[first], profiles.mfw[second]  # (p, 1000)
        delta_300 = np.mean(np.abs(mfw_a[:, :300] - mfw_b[:, :300]), axis=1)
        cosine_deltas = [_cosine(mfw_a[:, :size], mfw_b[:, :size]) for size in MFW_SIZES]
        function_words = _cosine(profiles.function_words[first], profiles.function_words[second])
        punctuation = _cosine(profiles.punctuation[first], profiles.punctuation[second])
        # Each side's z-score weighs by the other side's length: 1/2 each for equal lengths; for a passage against a whole
        # book, the passage's own (noisy, wide) impostor scale, not the book's (tight) one, says how unusual the similarity is.
        words_a, words_b = profiles.word_counts[first], profiles.word_counts[second]
        weight_a = words_b / np.maximum(words_a + words_b, 1.0)
        normalised = [
            weight_a * (similarity - profiles.impostor_mean[first, k]) / profiles.impostor_spread[first, k]
            + (1 - weight_a) * (similarity - profiles.impostor_mean[second, k]) / profiles.impostor_spread[second, k]
            for k, similarity in enumerate([*cosine_deltas, columns["char4"], columns["char_wb"], columns["words"], function_words, punctuation])
        ]
        features = [
            columns["char4"], columns["char_wb"], columns["words"], *cosine_deltas, delta_300, *normalised,
            function_words, punctuation,
            np.array([self._compression_distance(profiles, a, b) for a, b in zip(first, second)]),
            np.array([self._rare_word_overlap(profiles, a, b) for a, b in zip(first, second)]),
            np.array([np.log1p(len(profiles.unknown_words[a] & profiles.unknown_words[b])) for a, b in zip(first, second)]),
            np.array([np.log1p(math.fsum(map(self.name_idf, profiles.names[a] & profiles.names[b]))) for a, b in zip(first, second)]),
            np.log(np.maximum(np.minimum(profiles.word_counts[first], profiles.word_counts[second]), 1.0)),
        ]
        return np.stack(features, axis=1).astype(np.float64)

    @staticmethod
    def _compression_distance(profiles: TextProfiles, a: int, b: int) -> float:
        if a == b:
            return 0.0
        first, second = sorted((profiles.samples[a], profiles.samples[b]))  # one order whichever text comes first: symmetric
        joint = _compressed_size(first + b"\n" + second)
        low, high = sorted((profiles.compressed[a], profiles.compressed[b]))
        return float((joint - low) / max(high, 1.0))

    def name_idf(self, name: str) -> float:
        """``idf_N(name)`` over the fitting texts' name sets (the ``shared_names`` weight)."""
        return self.name_idf_.get(name, self.unseen_name_idf_)

    def _idf_sum(self, words: frozenset[str]) -> float:
        # math.fsum: a set's iteration order depends on the hash seed and on how the set was built (a representation read
        # back from the attribution cache is rebuilt by pickle), and a plain float sum rounds differently in each order
        return math.fsum(self.word_idf_.get(word, self.unseen_idf_) for word in words)

    def _rare_word_overlap(self, profiles: TextProfiles, a: int, b: int) -> float:
        """``sum_{A & B} idf / sum_{A | B} idf`` with ``sum_{A | B} = sum_A + sum_B - sum_{A & B}``: only the (small)
        intersection is summed per pair, each text's own sum once per profile."""
        shared = self._idf_sum(profiles.word_sets[a] & profiles.word_sets[b])
        union = profiles.word_weights[a] + profiles.word_weights[b] - shared
        return float(shared / union) if union > 0 else 0.0

    # -- persistence ------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """``directory/text_profile.json``, one ``idf_<space>.npy`` per hashed space, ``impostor_mfw.npy`` and the impostors'
        rows of each :data:`IMPOSTOR_SPACES` space (``impostor_<space>.npz`` sparse, ``.npy`` dense)."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, idf in self.idf_.items():
            np.save(directory / f"idf_{name}.npy", idf)
        np.save(directory / "impostor_mfw.npy", self.impostor_mfw_)
        for name, rows in self.impostor_spaces_.items():
            if sp.issparse(rows):
                sp.save_npz(directory / f"impostor_{name}.npz", rows.tocsr(), compressed=True)
            else:
                np.save(directory / f"impostor_{name}.npy", rows)
        state = {
            "format": FORMAT, "version": VERSION, "pair_feature_names": list(PAIR_FEATURE_NAMES),
            "most_frequent_words": self.most_frequent_words_, "word_idf": self.word_idf_, "unseen_idf": self.unseen_idf_,
            "name_idf": self.name_idf_, "unseen_name_idf": self.unseen_name_idf_,
            **{name: getattr(self, f"{name}_").tolist() for name in
               ("mfw_mean", "mfw_scale", "function_mean", "function_scale", "punctuation_mean", "punctuation_scale")},
        }
        (directory / "text_profile.json").write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> TextProfiler:
        directory = Path(directory)
        path = directory / "text_profile.json"
        state = read_versioned_json(path, format=FORMAT, version=VERSION, fix="run `writing7 calibrate --force`",
                                    missing="the model folder has no text profile; run `writing7 calibrate`")
        if state.get("pair_feature_names") != list(PAIR_FEATURE_NAMES):
            raise ValueError(f"{path} was written by another Writing7 version: run `writing7 calibrate --force`")
        profiler = cls()
        profiler.idf_ = {name: np.load(directory / f"idf_{name}.npy") for name in VECTORIZERS}
        profiler.impostor_mfw_ = np.load(directory / "impostor_mfw.npy")
        profiler.impostor_spaces_ = {name: np.load(directory / f"impostor_{name}.npy") if name in DENSE_SPACES
                                     else sp.load_npz(directory / f"impostor_{name}.npz").tocsr() for name in IMPOSTOR_SPACES}
        profiler.most_frequent_words_ = list(state["most_frequent_words"])
        profiler.word_idf_ = dict(state["word_idf"])
        profiler.vocabulary_ = sorted(profiler.word_idf_)
        profiler.unseen_idf_ = float(state["unseen_idf"])
        profiler.name_idf_, profiler.unseen_name_idf_ = dict(state["name_idf"]), float(state["unseen_name_idf"])
        for name in ("mfw_mean", "mfw_scale", "function_mean", "function_scale", "punctuation_mean", "punctuation_scale"):
            setattr(profiler, f"{name}_", np.asarray(state[name], dtype=np.float32))
        profiler._build_indexes()
        profiler._prepare_impostors()
        return profiler


def _cosine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1) + 1e-8
    return np.sum(first * second, axis=1) / norms


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / (np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-8)


def _row_dot(matrix: sp.csr_matrix, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[first].multiply(matrix[second]).sum(axis=1), dtype=np.float64).ravel()
