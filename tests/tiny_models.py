"""Tiny real models built locally for tests: a WordPiece tokenizer trained on fixture text and a
2-layer, 32-wide BERT, saved as a plain HF model and as a SentenceTransformer folder. Nothing is
downloaded; building takes well under a second."""

from __future__ import annotations

from pathlib import Path

import torch

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def fixture_book(path: str) -> str:
    """The standardized text of ``AUTHOR/TITLE.txt`` of the fixture corpus."""
    from writing7.corpus import read_book

    return read_book(FIXTURE_CORPUS / path).text


def fixture_sentences() -> list[str]:
    lines = []
    for path in sorted(FIXTURE_CORPUS.rglob("*.txt")):
        lines.extend(path.read_bytes().decode("utf-8", errors="replace").splitlines())
    return [line for line in lines if line.strip()]


def build_tiny_bert(directory: Path, *, hidden_size: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """Train a WordPiece tokenizer on the fixtures and save a randomly initialised tiny BERT."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    wordpiece = BertWordPieceTokenizer(lowercase=False)
    wordpiece.train_from_iterator(fixture_sentences(), vocab_size=2000, min_frequency=2, show_progress=False)
    tokenizer = BertTokenizerFast(tokenizer_object=wordpiece._tokenizer, do_lower_case=False, model_max_length=512)
    tokenizer.save_pretrained(directory)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=hidden_size, num_hidden_layers=layers,
        num_attention_heads=2, intermediate_size=hidden_size * 2, max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(directory)
    return directory


def build_tiny_sentence_transformer(directory: Path, *, seed: int = 0) -> Path:
    """A SentenceTransformer folder (Transformer -> mean Pooling -> Normalize) around the tiny BERT."""
    from sentence_transformers import SentenceTransformer, models

    bert_directory = build_tiny_bert(directory.parent / f"{directory.name}-bert", seed=seed)
    transformer = models.Transformer(str(bert_directory), max_seq_length=128)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(str(directory))
    return directory
