"""What the serving and scoring benchmarks share: which model to use, and passages to score.

Model choice, in order: ``--model DIR``; a trained Writing7 model (with calibration) under
``$WRITING7_ARTIFACTS`` or ``./artifacts``; else a model built here from the packaged
all-MiniLM-L6-v2 with an *untrained* pair head (style features fitted on the passages), which the
benchmarks serve with ``--uncalibrated``. The report says which one ran.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WRITING7_QUIET", "1")

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "gutenberg"
FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"


def trained_model() -> Path | None:
    """A trained, calibrated model folder under the usual artifacts roots, if one exists."""
    roots = [Path(os.environ["WRITING7_ARTIFACTS"])] if os.environ.get("WRITING7_ARTIFACTS") else []
    roots += [Path("artifacts"), Path(__file__).resolve().parents[1] / "artifacts"]
    for root in roots:
        model = root / "models" / "book_matcher_contrastive" / "final"
        if (model / "writing7_model.json").is_file() and (model / "calibration.json").is_file():
            return model
    return None


def build_untrained_minilm(directory: Path, texts: list[str], *, max_seq_length: int = 256) -> Path:
    """all-MiniLM-L6-v2 bi-encoder + a seeded, untrained pair head + style features fitted on ``texts``."""
    import torch

    from writing7.models.bi_encoder import BiEncoder
    from writing7.models.matcher import MatcherModel
    from writing7.models.pair_head import PairHead
    from writing7.models.style_features import StyleFeaturizer

    torch.manual_seed(0)
    encoder = BiEncoder.from_base("all-MiniLM-L6-v2", max_seq_length=max_seq_length)
    featurizer = StyleFeaturizer().fit(texts)
    head = PairHead(encoder.embedding_dim, featurizer.num_pair_features)
    info = {"base_model": "all-MiniLM-L6-v2", "note": "benchmark model: packaged MiniLM, untrained pair head"}
    MatcherModel(encoder, head, featurizer, info, device="cpu").save(directory)
    return directory


def choose_model(model: Path | None, work: Path, texts: list[str]) -> tuple[Path, bool, str]:
    """``(model folder, uncalibrated, description)``."""
    if model is not None:
        calibrated = (Path(model) / "calibration.json").is_file()
        return Path(model), not calibrated, f"given model {model}" + ("" if calibrated else " (no calibration: --uncalibrated)")
    found = trained_model()
    if found is not None:
        return found, False, f"trained model {found}"
    built = build_untrained_minilm(work / "minilm-untrained", texts[:500])
    return built, True, "all-MiniLM-L6-v2 with an untrained pair head (no trained model found), run --uncalibrated"


def passages(count: int, *, words: int, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` distinct ``(author, passage)`` of ``words`` words from the shared corpus (fixtures if absent)."""
    from writing7.corpus import discover_books, read_book

    corpus = SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_CORPUS
    books = discover_books(corpus)
    random.Random(seed).shuffle(books)
    per_book = 2 * count // len(books) + 1  # short books give fewer; stop at count
    found: list[tuple[str, str]] = []
    for book in books:
        tokens = re.sub(r"\s+", " ", read_book(book.path).text).split(" ")
        middle = len(tokens) // 4  # skip front matter
        for start in range(middle, len(tokens) - words, words * 3)[:per_book]:
            found.append((book.author, " ".join(tokens[start:start + words])))
        if len(found) >= count:
            break
    if len(found) < count:
        raise SystemExit(f"only {len(found)} passages of {words} words in {corpus}; ask for fewer")
    return found[:count]


def report_and_table(report: dict, header: str, lines: list[str], output: Path | None) -> None:
    """Print ``report`` as JSON, then ``header`` and ``lines`` (the side-by-side table); also write the JSON to ``output``."""
    print(json.dumps(report, indent=2))
    print(f"\n{header}")
    for line in lines:
        print(line)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n")


def cpu_description() -> str:
    """The CPU model and whether AVX2 / AVX-512 / AVX512-BF16 / AMX are present: absolute times depend on them."""
    import platform

    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("", "unknown CPU", platform.processor()):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    present = {"AVX2": "avx2", "AVX-512": "avx512f", "AVX512-BF16": "avx512_bf16", "AMX": "amx_bf16"}
    description = f"{model}; {os.cpu_count()} CPUs; " + ", ".join(f"{name} {'yes' if flag in flags else 'no'}" for name, flag in present.items())
    # Kernel libraries capped below what the CPU has (how an AVX2-only machine is emulated on a newer one).
    caps = [f"{name}={os.environ[name]}" for name in ISA_CAPS if os.environ.get(name)]
    return description + (f"; kernels capped: {' '.join(caps)}" if caps else "")


# oneDNN (PyTorch's bf16/int8 and some fp32 kernels), MKL (fp32 matrix products) and ATen's own vectorised kernels.
ISA_CAPS = ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY")


def _run_child(function, arguments: tuple, results) -> None:
    results.put(function(*arguments))


def in_fresh_process(function, *arguments):
    """``function(*arguments)`` in a newly spawned process, so that its peak RSS is its own; returns what it returned.

    ``function`` must be importable by the child: a module-level function of the benchmark script.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_run_child, args=(function, arguments, results))
    process.start()
    result = results.get()
    process.join()
    return result
