"""``writing7 score | score-pairs | compare | index | search``: use a trained matcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.config.index import IndexConfig, SearchConfig
from writing7.config.inference import InferenceConfig
from writing7.user_text import read_user_document, read_user_text, require_folder

MODEL = typer.Option(None, "--model", help="Model folder (default $WRITING7_ARTIFACTS/models/book_matcher_contrastive/final).")
CONFIG = typer.Option(None, "--config", help="TOML file; its [inference] ([index], [search]) table sets defaults.")
UNCALIBRATED = typer.Option(None, "--uncalibrated", help="Score without calibration files (raw sigmoid; flagged in the output).")
BATCH_SIZE = typer.Option(None, "--batch-size", help="Pairs or texts per model forward.")
DEVICE = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N (default auto).")
EXPLAIN = typer.Option(False, "--explain", help="Add the explanation: each feature's contribution to each logit, and the evidence.")
PRECISION = typer.Option(None, "--precision", help="auto, fp32, bf16 or int8 (default auto: bf16 where native, else int8 on a CPU, "
                                                   "each kept only when it matches fp32).")


def _inference_config(config: Path | None, *, uncalibrated: bool | None = None, batch_size: int | None = None,
                      precision: str | None = None) -> InferenceConfig:
    """``[inference]`` of ``--config`` with the command's options on top (a bad value fails here, before any file is read)."""
    return InferenceConfig.load(config, uncalibrated=uncalibrated, batch_size=batch_size, precision=precision)


def _matcher(model: Path | None, cfg: InferenceConfig, *, device: str | None = None) -> Any:
    from writing7.inference.matcher import Matcher

    return Matcher.load(_model_folder(model), config=cfg.matcher_settings(), device=device)


def _model_folder(model: Path | None) -> Path | None:
    """``--model`` checked before any file of it is opened (None: the default folder, checked by the loader)."""
    if model is None:
        return None
    return require_folder(model, what="model", fix="run `writing7 train` first, or pass --model with a trained model folder")


def _echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=float))


def _read_passage(path: Path, config: Path | None) -> str:
    """A ``--file1/--file2`` passage exactly as written (only decoded), so it scores like the same text given inline."""
    return read_user_text(path, max_bytes=InferenceConfig.load(config).max_text_bytes, what="text file").text


def _read_document(path: Path, config: Path | None) -> str:
    """A whole document for ``compare``, standardized like corpus books (Gutenberg header/footer stripped when present)."""
    return read_user_document(path, max_bytes=InferenceConfig.load(config).max_text_bytes)


def _passage(text: str | None, path: Path | None, config: Path | None, position: int) -> str | None:
    """The ``position``-th passage of ``score``: from its file, else inline; a blank inline passage is refused."""
    if path is not None:
        return _read_passage(path, config)
    if text is not None and not text.strip():
        raise ValueError(f"passage {position} is empty: pass some text, or --file{position} with a text file")
    return text


def _refuse_uncalibrated_explanation(explain: bool, uncalibrated: bool | None) -> None:
    """--explain takes the calibrated verdict apart: refused with --uncalibrated before the model loads."""
    if explain and uncalibrated:
        raise ValueError("--explain needs the calibrated verdict (its heads are what is explained): drop --uncalibrated")


