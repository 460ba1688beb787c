"""prepare/export.py: a split built in blocks equals the one-block build, row for row, hash and fingerprint."""

from collections import Counter

from test_prepare_pairs import COUNTS, split_books

from writing7.prepare.export import FEATURES, rows_hash, to_dataset
from writing7.prepare.pairs import make_pairs


def rows():
    return list(make_pairs(split_books(), COUNTS, seed=7))


def test_blocks_do_not_change_the_split():
    whole = to_dataset(iter(rows()), "train", block_rows=10_000)
    blocked = to_dataset(iter(rows()), "train", block_rows=3)
    assert whole.dataset.to_list() == blocked.dataset.to_list() == rows()
    assert whole.rows_sha256 == blocked.rows_sha256 == rows_hash(rows())
    assert whole.dataset._fingerprint == blocked.dataset._fingerprint
    assert blocked.dataset.features == FEATURES and str(blocked.dataset.split) == "train"


def test_pair_types_and_fingerprint_follow_the_rows():
    exported = to_dataset(rows(), "validation", block_rows=4)
    kinds = Counter(row["pair_type"] for row in rows())
    kinds.update(f"negative/{row['neg_type']}" for row in rows() if row["pair_type"] == "negative")
    assert exported.pair_types == dict(sorted(kinds.items())) and exported.pairs == len(rows())
    assert to_dataset(rows(), "test").dataset._fingerprint != exported.dataset._fingerprint  # the split is in it
    assert to_dataset(rows()[1:], "validation").dataset._fingerprint != exported.dataset._fingerprint


def test_an_empty_split_keeps_the_schema():
    exported = to_dataset(iter([]), "test")
    assert exported.pairs == 0 and exported.dataset.features == FEATURES and exported.pair_types == {}
