"""Why the verdict says what it says: the fused logit taken apart, and the textual evidence behind it.

For each task the verdict's head is linear (:class:`~writing7.calibration.fused.FusedLogisticCalibrator`),
so its logit is exactly

    logit = bias + sum_j weight_j * (x_j - mean_j) / scale_j

one contribution per feature of :data:`~writing7.inference.verdict.FEATURE_NAMES`
(:func:`task_contributions`); ``sigmoid(logit)`` is the probability :meth:`Matcher.score` returns.

The evidence (:func:`pair_evidence`) shows the text behind the stylometric features, from the
profiles the verdict already computed and the :class:`~writing7.models.text_profile.TextProfiler`'s
vocabularies fitted on the training books:

- ``shared_rare_words``: words both texts use, rarest first (idf over the training books; a word
  the training books never used twice has the largest idf): what ``rare_word_overlap`` sums;
- ``shared_names``: names both texts use, rarest first (idf over the training texts' names), then most
  frequent: the capitalised words used mid-sentence that the ``shared_names`` feature sums, and the
  capitalised words outside the training vocabulary that ``shared_unknown_words`` counts;
- ``char_ngrams``: the shared character 4-grams with the largest product of the two texts'
  L2-normalised TF-IDF weights; those products sum to ``char4_cosine`` (Stamatatos 2009), so each
  n-gram's ``share`` is its part of that cosine;
- ``function_words``: the function words text A over- and under-uses relative to text B, by the
  difference of their z-scored rates (z over the training books, as in Burrows' Delta, LLC 17(3), 2002),
  with the rates per 1,000 words.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from writing7.inference.verdict import FEATURE_NAMES, PairFeatures, Verdict
from writing7.models.function_words import FUNCTION_WORDS
from writing7.models.text_profile import MAX_NGRAM_CHARACTERS, TextProfiler, TextProfiles, words_of
from writing7.text.chunks import spread_sample

EVIDENCE_ITEMS = 10


def task_contributions(verdict: Verdict, task: str, features: PairFeatures, index: int) -> dict[str, Any]:
    """The logit of pair ``index`` for ``task`` as ``bias + sum(contributions)``, largest contribution first.

    Also the probability, the band's decision threshold and abstention interval (where the page draws them).
    """
    parts = verdict.contributions(task, features, index)
    head = verdict.head(task, features.shorter_words[index])
    logit = parts["bias"] + sum(parts["contributions"].values())
    rows = [{"feature": name, "value": float(features.values[index, position]), "contribution": parts["contributions"][name]}
            for position, name in enumerate(FEATURE_NAMES)]
    rows.sort(key=lambda row: -abs(row["contribution"]))
    return {"band": parts["band"], "bias": parts["bias"], "logit": logit, "probability": float(1.0 / (1.0 + np.exp(-logit))),
            "too_short": bool(verdict.too_short(features)[index]),  # then the verdict abstains (p = 0.5) whatever this head says
            "threshold": float(head.decision.threshold_), "abstention": [float(edge) for edge in head.decision.band_],
            "contributions": rows}


def shared_rare_words(profiler: TextProfiler, profiles: TextProfiles, a: int, b: int, top: int = EVIDENCE_ITEMS) -> list[dict[str, Any]]:
    """The ``top`` words (with a letter) both texts use, by idf over the training books, rarest first."""
    shared = [word for word in profiles.word_sets[a] & profiles.word_sets[b] if any(character.isalpha() for character in word)]
    weighted = sorted(((profiler.word_idf_.get(word, profiler.unseen_idf_), word) for word in shared), key=lambda item: (-item[0], item[1]))
    return [{"word": word, "idf": round(float(idf), 4)} for idf, word in weighted[:top]]


def shared_names(profiler: TextProfiler, profiles: TextProfiles, text_a: str, text_b: str, a: int, b: int,
                 top: int = EVIDENCE_ITEMS) -> list[dict[str, Any]]:
    """The ``top`` names both texts use (mid-sentence capitalised words and out-of-vocabulary capitalised words), rarest first."""
    names = (profiles.names[a] & profiles.names[b]) | (profiles.unknown_words[a] & profiles.unknown_words[b])
    counts_a, counts_b = Counter(words_of(text_a)), Counter(words_of(text_b))
    ranked = sorted(names, key=lambda name: (-profiler.name_idf(name), -(counts_a[name] + counts_b[name]), name))
    return [{"name": name, "idf": round(profiler.name_idf(name), 4), "count_a": counts_a[name], "count_b": counts_b[name]}
            for name in ranked[:top]]


def shared_char_ngrams(profiler: TextProfiler, profiles: TextProfiles, text_a: str, text_b: str, a: int, b: int,
                       top: int = EVIDENCE_ITEMS) -> list[dict[str, Any]]:
    """The ``top`` shared character 4-grams by the product of the two texts' TF-IDF weights (their part of ``char4_cosine``)."""
    hasher = profiler.char4_hasher
    grams_a = set(hasher.ngrams(spread_sample(text_a, MAX_NGRAM_CHARACTERS)))
    grams_b = set(hasher.ngrams(spread_sample(text_b, MAX_NGRAM_CHARACTERS)))
    by_column: dict[int, str] = {}
    for gram in sorted(grams_a & grams_b):
        by_column.setdefault(hasher.column(gram), gram)  # a hash collision shows the first n-gram of the column
    columns = np.fromiter(by_column, dtype=np.int64, count=len(by_column))
    weights = _row_values(profiles.char4[a], columns) * _row_values(profiles.char4[b], columns)  # (shared,)
    products = sorted(zip(weights.tolist(), by_column.values()), key=lambda item: (-item[0], item[1]))
    cosine = float(profiles.char4[a].multiply(profiles.char4[b]).sum()) or 1.0
    return [{"ngram": gram, "weight": round(product, 9), "share": round(product / cosine, 4)} for product, gram in products[:top] if product > 0]


