"""Stage ``standardize``: ``SRC/{author}/{title}.txt`` -> cleaned UTF-8 ``DST/{author}/{title}.txt``.

Next to the books, ``DST/standardize_report.json`` lists every book (encoding, bytes in and out, kept
fraction, boilerplate markers found, warnings, skip reason) and every folder without a ``.txt``
file, and ``DST/manifest.json`` records config and hashes. The whole of ``DST`` is built in a
temporary sibling and renamed into place, so it is either the previous complete output or the new
one. Bad input (empty, binary, HTML, unreadable, nearly empty after cleaning) is skipped with one
log line and a reason in the report; the run goes on.
"""

from __future__ import annotations

import logging
import os
import statistics
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from writing7.artifacts import MANIFEST_NAME, Manifest, atomic_directory, atomic_write_json, finish, hash_tree, is_current
from writing7.progress import progress_disabled
from writing7.config.standardize import StandardizeConfig
from writing7.corpus import STANDARDIZE_STAGE, BookFile, corpus_folders, discover_corpora, folders_without_books, read_book
from writing7.stages import StageResult, format_number

logger = logging.getLogger(__name__)
STAGE = STANDARDIZE_STAGE  # downstream readers recognise a standardize output by it
REPORT_NAME = "standardize_report.json"
# A pool costs ~0.1 s to start; below this many books per worker it cannot pay for itself. On the
# 243-book shared corpus (2 busy cores) two workers ran 0.9-1.1x the speed of one, i.e. the stage
# is CPU-bound and the gain is whatever idle cores there are (bench/standardize.py).
MIN_BOOKS_PER_WORKER = 8


def _standardize_one(book: BookFile, output_root: str, min_kept_fraction: float, min_book_chars: int) -> dict[str, Any]:
    """Read, clean and write one book; returns its report entry (runs in a worker process)."""
    result = read_book(book.path, min_kept_fraction=min_kept_fraction, min_chars=min_book_chars)
    if result.skip_reason is None:
        destination = Path(output_root) / f"{book.book_id}.txt"
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(result.text, encoding="utf-8")
    return {"book_id": book.book_id, "source": book.path.as_posix(), **result.report()}


def worker_count(cfg: StandardizeConfig, books: int) -> int:
    """Processes to use: ``cfg.workers`` when set, else one per core once there are enough books."""
    if cfg.workers:
        return cfg.workers
    # The cores this process may run on (a container's share), not the machine's.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, books // MIN_BOOKS_PER_WORKER))


def standardize_books(books: list[BookFile], output_root: Path, cfg: StandardizeConfig) -> list[dict[str, Any]]:
    """Clean every book into ``output_root`` (in a process pool when it pays); report entries in book order."""
    arguments = (str(output_root), cfg.min_kept_fraction, cfg.min_book_chars)
    workers = worker_count(cfg, len(books))
    progress = tqdm(total=len(books), desc="standardize", unit="book", disable=progress_disabled())
    entries = []
    with progress:
        if workers == 1:
            for book in books:
                entries.append(_standardize_one(book, *arguments))
                progress.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(_standardize_one, book, *arguments) for book in books]
                for future in futures:
                    entries.append(future.result())
                    progress.update()
    return entries


def _log_entry(entry: dict[str, Any]) -> None:
    if entry["skip_reason"]:
        logger.warning("skipped %s: %s", entry["book_id"], entry["skip_reason"])
    for warning in entry["warnings"]:
        logger.warning("%s: %s", entry["book_id"], warning)


def summarize(entries: list[dict[str, Any]], empty_folders: list[str]) -> dict[str, Any]:
    """Totals for the report and the manifest."""
    written = [entry for entry in entries if not entry["skip_reason"]]
    kept = [entry["kept_fraction"] for entry in written]
    return {
        "books_found": len(entries),
        "books_written": len(written),
        "books_skipped": len(entries) - len(written),
        "books_with_warnings": sum(bool(entry["warnings"]) for entry in written),
        "folders_without_txt": len(empty_folders),
        "bytes_in": sum(entry["bytes_in"] for entry in entries),
        "bytes_out": sum(entry["bytes_out"] for entry in written),
        "min_kept_fraction": min(kept) if kept else None,
        "median_kept_fraction": statistics.median(kept) if kept else None,
    }


