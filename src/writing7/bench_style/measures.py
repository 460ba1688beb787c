"""The benchmark's measures, on plain arrays of scores (no model here).

Notation: ``s(x, A)`` is the mean style similarity (or ``p_same_author``) of passage ``x`` to the
reference chunks of author ``A``; ``T`` is the imitated (target) author; ``C`` the candidate authors
(every author in the benchmark, ``T`` included); ``i_k`` the imitation of sample ``k`` and ``n_k``
the neutral control of sample ``k`` (same content brief and seed, no style instruction).

* **attribution** — ``argmax_{A in C} s(x, A)``; *accuracy* is the share attributed to ``T``;
  the *rank* of ``T`` is ``1 + #{A in C : s(x, A) > s(x, T)}`` (ties favour the target).
* **towards share** — ``mean_k [s(i_k, T) > s(n_k, T)]``: the imitation sits closer to ``T`` than
  the un-prompted baseline does. **away share** — ``mean_k [s(i_k, T) < s(n_k, T)]``: the style
  instruction moved the text *away* from ``T``. With a neutral control both are measured against
  the LLM's own default voice, so "towards" credits only what the imitation prompt changed.
* **STYLL towards / away** — the continuous measures of Patel et al. (2022), "Low-Resource Authorship
  Style Transfer: Can Non-Famous Authors Be Imitated?" (STYLL), with the neutral control playing
  their *source text*: ``towards = clip((s(i, T) - s(n, T)) / (1 - s(n, T)), 0, 1)`` (share of the
  remaining distance to ``T`` covered) and ``away = clip((1 - s(i, n)) / (1 - s(n, T)), 0, 1)``
  (how far the imitation left the default voice, relative to how far ``T`` is from it), ``s(i, n)``
  being the direct similarity of the imitation to its control. Both are averaged over samples.
* **confusion** — the share of imitations attributed to a non-target author (``1 - accuracy``), with
  the author they were most often mistaken for. This is the attribution-based reading of
  "Catch Me If You Can? Not Yet: LLMs Still Struggle to Imitate the Implicit Writing Styles of
  Everyday Authors" (2025), which judges imitations with attribution and verification models; note
  that STYLL's own "confusion" counts the opposite event (outputs mistaken *for* the target).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

_EPSILON = 1e-9


def author_means(values: np.ndarray, reference_authors: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
    """(n_passages, n_references) scores -> (n_passages, n_candidates) mean over each author's references."""
    values = np.asarray(values, dtype=float)
    owners = np.asarray(reference_authors)
    columns = []
    for author in candidates:
        mask = owners == author  # (n_references,)
        if not mask.any():
            raise ValueError(f"author {author!r} has no reference chunks; give every candidate author at least one")
        columns.append(values[:, mask].mean(axis=1))
    return np.stack(columns, axis=1)


def true_author_ranks(author_scores: np.ndarray, target: int) -> np.ndarray:
    """(n, n_candidates) -> (n,) rank of column ``target``: 1 + the number of authors scored strictly higher."""
    author_scores = np.asarray(author_scores, dtype=float)
    return 1 + (author_scores > author_scores[:, [target]]).sum(axis=1)


def attributed(author_scores: np.ndarray) -> np.ndarray:
    """(n, n_candidates) -> (n,) index of the best-scoring candidate author."""
    return np.asarray(author_scores, dtype=float).argmax(axis=1)


def towards_away_shares(imitation_target: np.ndarray, neutral_target: np.ndarray) -> tuple[float, float]:
    """``(mean [s(i,T) > s(n,T)], mean [s(i,T) < s(n,T)])`` over paired samples; exact ties count for neither."""
    imitation_target, neutral_target = _paired(imitation_target, neutral_target)
    return float((imitation_target > neutral_target).mean()), float((imitation_target < neutral_target).mean())


def styll_towards(imitation_target: np.ndarray, neutral_target: np.ndarray) -> float:
    """``mean clip((s(i,T) - s(n,T)) / (1 - s(n,T)), 0, 1)`` (scores in [0, 1])."""
    imitation_target, neutral_target = _paired(imitation_target, neutral_target)
    gain = (imitation_target - neutral_target) / np.maximum(1.0 - neutral_target, _EPSILON)
    return float(np.clip(gain, 0.0, 1.0).mean())


def styll_away(imitation_neutral: np.ndarray, neutral_target: np.ndarray) -> float:
    """``mean clip((1 - s(i,n)) / (1 - s(n,T)), 0, 1)`` (scores in [0, 1])."""
    imitation_neutral, neutral_target = _paired(imitation_neutral, neutral_target)
    moved = (1.0 - imitation_neutral) / np.maximum(1.0 - neutral_target, _EPSILON)
    return float(np.clip(moved, 0.0, 1.0).mean())


def confusion(predicted: np.ndarray, target: int, candidates: Sequence[str]) -> tuple[float, str | None]:
    """Share of passages attributed to another author, and the author most often chosen instead (None if never)."""
    predicted = np.asarray(predicted)
    wrong = predicted[predicted != target]
    if wrong.size == 0:
        return 0.0, None
    most_common = Counter(wrong.tolist()).most_common(1)[0][0]
    return float(wrong.size / predicted.size), candidates[most_common]


def _paired(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if first.shape != second.shape or first.size == 0:
        raise ValueError(f"paired scores need equal, non-empty shapes, got {first.shape} and {second.shape}")
    return first, second