def _row_values(row: Any, columns: np.ndarray) -> np.ndarray:
    """The values of a (1, H) sparse row at ``columns`` (0 where the row has none)."""
    row = row.tocsr()
    row.sum_duplicates()  # canonical: sorted, unique column indices
    positions = np.clip(np.searchsorted(row.indices, columns), 0, max(len(row.indices) - 1, 0))
    found = (len(row.indices) > 0) & (row.indices[positions] == columns) if len(row.indices) else np.zeros(len(columns), bool)
    return np.where(found, row.data[positions] if len(row.data) else 0.0, 0.0).astype(np.float64)


def function_word_differences(profiles: TextProfiles, text_a: str, text_b: str, a: int, b: int,
                              top: int = EVIDENCE_ITEMS) -> dict[str, list[dict[str, Any]]]:
    """``{"over_used", "under_used"}``: function words text A uses more / less than text B, by z-score difference."""
    difference = profiles.function_words[a] - profiles.function_words[b]  # (F,)
    rates_a, rates_b = _rates_per_thousand(text_a), _rates_per_thousand(text_b)

    def row(position: int) -> dict[str, Any]:
        word = FUNCTION_WORDS[position]
        return {"word": word, "z_a": round(float(profiles.function_words[a, position]), 3), "z_b": round(float(profiles.function_words[b, position]), 3),
                "difference": round(float(difference[position]), 3), "per_1000_a": round(rates_a[word], 2), "per_1000_b": round(rates_b[word], 2)}

    order = np.argsort(-difference, kind="stable")
    over = [row(position) for position in order[:top] if difference[position] > 0]
    under = [row(position) for position in order[::-1][:top] if difference[position] < 0]
    return {"over_used": over, "under_used": under}


def _rates_per_thousand(text: str) -> Counter[str]:
    words = [word.lower() for word in words_of(text)]
    counts = Counter(word for word in words if word in set(FUNCTION_WORDS))
    scale = 1000.0 / max(len(words), 1)
    return Counter({word: count * scale for word, count in counts.items()})


def pair_evidence(profiler: TextProfiler, profiles: TextProfiles, text_a: str, text_b: str, a: int, b: int,
                  top: int = EVIDENCE_ITEMS) -> dict[str, Any]:
    """Every evidence list of the module docstring for texts ``a`` and ``b`` of ``profiles``."""
    return {"shared_rare_words": shared_rare_words(profiler, profiles, a, b, top),
            "shared_names": shared_names(profiler, profiles, text_a, text_b, a, b, top),
            "char_ngrams": shared_char_ngrams(profiler, profiles, text_a, text_b, a, b, top),
            "function_words": function_word_differences(profiles, text_a, text_b, a, b, top)}
