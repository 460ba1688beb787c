"""The verdict's parts: fused head (oracle: scikit-learn), whole-text profile, length pairs, spread samples, persistence."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from tiny_models import FIXTURE_CORPUS
from writing7.calibration.fused import FusedLogisticCalibrator
from writing7.models.text_profile import IMPOSTORS, PAIR_FEATURE_NAMES, TextProfiler, compression_sample, names_of
from writing7.prepare.length_pairs import excerpts, length_pairs, nearest_other_author_books
from writing7.text.chunks import spread_sample


def book_texts():
    from writing7.corpus import discover_books, read_book

    return {book.book_id: read_book(book.path).text for book in discover_books(FIXTURE_CORPUS)}


@pytest.fixture(scope="module")
def profiler():
    return TextProfiler().fit([text for book in book_texts().values() for text in excerpts(book, 500, 4)])


def test_fused_head_matches_scikit_learn_on_standardised_features():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    labels = rng.random(300) < 0.5
    features = rng.normal(size=(300, 4)) * [1.0, 5.0, 0.1, 2.0] + labels[:, None] * [1.0, 2.0, 0.05, 0.0]
    head = FusedLogisticCalibrator(0.7).fit(features, labels)
    scaled = StandardScaler().fit(features)
    oracle = LogisticRegression(C=0.7, max_iter=2000).fit(scaled.transform(features), labels)
    np.testing.assert_allclose(head.predict(features), oracle.predict_proba(scaled.transform(features))[:, 1], atol=1e-6)


def test_contributions_plus_bias_reproduce_the_logit_and_survive_json():
    rng = np.random.default_rng(1)
    labels = rng.random(200) < 0.5
    features = rng.normal(size=(200, 3)) + labels[:, None]
    head = FusedLogisticCalibrator().fit(features, labels)
    np.testing.assert_allclose(head.contributions(features).sum(axis=1) + head.intercept_, head.logit(features), atol=1e-9)
    restored = FusedLogisticCalibrator.from_dict(json.loads(json.dumps(head.to_dict())))
    np.testing.assert_allclose(restored.predict(features), head.predict(features), atol=1e-12)


def overfitting_pairs(pairs: int, noise_features: int, signal: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One feature of strength ``signal`` plus ``noise_features`` of pure noise; 10 groups (authors) at random."""
    rng = np.random.default_rng(seed)
    labels = rng.random(pairs) < 0.5
    features = rng.normal(size=(pairs, 1 + noise_features))
    features[:, 0] += signal * labels
    return features, labels, rng.integers(0, 10, pairs)


def test_out_of_fold_logits_expose_an_overfitted_head_and_agree_with_a_sound_one():
    from sklearn.metrics import roc_auc_score

    from writing7.calibration.fused import out_of_fold_logits

    def in_sample_and_held_out_auc(features, labels, groups, inverse_regularisation):
        in_sample = FusedLogisticCalibrator(inverse_regularisation).fit(features, labels).logit(features)
        held_out = out_of_fold_logits(features, labels, groups, inverse_regularisation=inverse_regularisation)
        return roc_auc_score(labels, in_sample), roc_auc_score(labels, held_out)

    inside, outside = in_sample_and_held_out_auc(*overfitting_pairs(160, 40, 0.8, seed=4), 100.0)  # 41 weights, 160 pairs
    assert inside - outside > 0.1
    inside, outside = in_sample_and_held_out_auc(*overfitting_pairs(4_000, 1, 1.5, seed=5), 1.0)  # 2 weights, 4,000 pairs
    assert abs(inside - outside) < 0.005


def test_out_of_fold_logits_need_two_groups_and_both_classes_in_each_fit():
    from writing7.calibration.fused import out_of_fold_logits

    features, labels, _ = overfitting_pairs(40, 1, 1.0, seed=6)
    assert out_of_fold_logits(features, labels, np.zeros(40, int), inverse_regularisation=1.0) is None
    groups = labels.astype(int)  # leaving one group out leaves one class
    assert out_of_fold_logits(features, labels, groups, inverse_regularisation=1.0) is None
    logits = out_of_fold_logits(features, labels, np.arange(40) % 4, inverse_regularisation=1.0)
    assert logits.shape == (40,) and np.isfinite(logits).all()


