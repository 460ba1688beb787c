"""Every book of the shared corpus comes out of `standardize` free of Gutenberg boilerplate."""

import re
import statistics

import pytest

from writing7.config.standardize import StandardizeConfig
from writing7.stages.standardize import run

FORBIDDEN = re.compile(
    r"START OF TH(?:E|IS) PROJECT GUTENBERG|END OF TH(?:E|IS) PROJECT GUTENBERG|PROJECT GUTENBERG LICENSE"
    r"|www\.gutenberg\.org|gutenberg\.net|(?-i:^Produced by)",
    re.IGNORECASE | re.MULTILINE,
)


@pytest.mark.slow
def test_every_shared_corpus_book_is_clean(shared_corpus, tmp_path):
    stats = run(StandardizeConfig(workers=2), corpus=shared_corpus, output=tmp_path / "clean").stats
    books = sorted((tmp_path / "clean").rglob("*.txt"))
    assert stats["books_found"] == stats["books_written"] == len(books) == 243
    report = (tmp_path / "clean" / "standardize_report.json").read_text(encoding="utf-8")
    kept = [float(value) for value in re.findall(r'"kept_fraction": ([0-9.]+)', report)]
    assert len(kept) == 243 and all(0.75 <= value <= 1.0 for value in kept)
    for path in books:
        text = path.read_text(encoding="utf-8")
        assert text.strip(), path
        match = FORBIDDEN.search(text)
        assert match is None, f"{path}: {match.group(0) if match else ''}"
    print(f"kept fraction over {len(kept)} books: min {min(kept):.4f}, median {statistics.median(kept):.4f}")
