"""From generated passages to the benchmark report: score everything once, then summarise per author.

Three rows per target author ``T`` (definitions in :mod:`writing7.bench_style.measures`):

* ``imitation`` — the K imitations of ``T``, with the towards / away / STYLL / confusion measures;
* ``neutral`` — the K neutral controls (shared by all authors) scored against ``T``: what the LLM's
  default voice gets without any style instruction, a chance-level baseline for attribution;
* ``control`` — K real held-out chunks of ``T`` (from the excerpt's book, references from other
  books): what a genuine passage of the author gets; it should rank ``T`` first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from writing7.bench_style.material import AuthorMaterial
from writing7.bench_style.prompts import Prompt
from writing7.bench_style.scoring import PairScorer, PassageScores, imitation_measures, overall, score_passages, summarize_row

Key = tuple[str, str, int]  # (kind, author, sample); the neutral controls have author ""


def passage_table(materials: Mapping[str, AuthorMaterial], prompts: Sequence[Prompt],
                  passages: Sequence[str]) -> tuple[list[str], list[Key]]:
    """Every passage to score (generated, then the real controls) and its key."""
    if len(prompts) != len(passages):
        raise ValueError(f"{len(prompts)} prompts but {len(passages)} passages: generate one passage per prompt")
    texts, keys = list(passages), [(prompt.kind, prompt.author, prompt.sample) for prompt in prompts]
    for author, material in materials.items():
        texts.extend(chunk.text for chunk in material.controls)
        keys.extend(("control", author, sample) for sample in range(len(material.controls)))
    return texts, keys


def author_entry(author: str, target: int, material: AuthorMaterial, scores: PassageScores, position: dict[Key, int],
                 samples: int, imitation_vs_neutral: np.ndarray, candidates: Sequence[str]) -> dict[str, Any]:
    imitation = scores.rows([position["imitation", author, k] for k in range(samples)])
    neutral = scores.rows([position["neutral", "", k] for k in range(samples)])
    control = scores.rows([position["control", author, k] for k in range(len(material.controls))])
    imitation_row = summarize_row(imitation, target)
    imitation_row.update(imitation_measures(imitation, neutral, imitation_vs_neutral, target, candidates))
    return {
        "author": author,
        "excerpt_book": material.excerpt_book,
        "reference_books": material.reference_books,
        "references_from_other_books": material.references_from_other_books,
        "rows": {"imitation": imitation_row, "neutral": summarize_row(neutral, target), "control": summarize_row(control, target)},
    }


def passage_records(texts: Sequence[str], keys: Sequence[Key], scores: PassageScores, candidates: Sequence[str]) -> list[dict[str, Any]]:
    """Each passage with its mean similarity and P(same author) to every candidate, for inspection."""
    records = []
    for row, (text, (kind, author, sample)) in enumerate(zip(texts, keys)):
        similarity = scores.similarity[row]
        records.append({
            "kind": kind, "author": author, "sample": sample, "text": text,
            "similarity": dict(zip(candidates, similarity.round(4).tolist())),
            "p_same_author": dict(zip(candidates, scores.p_same_author[row].round(4).tolist())),
            "attributed_to": candidates[int(similarity.argmax())],
        })
    return records


def summarize_benchmark(matcher: PairScorer, materials: Mapping[str, AuthorMaterial], prompts: Sequence[Prompt],
                        passages: Sequence[str]) -> dict[str, Any]:
    """Score every passage against every author's references and build the report body."""
    candidates = list(materials)
    samples = sum(prompt.kind == "neutral" for prompt in prompts)
    texts, keys = passage_table(materials, prompts, passages)
    position = {key: index for index, key in enumerate(keys)}
    references = [chunk.text for material in materials.values() for chunk in material.references]
    reference_authors = [material.author for material in materials.values() for _ in material.references]
    scores = score_passages(matcher, texts, references, reference_authors, candidates)
    # s(i, n): each imitation against its own neutral control (same brief and seed), for STYLL away.
    pairs = [(texts[position["imitation", author, k]], texts[position["neutral", "", k]]) for author in candidates for k in range(samples)]
    imitation_vs_neutral = np.asarray(matcher.style_similarity_batch(pairs), dtype=float).reshape(len(candidates), samples)
    authors = [author_entry(author, target, materials[author], scores, position, samples, imitation_vs_neutral[target], candidates)
               for target, author in enumerate(candidates)]
    return {
        "benchmark": "style_bench",
        "candidates": candidates,
        "authors": authors,
        "overall": overall([entry["rows"] for entry in authors]),
        "passages": passage_records(texts, keys, scores, candidates),
    }
