"""The stages' passage-embedding cache: a passage is encoded once per (model, precision), read back bit for bit."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from writing7.models.embedding_cache import EmbeddingCache
from writing7.models.matcher import MatcherModel

TEXTS = ["The sea was calm that night and the captain slept.", "She laughed, and the room laughed with her.",
         "The sea was calm that night and the captain slept."]


def cached_model(model_dir, directory, precision="fp32"):
    model = MatcherModel.load(model_dir, precision=precision)
    model.cache_embeddings(model_dir, directory)
    return model


def cache_files(directory):
    return sorted(directory.glob("*.sqlite"))


def test_a_second_model_reads_back_what_the_first_encoded(calibrated_matcher_dir, tmp_path):
    first = cached_model(calibrated_matcher_dir, tmp_path).encode(TEXTS)
    [path] = cache_files(tmp_path)
    assert len(EmbeddingCache(path, first.shape[1])) == 2  # the repeated text is stored once

    model = cached_model(calibrated_matcher_dir, tmp_path)
    encoded = []
    original = model._encode_tokens
    model._encode_tokens = lambda token_ids, batch_size: encoded.append(len(token_ids)) or original(token_ids, batch_size)
    respaced = TEXTS[0].replace(" ", "\n  ")  # the same tokens: the same embedding
    again = model.encode([*TEXTS, respaced, "A new passage, never encoded before."])
    np.testing.assert_array_equal(again[:3], first)  # stored as computed: bit for bit
    np.testing.assert_array_equal(again[3], first[0])
    assert encoded == [1]  # only the new text went through the encoder
    np.testing.assert_allclose(again[4], MatcherModel.load(calibrated_matcher_dir, precision="fp32").encode(["A new passage, never encoded before."])[0],
                               atol=1e-6)


def test_each_precision_and_each_model_has_its_own_file(calibrated_matcher_dir, tmp_path):
    cached_model(calibrated_matcher_dir, tmp_path, "fp32").encode(TEXTS[:1])
    cached_model(calibrated_matcher_dir, tmp_path, "int8").encode(TEXTS[:1])
    assert len(cache_files(tmp_path)) == 2
    retrained = tmp_path / "retrained"
    shutil.copytree(calibrated_matcher_dir, retrained)
    info = retrained / "writing7_model.json"
    info.write_text(info.read_text(encoding="utf-8").replace("{", '{"retrained": true,', 1), encoding="utf-8")  # any change: another model
    cached_model(retrained, tmp_path, "fp32").encode(TEXTS[:1])
    assert len(cache_files(tmp_path)) == 3


def test_a_model_without_the_cache_writes_nothing(calibrated_matcher_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_CACHE", str(tmp_path))
    MatcherModel.load(calibrated_matcher_dir, precision="fp32").encode(TEXTS)
    assert not list(tmp_path.rglob("*.sqlite"))


def test_a_damaged_cache_file_is_reported_once_and_encoding_goes_on(calibrated_matcher_dir, tmp_path, caplog):
    expected = MatcherModel.load(calibrated_matcher_dir, precision="fp32").encode(TEXTS)
    cached_model(calibrated_matcher_dir, tmp_path).encode(TEXTS[:1])
    [path] = cache_files(tmp_path)
    path.write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="writing7.models.embedding_cache"):
        encoded = cached_model(calibrated_matcher_dir, tmp_path).encode(TEXTS)
    np.testing.assert_allclose(encoded, expected, atol=1e-6)
    assert [record.message.count("delete the file") for record in caplog.records] == [1]


def test_a_stored_vector_of_another_width_counts_as_missing(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite", 4)
    cache.store([b"a", b"b"], np.ones((2, 4), dtype=np.float32))
    assert set(EmbeddingCache(tmp_path / "c.sqlite", 8).lookup([b"a", b"b"])) == set()
    assert set(cache.lookup([b"a", b"c", b"a"])) == {b"a"}


@pytest.mark.parametrize("count", [1, 2_000])  # more keys than one SQLite statement takes
def test_lookup_reads_any_number_of_keys(tmp_path, count):
    cache = EmbeddingCache(tmp_path / "c.sqlite", 2)
    keys = [str(index).encode() for index in range(count)]
    vectors = np.arange(2 * count, dtype=np.float32).reshape(count, 2)
    cache.store(keys, vectors)
    found = cache.lookup(keys)
    np.testing.assert_array_equal(np.stack([found[key] for key in keys]), vectors)
