import json
import shutil

import pytest

from tiny_models import FIXTURE_CORPUS
from writing7.config.inference import InferenceConfig
from writing7.inference.documents import DocumentCalibration
from writing7.stages.document_calibration import run

VALIDATION_BOOKS = [
    ("alcott-louisa-may/little-women", "alcott-louisa-may"), ("alcott-louisa-may/eight-cousins", "alcott-louisa-may"),
    ("conrad-joseph/typhoon", "conrad-joseph"), ("conrad-joseph/lord-jim", "conrad-joseph"),
    ("grey-zane/desert-gold", "grey-zane"),
]
CONFIG = InferenceConfig(chunk_size=4, overlap=4, max_chunks_per_document=3, documents_per_book=2)


def write_processed(directory, books):
    """A pair dataset in the shared contract whose validation split names ``books``."""
    from datasets import Dataset, DatasetDict

    rows = [{"text1": "a", "text2": "b", "label": 0, "book1": first, "book2": second, "author1": author1, "author2": author2,
             "pair_type": "negative", "neg_type": "random", "topic1": 0, "topic2": 0, "same_topic": True}
            for (first, author1), (second, author2) in zip(books, books[1:] + books[:1])]
    split = Dataset.from_list(rows)
    DatasetDict({"train": split, "validation": split, "test": split}).save_to_disk(str(directory))
    return directory


@pytest.fixture()
def model_copy(tmp_path, calibrated_matcher_dir):
    copy = tmp_path / "final"
    shutil.copytree(calibrated_matcher_dir, copy, ignore=shutil.ignore_patterns(DocumentCalibration.FILE_NAME))
    return copy


def test_fits_on_validation_books_and_skips_when_current(tmp_path, model_copy):
    processed = write_processed(tmp_path / "processed", VALIDATION_BOOKS)
    manifest = run(CONFIG, corpus=FIXTURE_CORPUS, processed=processed, model_dir=model_copy)
    stats = manifest.stats
    saved = json.loads((model_copy / DocumentCalibration.FILE_NAME).read_text())
    assert saved["settings"]["max_chunks"] == 3 and saved["fit"]["books"] == 5 and saved["fit"]["authors"] == 3
    assert stats["same_book"] == 5  # one pair of excerpts per book
    assert 0 < stats["same_book"] < stats["pairs"] and 0 < stats["same_author"] < stats["pairs"]
    before = (model_copy / DocumentCalibration.FILE_NAME).stat().st_mtime_ns
    assert run(CONFIG, corpus=FIXTURE_CORPUS, processed=processed, model_dir=model_copy).created == manifest.created
    assert (model_copy / "document_calibration_manifest.json").is_file()
    assert (model_copy / DocumentCalibration.FILE_NAME).stat().st_mtime_ns == before


def test_missing_pair_dataset_names_prepare(tmp_path, model_copy):
    with pytest.raises(FileNotFoundError, match=r"run `writing7 prepare` first"):
        run(CONFIG, corpus=FIXTURE_CORPUS, processed=tmp_path / "absent", model_dir=model_copy)


def test_validation_books_missing_from_the_corpus_are_named(tmp_path, model_copy):
    processed = write_processed(tmp_path / "processed", [*VALIDATION_BOOKS, ("nobody/lost-book", "nobody")])
    with pytest.raises(FileNotFoundError, match=r"1 validation book\(s\) are not in .* \(e\.g\. nobody/lost-book\)"):
        run(CONFIG, corpus=FIXTURE_CORPUS, processed=processed, model_dir=model_copy)
