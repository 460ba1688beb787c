"""The corpus store: leftovers of a killed writer removed, one ingest at a time, collisions resolved by id."""

from __future__ import annotations

from pathlib import Path

import pytest

from writing7.artifacts import _temporary_sibling
from writing7.ingest.manifest import ManifestRecord
from writing7.ingest.names import BookNames
from writing7.ingest.store import TEMPORARY_NAME, CorpusStore, owner_key

POEMS = BookNames(author="Rossetti, Christina", title="Poems", author_slug="rossetti-christina", title_slug="poems")


def test_temporaries_of_atomic_writes_are_recognised_and_removed(tmp_path: Path) -> None:
    leftover = _temporary_sibling(tmp_path / "conrad-joseph" / "lord-jim.txt")
    assert TEMPORARY_NAME.match(leftover.name)
    leftover.parent.mkdir()
    leftover.write_bytes(b"half a book")
    kept = tmp_path / "conrad-joseph" / ".notes.txt"
    kept.write_text("a user's hidden file")
    with CorpusStore(tmp_path) as store:
        assert store.removed_temporaries == [leftover]
    assert not leftover.exists() and kept.exists()


def test_only_one_ingest_per_corpus(tmp_path: Path) -> None:
    with CorpusStore(tmp_path):
        with pytest.raises(RuntimeError, match="another ingest is writing to"):
            CorpusStore(tmp_path)
    CorpusStore(tmp_path).close()  # the lock is released on close


def test_corpus_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "corpus").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file"):
        CorpusStore(tmp_path / "corpus")


def test_same_title_different_books_get_the_id_suffix(tmp_path: Path) -> None:
    with CorpusStore(tmp_path) as store:
        first, _, written = store.save(POEMS, b"first book", owner=owner_key(100, None), suffix="100")
        second, _, _ = store.save(POEMS, b"second book", owner=owner_key(200, None), suffix="200")
        again, _, rewritten = store.save(POEMS, b"first book, revised", owner=owner_key(100, None), suffix="100")
    assert (first, second, again) == ("rossetti-christina/poems.txt", "rossetti-christina/poems-200.txt", first)
    assert written and rewritten
    assert (tmp_path / first).read_bytes() == b"first book, revised"


def test_a_users_file_is_never_overwritten_but_identical_bytes_are_reused(tmp_path: Path) -> None:
    user_file = tmp_path / "rossetti-christina" / "poems.txt"
    user_file.parent.mkdir()
    user_file.write_bytes(b"the user's own edition")
    with CorpusStore(tmp_path) as store:
        other, _, _ = store.save(POEMS, b"a download", owner=owner_key(100, None), suffix="100")
        same, _, written = store.save(POEMS, b"the user's own edition", owner=owner_key(300, None), suffix="300")
    assert other == "rossetti-christina/poems-100.txt"
    assert (same, written) == ("rossetti-christina/poems.txt", False)
    assert user_file.read_bytes() == b"the user's own edition"


def test_paths_claimed_in_the_manifest_survive_a_restart(tmp_path: Path) -> None:
    with CorpusStore(tmp_path) as store:
        relative, sha256, _ = store.save(POEMS, b"first book", owner=owner_key(100, None), suffix="100")
        store.record(ManifestRecord(id=100, status="fetched", path=relative, bytes=10, sha256=sha256))
    (tmp_path / relative).unlink()  # the file is gone, but the path is still 100's
    with CorpusStore(tmp_path) as store:
        assert store.done_record(100) is None
        other, _, _ = store.save(POEMS, b"second book", owner=owner_key(200, None), suffix="200")
    assert other == "rossetti-christina/poems-200.txt"
