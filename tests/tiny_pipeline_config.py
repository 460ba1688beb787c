"""The tiny pipeline settings shared by the pipeline and Modal tests."""

from __future__ import annotations

from pathlib import Path


def tiny_config(path: Path, *, tiny_bert: Path, tiny_sentence_transformer: Path) -> Path:
    """A TOML file of tiny settings: every stage runs for real on the fixture corpus in seconds."""
    path.write_text(f"""
[prepare]
embed_model = "{tiny_sentence_transformer}"
max_chunks_per_book = 12
num_chunks_for_embed = 4
n_positive_per_book = 3
n_negative_per_book = 4
n_same_author_per_book = 2
num_hard_negative_books = 3
train_ratio = 0.6
val_ratio = 0.2
workers = 1
device = "cpu"

[train]
base_model = "{tiny_bert}"
max_seq_length = 64
authors_per_batch = 3
books_per_author = 2
chunks_per_book = 2
max_steps = 4
eval_steps = 0
save_steps = 0
hashing_features = 4096
pair_head_hidden = 16
precision = "fp32"
device = "cpu"
threads = 1

[teacher]
base_model = "{tiny_bert}"
max_seq_length = 96
batch_size = 8
max_steps = 2
eval_steps = 0
save_steps = 0
precision = "fp32"
device = "cpu"
threads = 1

[evaluate]
base_model = "{tiny_sentence_transformer}"
plots = false

[ingest]
delay_seconds = 0.0

[index]
max_chunks_per_book = 6
held_out_per_book = 1

[inference]
max_chunks_per_document = 4
""")
    return path
