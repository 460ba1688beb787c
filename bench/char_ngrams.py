"""Benchmark the whole-text profile's character n-gram counting: numpy-vectorised against scikit-learn's HashingVectorizer.

    python bench/char_ngrams.py --corpus ../shared/data/gutenberg [--texts 40] [--characters 200000]

``--texts`` book slices of ``--characters`` characters (the profile's cap per text, ~35,000 words) from the
corpus, counted both ways for the profile's two character spaces (char 4-grams; word-bounded char 2-5-grams),
each way in a fresh process so that its peak RSS is its own. Prints characters/s, seconds and peak RSS per
way and space, with the CPU; and checks that the two ways agree on the pairwise cosines of the texts' sublinear
tf-idf vectors (they hash differently, so single columns differ; similarities should not, except that the numpy
way reads a line break as a space where scikit-learn keeps it in char 4-grams: most of the char4 difference).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matcher_setup import cpu_description, in_fresh_process

SPACES = {"char4": ((4, 4), False), "char_wb 2-5": ((2, 5), True)}


def sample_texts(corpus: Path, count: int, characters: int) -> list[str]:
    from writing7.corpus import discover_books, read_book

    texts = []
    for book in discover_books(corpus):
        text = read_book(book.path).text
        if len(text) >= characters:
            texts.append(text[:characters])
        if len(texts) == count:
            break
    return texts


def count(way: str, space: str, texts: list[str]) -> dict:
    from sklearn.feature_extraction.text import HashingVectorizer

    from writing7.models.char_ngrams import CharNgramHasher
    from writing7.models.style_features import _inverse_document_frequency, _weighted_tfidf

    ngram_range, word_bounded = SPACES[space]
    if way == "numpy":
        counter = CharNgramHasher(ngram_range, 1 << 20, word_bounded=word_bounded)
    else:
        counter = HashingVectorizer(analyzer="char_wb" if word_bounded else "char", ngram_range=ngram_range, n_features=1 << 20,
                                    alternate_sign=False, norm=None, dtype=np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    counts = counter.transform(texts)
    seconds = time.perf_counter() - start
    vectors = _weighted_tfidf(counts, _inverse_document_frequency(counts))
    cosines = (vectors @ vectors.T).toarray()[np.triu_indices(len(texts), 1)]
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "held_mb": before,
            "cosines": cosines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--texts", type=int, default=40)
    parser.add_argument("--characters", type=int, default=200_000)
    args = parser.parse_args()
    texts = sample_texts(args.corpus, args.texts, args.characters)
    total = sum(map(len, texts))
    print(f"CPU: {cpu_description()}; {len(texts)} texts, {total:,} characters")
    print("| space | way | seconds | characters/s | peak RSS MiB | speed-up | largest cosine difference |")
    print("|---|---|---|---|---|---|---|")
    for space in SPACES:
        reference = in_fresh_process(count, "scikit-learn", space, texts)
        fast = in_fresh_process(count, "numpy", space, texts)
        difference = float(np.max(np.abs(reference["cosines"] - fast["cosines"]))) if len(texts) > 1 else 0.0
        for way, result in (("scikit-learn HashingVectorizer", reference), ("numpy CharNgramHasher", fast)):
            speed_up = reference["seconds"] / result["seconds"]
            print(f"| {space} | {way} | {result['seconds']:.2f} | {total / result['seconds']:,.0f} | {result['peak_mb']:,.0f} | "
                  f"{speed_up:.1f}x | {difference:.4f} |", flush=True)


if __name__ == "__main__":
    main()