def test_heads_report_their_author_grouped_cross_validation_without_changing():
    from writing7.inference.verdict import FEATURE_NAMES, fit_band_heads

    rng = np.random.default_rng(7)
    labels = rng.random(300) < 0.5
    values = rng.normal(size=(300, len(FEATURE_NAMES))) + labels[:, None] * 0.3  # many weak features on few pairs
    bands, groups = np.array(["passage"] * 300), rng.integers(0, 8, 300)
    settings = {"task": "author", "target_metric": "overall", "inverse_regularisation": 10.0, "max_band_fraction": 0.2}
    plain = fit_band_heads(values, labels, bands, **settings)["passage"]
    grouped = fit_band_heads(values, labels, bands, groups=groups, **settings)["passage"]
    assert "cross_validated" not in plain.validation
    assert set(grouped.validation["cross_validated"]) == {"auc", "ece"}
    assert grouped.validation["cross_validated"]["auc"] < grouped.validation["auc"]  # unseen authors are harder
    np.testing.assert_array_equal(grouped.scaler.coef_, plain.scaler.coef_)


def test_fused_head_needs_both_classes():
    with pytest.raises(ValueError, match="one class only"):
        FusedLogisticCalibrator().fit(np.zeros((4, 2)), np.ones(4, bool))


def test_profile_similarities_are_symmetric_and_maximal_for_a_text_with_itself(profiler):
    texts = list(book_texts().values())[:3]
    profiles = profiler.profile(texts)
    forward = profiler.pair_features(profiles, np.array([0, 0, 1]), np.array([1, 2, 2]))
    backward = profiler.pair_features(profiles, np.array([1, 2, 2]), np.array([0, 0, 1]))
    np.testing.assert_allclose(forward, backward, atol=1e-9)
    itself = profiler.pair_features(profiles, np.array([0]), np.array([0]))[0]
    named = dict(zip(PAIR_FEATURE_NAMES, itself))
    for name in ("char4_cosine", "char_wb_cosine", "word_cosine", "cosine_delta_300", "function_word_cosine", "rare_word_overlap"):
        assert named[name] == pytest.approx(1.0, abs=1e-6), name
        assert np.all(forward[:, PAIR_FEATURE_NAMES.index(name)] < named[name])
    assert named["burrows_delta_300"] == pytest.approx(0.0) and named["compression_distance"] == 0.0
    assert named["log_words"] == pytest.approx(np.log(len(texts[0].split())))


def test_impostor_features_are_similarities_normalised_against_the_training_impostors(profiler):
    texts = list(book_texts().values())[:3]
    texts.append(" ".join(texts[0].split()[:300]))  # a short text, paired below with a long one
    profiles = profiler.profile(texts)
    first, second = np.array([0, 1, 2]), np.array([1, 3, 0])
    named = dict(zip(PAIR_FEATURE_NAMES, profiler.pair_features(profiles, first, second).T))
    impostors = profiler.impostor_mfw_
    assert 2 <= len(impostors) <= IMPOSTORS and impostors.shape[1] == profiles.mfw.shape[1]

    def cosine(a, b):
        return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))

    words = profiles.word_counts

    def normalised(similarity, to_a, to_b, a, b):  # each side's z-score weighted by the other side's length
        weight_a = words[b] / (words[a] + words[b])
        return weight_a * (similarity - to_a.mean()) / to_a.std() + (1 - weight_a) * (similarity - to_b.mean()) / to_b.std()

    for size in (300, 1000):
        for pair, (a, b) in enumerate(zip(first, second)):
            x, y = profiles.mfw[a, :size], profiles.mfw[b, :size]
            to_a = np.array([cosine(x, impostor[:size]) for impostor in impostors])
            to_b = np.array([cosine(y, impostor[:size]) for impostor in impostors])
            assert named[f"cosine_delta_{size}"][pair] == pytest.approx(cosine(x, y), abs=1e-5)
            assert named[f"impostor_delta_{size}"][pair] == pytest.approx(normalised(cosine(x, y), to_a, to_b, a, b), abs=1e-4)
    spaces = {"char4": "char4_cosine", "char_wb": "char_wb_cosine", "words": "word_cosine",
              "function_words": "function_word_cosine", "punctuation": "punctuation_cosine"}
    for space, raw in spaces.items():
        rows, impostor_rows = getattr(profiles, space), profiler.impostor_spaces_[space]
        dense = (lambda matrix: matrix.toarray()) if sp.issparse(rows) else np.asarray
        rows, impostor_rows = dense(rows).astype(np.float64), dense(impostor_rows).astype(np.float64)
        assert len(impostor_rows) == len(impostors)  # one impostor set for every space
        for pair, (a, b) in enumerate(zip(first, second)):
            to_a = np.array([cosine(rows[a], impostor) for impostor in impostor_rows])
            to_b = np.array([cosine(rows[b], impostor) for impostor in impostor_rows])
            assert named[raw][pair] == pytest.approx(cosine(rows[a], rows[b]), abs=1e-5)
            assert named[f"impostor_{space}"][pair] == pytest.approx(normalised(cosine(rows[a], rows[b]), to_a, to_b, a, b), abs=1e-4), space