# The shared decoder's encoding names, as iconv spells them (for the fix in the error message).
ICONV_NAMES = {"utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "cp1252": "CP1252", "latin-1": "LATIN1"}


def _require_utf8_pairs_file(path: Path) -> None:
    """A PAN pairs file decoded by the shared decoder; JSON text is UTF-8 (RFC 8259), so any other encoding is refused
    here, with the file's name and how to convert it, instead of a bare codec error halfway through the file."""
    decoded = read_user_text(path, max_bytes=None, what="JSON-lines file of pairs")
    if decoded.encoding in ICONV_NAMES:
        raise ValueError(f"{path} is {ICONV_NAMES[decoded.encoding]} text, but a JSON-lines file must be UTF-8: save it as UTF-8 "
                         f"(for example `iconv -f {ICONV_NAMES[decoded.encoding]} -t UTF-8 {path.name} > pairs-utf8.jsonl`)")
    if decoded.replaced:
        raise ValueError(f"{path} has {decoded.replaced} byte sequence(s) that are not valid UTF-8: "
                         "fix or remove them and save the file as UTF-8")


@app.command("score")
@user_errors
def score(
    text1: str = typer.Argument(None, help="First passage (or --file1)."),
    text2: str = typer.Argument(None, help="Second passage (or --file2)."),
    file1: Path = typer.Option(None, "--file1", help="Read the first passage from this file."),
    file2: Path = typer.Option(None, "--file2", help="Read the second passage from this file."),
    model: Path = MODEL, config: Path = CONFIG, uncalibrated: bool = UNCALIBRATED, device: str = DEVICE, explain: bool = EXPLAIN,
    precision: str = PRECISION,
) -> None:
    """Same book? Same author? Calibrated probabilities, decision, abstention and style similarity of two texts of any length."""
    cfg = _inference_config(config, uncalibrated=uncalibrated, precision=precision)
    first, second = _passage(text1, file1, config, 1), _passage(text2, file2, config, 2)
    if first is None or second is None:
        raise ValueError("two passages are needed: writing7 score TEXT1 TEXT2, or --file1 A.txt --file2 B.txt")
    _refuse_uncalibrated_explanation(explain, uncalibrated)
    matcher = _matcher(model, cfg, device=device)
    _echo_json(matcher.explain(first, second) if explain else matcher.score(first, second))


@app.command("score-pairs")
@user_errors
def score_pairs(
    input_path: Path = typer.Argument(..., metavar="IN.jsonl", help='PAN pairs: {"id": ..., "pair": [text1, text2]} per line.'),
    output: Path = typer.Option(..., "--output", "-o", help='Answers: {"id": ..., "value": ...} per line (written atomically).'),
    target: str = typer.Option("book", "--target", help="book (same book) or author (same author)."),
    model: Path = MODEL, config: Path = CONFIG, uncalibrated: bool = UNCALIBRATED, batch_size: int = BATCH_SIZE, device: str = DEVICE,
    explain: bool = typer.Option(False, "--explain", help="Add each pair's explanation to its answer line (slower: pair by pair)."),
    precision: str = PRECISION,
) -> None:
    """Score a PAN-format JSONL file of texts of any length: value > 0.5 same, < 0.5 different, 0.5 abstain (streamed in blocks)."""
    from writing7.pair_files import validate_pan_file
    from writing7.stages.score_pairs import check_output_path, run

    cfg = _inference_config(config, uncalibrated=uncalibrated, batch_size=batch_size, precision=precision)
    check_output_path(input_path, output)  # never overwrite the input; before the (slow) model load
    _require_utf8_pairs_file(input_path)
    validate_pan_file(input_path)  # before the (slow) model load
    _refuse_uncalibrated_explanation(explain, uncalibrated)
    matcher = _matcher(model, cfg, device=device)
    summary = run(matcher, input_path=input_path, output=output, target=target, block_pairs=cfg.block_pairs,
                  explain=explain).stats
    typer.echo(f"scored {summary['pairs']} pairs ({summary['same']} same, {summary['abstained']} abstained) -> {summary['output']}")


@app.command("compare")
@user_errors
def compare(
    file_a: Path = typer.Argument(..., help="First document (a .txt file; Gutenberg boilerplate is stripped)."),
    file_b: Path = typer.Argument(..., help="Second document."),
    model: Path = MODEL, config: Path = CONFIG, uncalibrated: bool = UNCALIBRATED, device: str = DEVICE, explain: bool = EXPLAIN,
    precision: str = PRECISION,
) -> None:
    """Compare two whole documents: `score`'s verdict plus every input of it (passage and stylometric features)."""
    cfg = _inference_config(config, uncalibrated=uncalibrated, precision=precision)
    document_a, document_b = _read_document(file_a, config), _read_document(file_b, config)
    _refuse_uncalibrated_explanation(explain, uncalibrated)
    matcher = _matcher(model, cfg, device=device)
    _echo_json(matcher.compare_documents(document_a, document_b, explain=explain))


@app.command("index")
@user_errors
def index(
    corpus: list[Path] = typer.Option(..., "--corpus", help="Library of books to index (AUTHOR/TITLE.txt); repeat it for several folders."),
    model: Path = MODEL,
    out: Path = typer.Option(None, "--out", help="Index folder (default $WRITING7_ARTIFACTS/index)."),
    backend: str = typer.Option(None, "--backend", help="numpy or faiss (exact), faiss-ivf or faiss-hnsw (approximate, for large libraries)."),
    max_chunks_per_book: int = typer.Option(None, "--max-chunks-per-book", help="Chunks indexed per book."),
    config: Path = CONFIG,
    force: bool = typer.Option(False, "--force", help="Rebuild even when the index is current."),
    precision: str = PRECISION,
) -> None:
    """Build a per-book search index: chunk embeddings, book centroids, metadata, held-out queries."""
    from writing7.artifacts import ArtifactLayout
    from writing7.stages.index import run

    layout = ArtifactLayout.from_env()
    cfg = IndexConfig.load(config, backend=backend, max_chunks_per_book=max_chunks_per_book, precision=precision)
    stats = run(cfg, corpus=tuple(corpus), model_dir=model or layout.bi_encoder, output=out or layout.index, force=force).stats
    typer.echo(f"index: {stats['books']} books, {stats['chunks']} chunks, {stats['held_out']} held-out queries -> {out or layout.index}")


@app.command("search")
@user_errors
def search(
    passage: str = typer.Argument(..., help="The passage to attribute."),
    index_dir: Path = typer.Option(None, "--index", help="Index folder (default $WRITING7_ARTIFACTS/index)."),
    top_k: int = typer.Option(None, "--top-k", help="Books returned (default 10)."),
    rerank: bool = typer.Option(False, "--rerank", help="Rerank candidates with the cross-encoder teacher."),
    teacher: Path = typer.Option(None, "--teacher", help="Teacher folder (default $WRITING7_ARTIFACTS/models/book_matcher/final)."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the one the index was built with)."),
    config: Path = CONFIG, uncalibrated: bool = UNCALIBRATED, device: str = DEVICE, precision: str = PRECISION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Which book of the library does this passage most likely come from?"""
    from writing7.artifacts import ArtifactLayout, require_input
    from writing7.inference.index import BookIndex
    from writing7.inference.search import Searcher

    inference = _inference_config(config, uncalibrated=uncalibrated, precision=precision)
    layout = ArtifactLayout.from_env()
    index_dir = require_input(index_dir or layout.index, stage="index", what="search index")
    model = model or Path(BookIndex.load(index_dir).info["model_dir"])
    matcher = _matcher(model, inference, device=device)
    cfg = SearchConfig.load(config, top_k=top_k)
    searcher = Searcher.load(index_dir, matcher, teacher_dir=(teacher or layout.teacher) if rerank else None, config=cfg.search_settings())
    results = searcher.search(passage, top_k=top_k, rerank=rerank)
    if as_json:
        _echo_json(results)
        return
    for result in results:
        rerank_text = f"  rerank {result['rerank_score']:+.2f}" if result["rerank_score"] is not None else ""
        typer.echo(f"{result['rank']:>3}  p={result['probability']:.3f}  score={result['score']:.3f}{rerank_text}  "
                   f"{result['author']}  {result['title']}")
