import json
import logging
import shutil

import pytest
from datasets import load_from_disk

from writing7.artifacts import MissingInputError
from writing7.corpus import discover_books
from writing7.prepare.chunking import chunk_books
from writing7.prepare.export import FEATURES
from writing7.prepare.pairs import COLUMNS, disjoint
from writing7.stages.prepare import run


def load(artifacts):
    return load_from_disk(str(artifacts / "data" / "processed"))


def manifest(artifacts):
    return json.loads((artifacts / "data" / "processed" / "manifest.json").read_text())


def test_schema_and_manifest(prepared):
    dataset = load(prepared)
    assert list(dataset) == ["train", "validation", "test"]
    assert tuple(FEATURES) == COLUMNS
    for split in dataset.values():
        assert tuple(split.column_names) == COLUMNS and split.features == FEATURES and len(split) > 0
        assert set(split["pair_type"]) == {"positive", "negative", "same_author"}
        assert set(split["neg_type"]) <= {"hard", "topic", "random", ""}
        assert set(split["topic1"]) | set(split["topic2"]) <= set(range(5))
    stats = manifest(prepared)["stats"]
    assert stats["books_used"] == 18 and stats["embedding"]["dtype"] in ("bf16", "fp32")
    assert set(stats["seconds"]) == set(stats["peak_rss_mb"]) >= {"chunk", "dedup", "embed", "topics", "neighbours", "pairs", "save"}
    for name, split in dataset.items():
        info = stats["splits"][name]
        # the fingerprint we set is saved; load_from_disk derives its own from it (with_format)
        state = json.loads((prepared / "data" / "processed" / name / "state.json").read_text())
        assert info["pairs"] == len(split) and info["fingerprint"] == state["_fingerprint"]
        assert sum(count for kind, count in info["pair_types"].items() if "/" not in kind) == len(split)


def test_no_author_in_two_splits_and_pairs_stay_in_their_split(prepared):
    dataset = load(prepared)
    authors = {name: set(split["author1"]) | set(split["author2"]) for name, split in dataset.items()}
    assert not authors["train"] & authors["validation"] and not authors["train"] & authors["test"]
    assert not authors["validation"] & authors["test"]
    assert sum(len(a) for a in authors.values()) == 9


def test_labels_positives_and_same_author(prepared, small_config, fixture_corpus_source):
    passages = {(c.book_id, c.text): c for book in chunk_books(discover_books(fixture_corpus_source), small_config()) for c in book.chunks}
    for split in load(prepared).values():
        for row in split:
            if row["pair_type"] == "positive":
                assert row["label"] == 1 and row["book1"] == row["book2"]
                assert disjoint(passages[(row["book1"], row["text1"])], passages[(row["book2"], row["text2"])])
            else:
                assert row["label"] == 0
                # a same-author pair is never labelled as a different-author negative
                assert (row["author1"] == row["author2"]) == (row["pair_type"] == "same_author")
            if row["pair_type"] == "same_author":
                assert row["book1"] != row["book2"]


def test_same_inputs_give_the_same_dataset(prepared, small_config, fixture_corpus_source, tmp_path):
    again = tmp_path / "again"
    run(small_config(), corpus=fixture_corpus_source, artifacts=again)
    first, second = load(prepared), load(again)
    for name in first:
        assert first[name]._fingerprint == second[name]._fingerprint
        assert first[name].to_list() == second[name].to_list()
    assert manifest(prepared)["outputs"] == manifest(again)["outputs"]


def test_skip_when_current_and_force(prepared, small_config, fixture_corpus, tmp_path, caplog):
    artifacts = shutil.copytree(prepared, tmp_path / "artifacts")
    created = manifest(artifacts)["created"]
    with caplog.at_level(logging.INFO, logger="writing7.stages.prepare"):
        skipped = run(small_config(), corpus=fixture_corpus, artifacts=artifacts)
    assert not skipped.ran and skipped.manifest.created == created and skipped.summary.startswith("train ")
    assert "skipped (current)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="writing7.stages.prepare"):
        assert run(small_config(), corpus=fixture_corpus, artifacts=artifacts, force=True).ran
    assert "skipped (current)" not in caplog.text and "train" in caplog.text
    # a changed book makes the output stale
    (fixture_corpus / "grey-zane" / "desert-gold.txt").write_bytes(b"changed")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="writing7.stages.prepare"):
        run(small_config(), corpus=fixture_corpus, artifacts=artifacts)
    assert "skipped (current)" not in caplog.text
    assert manifest(artifacts)["stats"]["books_skipped"] == 1


def test_missing_and_empty_corpus(small_config, tmp_path):
    with pytest.raises(MissingInputError, match=r"corpus directory not found at .*nowhere: run `writing7 ingest` first"):
        run(small_config(), corpus=tmp_path / "nowhere", artifacts=tmp_path / "artifacts")
    (tmp_path / "empty" / "author").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"no \.txt files under .*empty"):
        run(small_config(), corpus=tmp_path / "empty", artifacts=tmp_path / "artifacts")


def test_no_training_examples_names_the_thresholds(small_config, fixture_corpus_source, tmp_path):
    with pytest.raises(ValueError, match=r"no training examples were created: none of 18 books kept a passage .* lower --min-chunk-chars"):
        run(small_config(min_chunk_chars=100_000), corpus=fixture_corpus_source, artifacts=tmp_path)
    assert not (tmp_path / "data" / "processed").exists()


def test_too_few_authors(small_config, fixture_corpus_source, tmp_path):
    with pytest.raises(ValueError, match=r"too few authors to split by author: 2 authors"):
        run(small_config(max_books=4), corpus=fixture_corpus_source, artifacts=tmp_path)


def split_of_authors(artifacts):
    return {author: name for name, split in load(artifacts).items() for author in set(split["author1"]) | set(split["author2"])}


def test_several_corpus_folders_read_as_one_and_split_on_their_own(small_config, fixture_corpus_source, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    authors = sorted(path.name for path in fixture_corpus_source.iterdir() if path.is_dir())
    for position, author in enumerate(authors):
        shutil.copytree(fixture_corpus_source / author, (first if position < 6 else second) / author)
    run(small_config(), corpus=first, artifacts=tmp_path / "alone")
    manifest_both = run(small_config(), corpus=(first, second), artifacts=tmp_path / "both")
    alone, both = split_of_authors(tmp_path / "alone"), split_of_authors(tmp_path / "both")
    assert manifest_both.stats["books_used"] == 18
    assert {author: both[author] for author in alone} == alone  # the second folder moves no author of the first
    assert {both[author] for author in authors[6:]} == {"train"}  # 3 authors: too few to split, all trained on
