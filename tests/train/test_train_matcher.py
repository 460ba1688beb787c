"""The saved matcher: public API, SentenceTransformer parity, persistence."""

import json

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from writing7.models.matcher import MatcherModel
from writing7.models.scoring import pair_cosines, score_text_pairs

TEXTS1 = ["The sea was calm and the ship lay still.", "It was the best of times.", "Anne looked at Marilla."]
TEXTS2 = ["The captain waited on the bridge.", "It was the worst of times.", "The sea was calm and the ship lay still."]


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, tiny_bert, pair_dataset_dir):
    from conftest import train_tiny_matcher

    root = tmp_path_factory.mktemp("matcher")
    train_tiny_matcher(root, tiny_bert, pair_dataset_dir, max_steps=2, projection_dim=24)
    return root / "final"


def test_saved_model_loads_as_a_sentence_transformer_with_the_same_embeddings(saved_model):
    ours = MatcherModel.load(saved_model, device="cpu", precision="fp32").encode(TEXTS1 + TEXTS2, batch_size=2)
    theirs = SentenceTransformer(str(saved_model), device="cpu").encode(TEXTS1 + TEXTS2, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (6, 24)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_encode_returns_normalised_float32_in_input_order(saved_model):
    model = MatcherModel.load(saved_model, device="cpu")
    embeddings = model.encode(TEXTS1, batch_size=2)
    assert embeddings.dtype == np.float32 and embeddings.shape == (3, model.info["embedding_dim"])
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(model.encode(TEXTS1[::-1], batch_size=1)[::-1], embeddings, atol=2e-2)  # bf16 tolerance
    assert model.encode([]).shape == (0, model.info["embedding_dim"])


def test_scored_pairs_agree_with_the_embedding_route_and_cosine(saved_model):
    model = MatcherModel.load(saved_model, device="cpu", precision="fp32")
    scores = score_text_pairs(model, TEXTS1, TEXTS2, batch_size=2)
    assert scores.logits.shape == (3, 2) and scores.cosines.shape == (3,)
    reused = model.pair_logits_from_embeddings(model.encode(TEXTS1), model.encode(TEXTS2), TEXTS1, TEXTS2)
    np.testing.assert_allclose(scores.logits, reused, atol=1e-5)
    np.testing.assert_allclose(score_text_pairs(model, TEXTS2, TEXTS1).logits, scores.logits, atol=1e-5)  # the head is symmetric
    np.testing.assert_allclose(scores.cosines, np.sum(model.encode(TEXTS1) * model.encode(TEXTS2), axis=1), atol=1e-5)
    np.testing.assert_allclose(pair_cosines(model, TEXTS1, TEXTS2), scores.cosines, atol=1e-6)


def test_info_describes_the_model(saved_model):
    info = MatcherModel.load(saved_model, device="cpu").info
    assert info == json.loads((saved_model / "writing7_model.json").read_text())
    assert info["embedding_dim"] == 24 and info["max_seq_length"] == 64 and info["logits"] == ["same_book", "same_author"]
    assert info["training"]["steps"] == 2 and "char_tfidf_cosine" in info["pair_feature_names"]


def test_mismatched_inputs_are_refused(saved_model, tmp_path):
    model = MatcherModel.load(saved_model, device="cpu")
    with pytest.raises(ValueError, match="equal length"):
        score_text_pairs(model, TEXTS1, TEXTS2[:2])
    with pytest.raises(FileNotFoundError, match="run `writing7 train` first"):
        MatcherModel.load(tmp_path)