def test_a_texts_impostor_statistics_do_not_depend_on_the_texts_profiled_with_it(profiler):
    texts = list(book_texts().values())[:5]
    together, alone = profiler.profile(texts), profiler.profile(texts[2:3])
    np.testing.assert_array_equal(together.impostor_mean[2:3], alone.impostor_mean)
    np.testing.assert_array_equal(together.impostor_spread[2:3], alone.impostor_spread)


def test_pair_features_are_bit_identical_after_a_pickle_round_trip(profiler):
    """The attribution cache stores profiles as pickles, which rebuild the word and name sets in another order: sums over
    them must not depend on it (a plain float sum made one attribution score differ in its last bit)."""
    import pickle

    texts = list(book_texts().values())[:4]
    profiles = profiler.profile(texts)
    first, second = np.array([0, 1, 2]), np.array([1, 3, 0])
    restored = pickle.loads(pickle.dumps(profiles))
    restored.word_sets = [frozenset(sorted(words, reverse=True)) for words in restored.word_sets]  # another insertion order
    restored.names = [frozenset(sorted(names, reverse=True)) for names in restored.names]
    np.testing.assert_array_equal(profiler.pair_features(restored, first, second), profiler.pair_features(profiles, first, second))


def test_names_are_capitalised_words_used_mid_sentence():
    text = ("George met Lucy in London. Then they walked to Bath, where Mrs Fane lived.\n"
            "Nobody saw them. \u201cWhere is Tom?\u201d asked Fane; (Perhaps) the Amberson house--But she left.")
    assert names_of(text) == {"Lucy", "London", "Bath", "Mrs", "Fane", "Tom", "Amberson"}  # no sentence, line, quote or bracket openers


def test_shared_names_weigh_each_shared_name_by_its_rarity_in_the_training_texts():
    fitting = [f"Yesterday Mr Smith met Harriet at the {place} station." for place in ("north", "south", "east", "west")]
    profiler = TextProfiler().fit(fitting + ["In the evening Mr Smith went home."] * 2)
    assert profiler.name_idf("Smith") < profiler.name_idf("Harriet") < profiler.name_idf("Zorblax") == profiler.unseen_name_idf_
    texts = ["At noon Mr Smith and Zorblax rode out.", "By night Zorblax and Mr Smith came back.", "By night Harriet and Mr Smith came back."]
    profiles = profiler.profile(texts)
    column = PAIR_FEATURE_NAMES.index("shared_names")
    shared = profiler.pair_features(profiles, np.array([0, 0, 1]), np.array([1, 2, 2]))[:, column]
    expected = [np.log1p(profiler.name_idf("Smith") + profiler.name_idf("Zorblax")), np.log1p(profiler.name_idf("Smith")),
                np.log1p(profiler.name_idf("Smith"))]
    np.testing.assert_allclose(shared, expected, atol=1e-9)
    assert shared[0] > shared[1]


def test_profiler_round_trips_through_its_folder(profiler, tmp_path):
    profiler.save(tmp_path / "profile")
    restored = TextProfiler.load(tmp_path / "profile")
    texts = list(book_texts().values())[3:6]
    first, second = np.array([0, 1]), np.array([2, 0])
    np.testing.assert_allclose(restored.pair_features(restored.profile(texts), first, second),
                               profiler.pair_features(profiler.profile(texts), first, second), atol=1e-9)


def test_unfitted_profiler_and_foreign_folder_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        TextProfiler().profile(["some text"])
    with pytest.raises(FileNotFoundError, match="run `writing7 calibrate`"):
        TextProfiler.load(tmp_path)