def require_some_book(entries: list[dict[str, Any]], *, source: Path | str, output: Path) -> None:
    """Raise one line with the commonest skip reasons when no book survived: an empty output is no result."""
    if any(not entry["skip_reason"] for entry in entries):
        return
    reasons = Counter(_reason_kind(entry["skip_reason"]) for entry in entries)
    summary = ", ".join(f"{reason}: {count}" for reason, count in reasons.most_common(3))
    raise ValueError(
        f"no usable book in {source}: all {len(entries)} skipped ({summary}); nothing written to {output}: "
        "fix or replace those files and run again"
    )


def _reason_kind(reason: str) -> str:
    """``"unreadable file: [Errno 13] ..."`` -> ``"unreadable file"``; ``"nearly empty (12 ...)"`` -> ``"nearly empty"``."""
    return reason.split(":", 1)[0].split(" (", 1)[0]


def _relative_source(path: Path, folders: Sequence[Path]) -> str:
    """``path`` relative to the corpus folder holding it (with that folder's name in front when there are several)."""
    for folder in folders:
        if folder in path.parents:
            relative = path.relative_to(folder).as_posix()
            return relative if len(folders) == 1 else f"{folder.name}/{relative}"
    return path.as_posix()


def _check_paths(source: Path, output: Path) -> None:
    source, output = source.resolve(), output.resolve()
    if output == source or source in output.parents or output in source.parents:
        raise ValueError(f"--out {output} overlaps the source {source}: write the cleaned books to a separate folder")
    has_files = output.is_dir() and any(output.iterdir())
    if has_files and Manifest.load(output) is None:
        raise ValueError(
            f"--out {output} already holds files that are not a standardize output (no {MANIFEST_NAME}); "
            "it would be replaced: choose a new or empty folder"
        )


def summary_line(stats: dict[str, Any]) -> str:
    """``12 of 13 books written, min kept fraction 0.812``: the stage's one line for the pipeline."""
    return f"{stats['books_written']} of {stats['books_found']} books written, min kept fraction {format_number(stats['min_kept_fraction'])}"


def run(cfg: StandardizeConfig, *, corpus: Path | Sequence[Path], output: Path, force: bool = False) -> StageResult:
    """Standardize every book under ``corpus`` (one folder, or several read as one corpus) into ``output``
    (skipped when current unless ``force``)."""
    folders, output = corpus_folders(corpus), Path(output)
    books = discover_corpora(folders)  # raises when a folder has no .txt file at all
    for folder in folders:
        _check_paths(folder, output)
    inputs = {"source" if position == 0 else f"source {position + 1}": hash_tree(folder) for position, folder in enumerate(folders)}
    if not force and is_current(output, stage=STAGE, config=cfg.to_dict(), inputs=inputs):
        logger.info("standardize: %s is current, skipped (use --force to redo)", output)
        manifest = Manifest.load(output)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    empty_folders = [folder for corpus_folder in folders for folder in folders_without_books(corpus_folder)]
    for folder in empty_folders:
        logger.warning("skipped folder %s: no .txt files in it", folder)
    source = folders[0] if len(folders) == 1 else ", ".join(str(folder) for folder in folders)
    with atomic_directory(output) as temporary:
        entries = standardize_books(books, temporary, cfg)
        for entry in entries:
            entry["source"] = _relative_source(Path(entry["source"]), folders)
            _log_entry(entry)
        stats = summarize(entries, empty_folders)
        require_some_book(entries, source=source, output=output)  # raising here leaves ``output`` as it was
        skipped_folders = [{"folder": folder, "skip_reason": "folder with no .txt files"} for folder in empty_folders]
        atomic_write_json(temporary / REPORT_NAME, {"totals": stats, "books": entries, "skipped_folders": skipped_folders})
        manifest = finish(temporary, stage=STAGE, config=cfg.to_dict(), inputs=inputs, stats=stats)
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(stats))
