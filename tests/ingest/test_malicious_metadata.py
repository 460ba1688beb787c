"""Hostile author and title metadata (header or catalog) always lands inside the corpus, under safe names."""

from __future__ import annotations

import re
from pathlib import Path

from ingest_helpers import corpus_files, fast_config

from writing7.ingest.slugs import MAX_SLUG_LENGTH
from writing7.ingest.testing_server import MirrorServer
from writing7.stages.ingest import run_gutenberg

SAFE_PATH = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*\.txt$")


def gutenberg_text(title: str, author: str) -> bytes:
    header = f"The Project Gutenberg eBook\r\n\r\nTitle: {title}\r\n\r\nAuthor: {author}\r\n\r\n"
    return (header + "*** START OF THE PROJECT GUTENBERG EBOOK ***\r\nIt was a dark and stormy night.\r\n").encode("utf-8")


HOSTILE = {
    9001: ("Escape", "../../etc"),
    9002: ("AC/DC: a/b/../../c", "Some One"),
    9003: ("Long " * 60, "Verbose Writer"),
    9004: ("Nameless", ""),
    9005: ("/etc/passwd", "/root"),
    9006: ("NUL", "CON"),
    9008: ("..", "..."),
    9009: ("C:\\Windows\\win.ini", "\\\\server\\share"),
}
EXPECTED = {
    9001: "etc/escape.txt",
    9002: "one-some/ac-dc-a-b-c.txt",
    9004: "unknown-author/nameless.txt",
    9005: "root/etc-passwd.txt",
    9006: "con-author/nul-book.txt",
    9008: "unknown-author/book-9008.txt",
    9009: "server-share/c-windows-win-ini.txt",
}


def test_hostile_header_metadata_stays_inside_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "inside" / "corpus"
    served = {book_id: gutenberg_text(title, author) for book_id, (title, author) in HOSTILE.items()}
    with MirrorServer(served) as server:
        summary = run_gutenberg(fast_config(server.url), book_ids=sorted(HOSTILE), corpus=corpus)
    assert summary.counts["fetched"] == len(HOSTILE)
    paths = {int(outcome.book): outcome.path for outcome in summary.outcomes}
    assert {book_id: paths[book_id] for book_id in EXPECTED} == EXPECTED
    long_title = Path(paths[9003]).stem
    assert paths[9003].startswith("writer-verbose/long-long") and len(long_title) <= MAX_SLUG_LENGTH
    for relative in paths.values():
        assert SAFE_PATH.match(relative), relative
        assert (corpus / relative).resolve().is_relative_to(corpus.resolve())
    assert len(corpus_files(corpus)) == len(HOSTILE)
    assert [path.name for path in tmp_path.iterdir()] == ["inside"] and [path.name for path in (tmp_path / "inside").iterdir()] == ["corpus"]


def test_a_nul_byte_in_the_text_is_refused_as_binary(tmp_path: Path) -> None:
    with MirrorServer({9007: gutenberg_text("Null\x00Byte", "Null\x00Author")}) as server:
        summary = run_gutenberg(fast_config(server.url, layouts=["cache-epub"]), book_ids=[9007], corpus=tmp_path)
    assert "binary file (contains NUL bytes)" in summary.outcomes[0].reason
    assert corpus_files(tmp_path) == []


def test_hostile_catalog_slugs_are_re_slugged(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "gutenberg_id,author,author_slug,title,title_slug\n"
        '9001,"Evil, Eve",../../../escape,Title,../../x\n'
        '9002,"",,"",\n',
        encoding="utf-8",
    )
    served = {9001: gutenberg_text("Escape", "Eve Evil"), 9002: gutenberg_text("Header Title", "")}
    with MirrorServer(served) as server:
        summary = run_gutenberg(fast_config(server.url), book_ids=[9001, 9002], corpus=tmp_path / "corpus", catalog_path=catalog)
    assert sorted(outcome.path for outcome in summary.outcomes) == ["escape/x.txt", "unknown-author/header-title.txt"]