def test_length_pairs_are_balanced_per_task_and_excerpts_have_the_length():
    books = book_texts()
    authors = {book: book.split("/")[0] for book in books}
    nearest = [(first, second) for first in books for second in books if authors[first] != authors[second]][::7]
    pairs = length_pairs(books, authors, nearest, length="200", excerpts_per_book=4, max_pairs_per_kind=50, seed=0)
    for task, positive, negatives in (("book", "same_book", {"different", "different_nearest"}), ("author", "same_author", {"different", "different_nearest"}),
                                      ("topic", "same_book", {"different_nearest"})):
        mask, labels = pairs.task(task)
        assert labels.sum() == (~labels).sum() > 0
        kinds = np.array(pairs.kinds)[mask]
        assert set(kinds) == {positive, *negatives}
    for kind, (first, second), text1, text2 in zip(pairs.kinds, pairs.books, pairs.texts1, pairs.texts2):
        assert len(text1.split()) == len(text2.split()) == 200
        assert (first == second) == (kind == "same_book") and text1 != text2
        assert (authors[first] == authors[second]) == (not kind.startswith("different"))
        assert kind != "different_nearest" or (first, second) in nearest


def test_book_halves_need_long_books_and_cover_the_whole_text():
    words = " ".join(f"w{i}" for i in range(5000))
    first, second = excerpts(words, None, 2)
    assert first.split()[0] == "w0" and second.split()[-1] == "w4999" and len(first.split()) + len(second.split()) == 5000
    assert excerpts(" ".join(["w"] * 3000), None, 2) == []


def test_nearest_other_author_books_never_pairs_an_author_with_itself():
    centroids = {"a/1": np.array([1.0, 0.0]), "a/2": np.array([0.99, 0.14]), "b/1": np.array([0.9, 0.44]), "c/1": np.array([0.0, 1.0])}
    authors = {book: book[0] for book in centroids}
    pairs = nearest_other_author_books(centroids, authors, k=1)
    assert ("a/1", "b/1") in pairs and ("a/2", "b/1") in pairs and all(authors[a] != authors[b] for a, b in pairs)


def test_spread_samples_bound_the_size_and_reach_the_end():
    text = " ".join(f"word{i}" for i in range(200_000))
    sample = spread_sample(text, 50_000)
    assert len(sample) <= 50_000 and "word0" in sample and "word199999" in sample
    assert spread_sample("short text", 50_000) == "short text"
    assert len(compression_sample(text)) <= 12_100


@pytest.mark.parametrize(("task", "band", "ignored", "read"), [
    ("author", "passage", ("shared_names",), "impostor_words"),
    ("author", "chapter", ("shared_names",), "impostor_char4"),
    ("book", "passage", (), "shared_names"),
])
def test_each_head_reads_only_its_features_and_says_so(profiler, tmp_path, task, band, ignored, read):
    from writing7.inference.documents import ChunkingSettings
    from writing7.inference.verdict import FEATURE_NAMES, PairFeatures, Verdict, fit_band_heads, head_features

    assert head_features(task, band) == tuple(name for name in FEATURE_NAMES if name not in ignored)
    rng = np.random.default_rng(2)
    labels = rng.random(800) < 0.5
    values = rng.normal(size=(800, len(FEATURE_NAMES))) + labels[:, None] * 0.5
    bands = np.array(["passage", "chapter"] * 400)
    verdict = Verdict(ChunkingSettings(), profiler, {task: fit_band_heads(values, labels, bands, task=task, target_metric="overall",
                                                                           inverse_regularisation=1.0, max_band_fraction=0.2)})
    words = 200.0 if band == "passage" else 3_000.0
    features = PairFeatures(values[:5].copy(), np.full((5, 2), words), np.ones((5, 2), int))

    def moved(name: str) -> PairFeatures:
        values = features.values.copy()
        values[:, FEATURE_NAMES.index(name)] += 3.0
        return PairFeatures(values, features.words, features.passages)

    logits = verdict.predict(task, features)["logit"]
    for name in ignored:
        np.testing.assert_array_equal(verdict.predict(task, moved(name))["logit"], logits)
    assert np.all(verdict.predict(task, moved(read))["logit"] != logits)
    parts = verdict.contributions(task, features, 0)
    assert set(parts["contributions"]) == set(FEATURE_NAMES) and all(parts["contributions"][name] == 0.0 for name in ignored)
    assert parts["bias"] + sum(parts["contributions"].values()) == pytest.approx(logits[0])
    verdict.save(tmp_path)
    loaded = Verdict.load(tmp_path)
    assert loaded.head(task, words).features == head_features(task, band)
    np.testing.assert_allclose(loaded.predict(task, features)["p"], verdict.predict(task, features)["p"])
    payload = json.loads((tmp_path / "verdict.json").read_text())
    del payload["min_words"]  # a verdict fitted before the length floor
    (tmp_path / "verdict.json").write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="another Writing7 version: run `writing7 calibrate --force`"):
        Verdict.load(tmp_path)
