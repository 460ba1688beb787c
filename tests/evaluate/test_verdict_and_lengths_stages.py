"""The verdict stage (calibrate's second half) and the evaluation by length, on the tiny fixture artifacts."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tiny_models import FIXTURE_CORPUS
from writing7.artifacts import ArtifactLayout
from writing7.config.calibrate import CalibrateConfig
from writing7.config.evaluate import EvaluateConfig
from writing7.inference.verdict import FEATURE_NAMES, VERDICT_FILE, Verdict
from writing7.stages import evaluate_lengths, verdict
from writing7.length_suite import FIT_FEATURES_FILE, load_fit_features

CONFIG = CalibrateConfig(verdict_pairs_per_kind=40)


@pytest.fixture(scope="module")
def fitted(calibrated_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the calibrated fixture artifacts (whose verdict the evaluate conftest already fitted)."""
    return shutil.copytree(calibrated_base, tmp_path_factory.mktemp("verdict") / "artifacts")


def test_verdict_writes_heads_per_task_and_band_and_skips_when_current(fitted: Path):
    model_dir = ArtifactLayout(fitted).bi_encoder
    manifest = verdict.run(CONFIG, corpus=FIXTURE_CORPUS, artifacts=fitted, force=True)
    saved = json.loads((model_dir / VERDICT_FILE).read_text())
    assert saved["features"] == list(FEATURE_NAMES) and set(saved["heads"]) == {"book", "author"}
    assert {"passage", "excerpt"} <= set(saved["heads"]["book"])  # fixture books (~2,500 words) give 200- and 1,000-word pairs
    out_of_fold = saved["heads"]["book"]["passage"]["validation"]["cross_validated"]  # folds grouped by author
    assert 0.0 <= out_of_fold["auc"] <= 1.0 and 0.0 <= out_of_fold["ece"] <= 1.0
    assert manifest.stats["fit_corpora"] == [] and manifest.stats["pairs"]["200"] > 0
    fit = load_fit_features(model_dir / FIT_FEATURES_FILE)
    pairs, features = fit["200"]
    assert features.values.shape == (len(pairs.kinds), len(FEATURE_NAMES))
    cut = np.all(features.words == 200, axis=1)  # 200-word cuts of the books, then the pair dataset's own passages
    assert cut.any() and not cut.all() and set(pairs.kinds[np.argmin(cut):]) <= {"same_book", "same_author", "different", "different_nearest"}
    written = (model_dir / VERDICT_FILE).stat().st_mtime_ns
    verdict.run(CONFIG, corpus=FIXTURE_CORPUS, artifacts=fitted)
    assert (model_dir / VERDICT_FILE).stat().st_mtime_ns == written, "a current verdict is skipped"
    loaded = Verdict.load(model_dir)
    assert loaded.head("book", 40_000) is loaded.heads["book"]["excerpt"]  # no longer band fitted: the nearest one


def test_fit_corpora_add_unseen_authors_and_leave_out_the_pair_datasets(fitted: Path, tmp_path: Path):
    extra = tmp_path / "extra"
    for book in ("grey-zane/desert-gold.txt", "conrad-joseph/typhoon.txt", "conrad-joseph/lord-jim.txt"):
        (extra / book).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURE_CORPUS / book, extra / book)
    renamed = extra / "new-author"
    (extra / "conrad-joseph").rename(renamed)  # an author the pair dataset does not know
    manifest = verdict.run(CalibrateConfig(verdict_pairs_per_kind=40, fit_corpora=[str(extra)]), corpus=FIXTURE_CORPUS, artifacts=fitted)
    fit = load_fit_features(ArtifactLayout(fitted).bi_encoder / FIT_FEATURES_FILE)
    books = {book for pairs, _ in fit.values() for pair in pairs.books for book in pair}
    assert any(book.startswith("new-author/") for book in books)
    assert "grey-zane/desert-gold.txt" not in books and manifest.stats["fit_corpora"] == [str(extra)]


def test_missing_fit_corpus_is_one_clear_error(fitted: Path, tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="not found"):
        verdict.run(CalibrateConfig(fit_corpora=[str(tmp_path / "absent")]), corpus=FIXTURE_CORPUS, artifacts=fitted, force=True)


def test_evaluation_by_length_reports_every_system_the_ablation_and_the_markdown(fitted: Path):
    manifest = evaluate_lengths.run(EvaluateConfig(plots=True), corpus=FIXTURE_CORPUS, artifacts=fitted, pairs_per_kind=40)
    reports = ArtifactLayout(fitted).reports
    report = json.loads((reports / evaluate_lengths.REPORT_JSON).read_text())
    assert "200" in report["lengths"]
    systems = report["lengths"]["200"]["author"]["systems"]
    assert set(systems) == {"verdict (calibrated)", "char4_tfidf", "cosine_delta_300", "char4+delta", "base_cosine"}
    assert all(0 <= metrics["ece"] <= 1 for metrics in systems.values())
    assert set(report["ablation"]["200"]["book"]) == {"all features", *(f"without {name}" for name in FEATURE_NAMES)}
    assert 0.0 <= report["ablation"]["200"]["book"]["all features"] <= 1.0  # cross-validated, folds grouped by author
    markdown = (reports / evaluate_lengths.REPORT_MARKDOWN).read_text()
    assert "## 200 words, book task" in markdown and "Ablation" in markdown
    topic = report["lengths"]["200"]["topic"]  # same book vs the nearest other-author book, answered by the book verdict
    assert topic["pairs"] == 2 * topic["positives"] > 0 and set(topic["systems"]) == set(systems)
    assert "## 200 words, topic task" in markdown and "topic" not in report["ablation"]["200"]
    assert (reports / evaluate_lengths.PLOTS_DIR / "reliability_200_book.png").is_file()
    assert manifest.stats["auc"]["200"]["book"]["verdict (calibrated)"] >= 0


def test_the_work_cap_recomputes_only_the_passage_features(fitted: Path):
    """Capped features of the work-cap table equal a full featurizer run at that cap (profiles reused, not recomputed)."""
    import dataclasses

    from writing7.inference.verdict import VerdictFeaturizer
    from writing7.models.matcher import MatcherModel
    from writing7.prepare.length_pairs import LengthPairs

    model_dir = ArtifactLayout(fitted).bi_encoder
    fitted_verdict, model = Verdict.load(model_dir), MatcherModel.load(model_dir)
    featurizer = VerdictFeaturizer(model, fitted_verdict.profiler, fitted_verdict.settings)
    books = sorted(FIXTURE_CORPUS.glob("*/*.txt"))[:3]
    texts = [book.read_text(encoding="utf-8", errors="replace") for book in books]
    pairs = LengthPairs("book", texts[:2], texts[1:], ["different", "different"], [("a/x", "b/y"), ("b/y", "c/z")])
    test = evaluate_lengths.SplitScores(pairs, featurizer.features(pairs.texts1, pairs.texts2), np.zeros(2))
    capped = evaluate_lengths.capped_features(featurizer, test, 2)
    direct = VerdictFeaturizer(model, fitted_verdict.profiler, dataclasses.replace(fitted_verdict.settings, max_chunks=2)).features(texts[:2], texts[1:])
    np.testing.assert_allclose(capped.values, direct.values, rtol=1e-6, atol=1e-9)
    assert (capped.passages == 2).all() and (test.features.passages > 2).all()
