"""Fitting the final pair head on held-out training authors."""


import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from writing7.models.matcher import MatcherModel
from writing7.models.scoring import score_text_pairs
from writing7.models.style_features import StyleFeaturizer, pair_feature_tensor
from writing7.training.data import split_columns, tables_from_split
from writing7.training.head_fit import SIMILARITY_FEATURES, fit_linear_head, partition_by_author, summarise_weights, task_masks


def test_partition_holds_whole_authors_out_of_the_encoder_pairs(pair_splits):
    encoder, head = partition_by_author(pair_splits["train"], 0.4, seed=3)
    encoder_authors = set(encoder["author1"]) | set(encoder["author2"])
    head_only = {author for pair in zip(head["author1"], head["author2"]) for author in pair} - encoder_authors
    assert len(head_only) == 2  # round(0.4 * 5 authors)
    assert all(first in head_only or second in head_only for first, second in zip(head["author1"], head["author2"]))
    assert len(encoder["text1"]) + len(head["text1"]) == len(pair_splits["train"])
    assert set(head["pair_type"]) == {"positive", "same_author", "negative"}


def test_partition_is_seeded_and_off_at_zero(pair_splits):
    first, _ = partition_by_author(pair_splits["train"], 0.2, seed=1)
    again, _ = partition_by_author(pair_splits["train"], 0.2, seed=1)
    assert first == again
    everything, none = partition_by_author(pair_splits["train"], 0.0, seed=1)
    assert none is None and everything == split_columns(pair_splits["train"])


def test_partition_refuses_to_leave_the_encoder_without_authors(pair_splits):
    with pytest.raises(ValueError, match="head_fit_author_ratio"):
        partition_by_author(pair_splits["train"], 0.9, seed=0)


def test_task_masks_match_the_evaluated_tasks():
    from writing7.training.data import PairTable

    types = np.array(["positive", "same_author", "negative", "negative"], dtype=object)
    pairs = PairTable(np.zeros(4, int), np.zeros(4, int), types == "positive", np.array([True, True, False, True]), types)
    masks = task_masks(pairs)
    np.testing.assert_array_equal(masks["book"][0], [True, False, True, False])  # same-author negative left out
    np.testing.assert_array_equal(masks["book"][1], [True, False])
    np.testing.assert_array_equal(masks["author"][0], [False, True, True, False])  # same-book pair left out
    np.testing.assert_array_equal(masks["author"][1], [True, False])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_bert, pair_dataset_dir):
    from conftest import train_tiny_matcher

    root = tmp_path_factory.mktemp("head_fit")
    matcher, summary, splits = train_tiny_matcher(root, tiny_bert, pair_dataset_dir, max_steps=2, head_fit_author_ratio=0.2)
    return matcher, summary, splits, root / "final"


def test_training_with_a_holdout_ends_with_a_linear_head_that_survives_saving(trained):
    matcher, summary, splits, folder = trained
    assert matcher.head.mlp is None and summary["head_fit"]["held_out_authors"] == 1
    assert set(summary["head_fit"]["tasks"]) == {"book", "author"}
    assert "embedding_cosine" in summary["head_fit"]["tasks"]["book"]["weights"]
    assert {"book_auc", "author_auc"} <= set(summary["final_evaluation"])
    before, after = summary["in_batch_head_evaluation"], summary["final_evaluation"]
    assert after["book_cosine_auc"] == before["book_cosine_auc"]  # same encoder: only the head changed
    loaded = MatcherModel.load(folder, device="cpu", precision="fp32")
    assert loaded.info["pair_head"]["hidden"] == 0
    texts1, texts2 = splits["test"]["text1"][:5], splits["test"]["text2"][:5]
    np.testing.assert_allclose(score_text_pairs(loaded, texts1, texts2).logits, score_text_pairs(matcher, texts1, texts2).logits, atol=1e-4)


@pytest.mark.parametrize("features", ["all", "similarities"])
def test_linear_head_equals_a_direct_logistic_regression_on_the_same_inputs(trained, features):
    """Oracle: scikit-learn's StandardScaler + LogisticRegression fitted by hand on the head's inputs."""
    matcher, _, splits, _ = trained
    chunks, pairs = tables_from_split(splits["validation"])
    head, report = fit_linear_head(matcher, chunks, pairs, features=features, inverse_regularisation=0.5)
    used_rows = np.unique(np.concatenate([pairs.first, pairs.second]))
    embeddings = torch.zeros((len(chunks), matcher.encoder.embedding_dim))
    embeddings[used_rows] = torch.from_numpy(matcher.encode([chunks.texts[row] for row in used_rows]))  # as the fit encodes them
    pair_features = pair_feature_tensor(matcher.featurizer.transform(chunks.texts), pairs.first, pairs.second)
    first, second = embeddings[pairs.first], embeddings[pairs.second]
    cosine = (first * second).sum(-1, keepdim=True)
    inputs = torch.cat([cosine, (pair_features - head.feature_mean) / head.feature_scale], dim=1).numpy()
    names = ["embedding_cosine", *StyleFeaturizer.PAIR_FEATURE_NAMES]
    used = [index for index, name in enumerate(names) if features == "all" or name in SIMILARITY_FEATURES]
    assert report["features"] == [names[index] for index in used]
    with torch.no_grad():
        logits = head(first, second, pair_features).numpy()
    for column, (task, (mask, labels)) in enumerate(task_masks(pairs).items()):
        oracle = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, class_weight="balanced", max_iter=5000))
        oracle.fit(inputs[mask][:, used], labels)
        np.testing.assert_allclose(logits[:, column], oracle.decision_function(inputs[:, used]), rtol=1e-3, atol=2e-3)
        unused = [index for index in range(len(names)) if index not in used]
        assert torch.all(head.linear.weight[column, unused] == 0)
        assert report["tasks"][task]["pairs"] == mask.sum() and report["tasks"][task]["positives"] == labels.sum()
    assert "book:" in summarise_weights(report) and "author:" in summarise_weights(report)


def test_single_class_pairs_are_refused_with_the_knob_to_turn(trained):
    matcher, _, splits, _ = trained
    chunks, pairs = tables_from_split(splits["validation"])
    negatives = pairs.subset(np.flatnonzero(pairs.pair_type == "negative"))
    with pytest.raises(ValueError, match="head_fit_author_ratio"):
        fit_linear_head(matcher, chunks, negatives)
