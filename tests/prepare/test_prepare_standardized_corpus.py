"""prepare builds the same dataset (rows and fingerprints) from a raw corpus and from its standardized copy:
the pipeline's switch to the standardized corpus changes no training data."""

from __future__ import annotations

import json

from datasets import load_from_disk

from writing7.config.standardize import StandardizeConfig
from writing7.stages import prepare, standardize


def test_prepare_gives_the_same_dataset_from_the_raw_corpus_and_its_standardized_copy(
    prepared, small_config, fixture_corpus_source, tmp_path
):
    clean = tmp_path / "clean"
    standardize.run(StandardizeConfig(workers=1), corpus=fixture_corpus_source, output=clean)
    prepare.run(small_config(), corpus=clean, artifacts=tmp_path / "artifacts")
    from_raw, from_clean = (load_from_disk(str(root / "data" / "processed")) for root in (prepared, tmp_path / "artifacts"))
    for split in ("train", "validation", "test"):
        assert from_raw[split].to_list() == from_clean[split].to_list(), split
    stats = [json.loads((root / "data" / "processed" / "manifest.json").read_text())["stats"] for root in (prepared, tmp_path / "artifacts")]
    assert {name: info["fingerprint"] for name, info in stats[0]["splits"].items()} == {
        name: info["fingerprint"] for name, info in stats[1]["splits"].items()
    }
