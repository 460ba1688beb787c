from pathlib import Path

import pytest

from writing7.config import ConfigError
from writing7.config.prepare import PrepareConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_defaults_are_valid_and_sized_for_cpu():
    config = PrepareConfig()
    assert (config.chunk_size, config.overlap, config.max_chunks_per_book) == (10, 5, 64)
    assert config.embed_model == "all-MiniLM-L6-v2"
    assert config.dedup_min_books == 2


def test_file_table_then_overrides(tmp_path):
    config_file = tmp_path / "w7.toml"
    config_file.write_text("[prepare]\nchunk_size = 8\noverlap = 4\nseed = 7\n")
    config = PrepareConfig.load(config_file, seed=9, overlap=None)
    assert (config.chunk_size, config.overlap, config.seed) == (8, 4, 9)


def test_cpu_default_config_file_loads():
    config = PrepareConfig.load(CONFIGS / "cpu-default.toml")
    assert config.to_dict() == PrepareConfig().to_dict()


def test_unknown_field_is_named():
    with pytest.raises(ConfigError, match=r"unknown field\(s\) chunk_sise in \[prepare\]"):
        PrepareConfig.from_mapping({"chunk_sise": 3})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"chunk_size": 0}, r"prepare\.chunk_size = 0: must be > 0; set chunk_size to a positive number"),
        ({"overlap": 0}, r"prepare\.overlap = 0: must be > 0"),
        ({"overlap": 11}, r"prepare\.overlap = 11: is larger than chunk_size; use a step <= chunk_size"),
        ({"workers": 0}, r"prepare\.workers = 0: must be > 0"),
        ({"min_chunk_chars": -1}, r"prepare\.min_chunk_chars = -1: must be >= 0"),
        ({"max_books": -2}, r"prepare\.max_books = -2: must be >= 0"),
        ({"min_stopword_ratio": 1.5}, r"prepare\.min_stopword_ratio = 1\.5: must be a fraction in \[0, 1\]"),
        ({"max_chunks_per_book": 1}, r"prepare\.max_chunks_per_book = 1: must be >= 2; keep at least 2 passages"),
        ({"dedup_min_books": 1}, r"prepare\.dedup_min_books = 1: must be 0 \(off\) or >= 2; use 2"),
        ({"dedup_min_books": -1}, r"prepare\.dedup_min_books = -1: must be 0 \(off\) or >= 2"),
        ({"num_chunks_for_embed": 0}, r"prepare\.num_chunks_for_embed = 0: must be > 0"),
        ({"embed_batch_size": 0}, r"prepare\.embed_batch_size = 0: must be > 0"),
        ({"num_hard_negative_books": 0}, r"prepare\.num_hard_negative_books = 0: must be > 0"),
        ({"embed_model": " "}, r"prepare\.embed_model = ' ': is empty; name a SentenceTransformer folder"),
        ({"max_seq_length": 8}, r"prepare\.max_seq_length = 8: must be between 16 and 8192; use 128 on CPU"),
        ({"device": "gpu"}, r"prepare\.device = 'gpu': is not a device name; use auto, cpu, cuda or cuda:N"),
        ({"embed_precision": "fp16"}, r"prepare\.embed_precision = 'fp16': is not a known choice; use one of: auto, fp32, bf16, int8"),
        ({"neighbour_backend": "annoy"}, r"prepare\.neighbour_backend = 'annoy': is not a known choice; use one of: exact, faiss"),
        ({"num_topics": 1}, r"prepare\.num_topics = 1: must be >= 2; use 5"),
        ({"n_positive_per_book": 0}, r"prepare\.n_positive_per_book = 0: must be > 0"),
        ({"n_negative_per_book": 0}, r"prepare\.n_negative_per_book = 0: must be > 0"),
        ({"n_same_author_per_book": -1}, r"prepare\.n_same_author_per_book = -1: must be >= 0"),
        ({"hard_negative_fraction": -0.1}, r"prepare\.hard_negative_fraction = -0\.1: must be a fraction"),
        ({"topic_negative_fraction": 2.0}, r"prepare\.topic_negative_fraction = 2\.0: must be a fraction"),
        (
            {"hard_negative_fraction": 0.8, "topic_negative_fraction": 0.3},
            r"prepare\.topic_negative_fraction = 0\.3: plus hard_negative_fraction exceeds 1; make the two fractions sum",
        ),
        ({"train_ratio": 1.0}, r"prepare\.train_ratio = 1\.0: must be in \(0, 1\); use a share such as 0\.8"),
        ({"val_ratio": 0.0}, r"prepare\.val_ratio = 0\.0: must be in \(0, 1\); use a share such as 0\.1"),
        ({"train_ratio": 0.7, "val_ratio": 0.3}, r"prepare\.val_ratio = 0\.3: plus train_ratio leaves no authors for test"),
        ({"seed": -1}, r"prepare\.seed = -1: must be >= 0; use a non-negative integer"),
    ],
)
def test_validation_names_field_and_fix(values, message):
    with pytest.raises(ConfigError, match=message):
        PrepareConfig(**values)


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:1", "mps"])
def test_device_names_accepted(device):
    assert PrepareConfig(device=device).device == device
