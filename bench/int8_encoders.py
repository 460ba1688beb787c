"""The encoder alone at each inference precision, side by side: fp32, bf16 (where native), int8 on PyTorch, int8 on ONNX Runtime.

A trained model folder is loaded once per path (``MatcherModel.load(..., precision=...)``; int8's backend through
``$WRITING7_INT8_BACKEND``), then each path encodes the same ``--passages`` passages of ``--words`` words from the
shared corpus (``matcher_setup.passages``) in ``--rounds`` alternating rounds (a busy spell then lands on every path). Reported per path: texts/s
(median round), the smallest and mean cosine of its embeddings to fp32's, and the seconds its load took (for ONNX
Runtime, with its graph already cached: the warm-up load builds it). Prints the CPU model and its flags; set
``ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2`` to emulate an AVX2-only CPU for
PyTorch's kernels (ONNX Runtime's own kernels cannot be capped: they still find VNNI / AMX where the CPU has them).

    python bench/int8_encoders.py --model artifacts/models/book_matcher_contrastive/final --passages 400 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matcher_setup import cpu_description, passages, report_and_table  # noqa: E402


def load(model_dir: Path, path: str) -> tuple[object, float]:
    """``(MatcherModel at this path, seconds to load it)``; ``path`` is a precision or ``int8:BACKEND``."""
    from writing7.models.matcher import MatcherModel
    from writing7.models.runtime import INT8_BACKEND_ENV

    precision, _, backend = path.partition(":")
    if backend:
        os.environ[INT8_BACKEND_ENV] = backend
    started = time.perf_counter()
    model = MatcherModel.load(model_dir, device="cpu", precision=precision)
    return model, time.perf_counter() - started


def main() -> None:
    import numpy as np

    from writing7.models.onnx_int8 import onnx_runtime_available
    from writing7.models.runtime import cpu_has_bf16_instructions

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="A trained model folder.")
    parser.add_argument("--passages", type=int, default=400)
    parser.add_argument("--words", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--output", type=Path, help="Also write the report as JSON here.")
    args = parser.parse_args()

    paths = ["fp32", *(["bf16"] if cpu_has_bf16_instructions() else []), "int8:torch", *(["int8:onnxruntime"] if onnx_runtime_available() else [])]
    texts = [text for _, text in passages(args.passages, words=args.words)]
    cpu = cpu_description()
    print(f"cpu: {cpu}\n{len(texts)} passages of {args.words} words, batch {args.batch_size}, {args.rounds} round(s), paths {', '.join(paths)}", flush=True)
    load(args.model, paths[-1])  # warm-up: builds what a path caches (the ONNX Runtime graph)
    models, load_seconds = {}, {}
    for path in paths:
        models[path], load_seconds[path] = load(args.model, path)
    seconds = {path: [] for path in paths}
    embeddings = {}
    for round_number in range(args.rounds):
        for path in paths:
            started = time.perf_counter()
            embeddings[path] = models[path].encode(texts, batch_size=args.batch_size)
            seconds[path].append(time.perf_counter() - started)
            print(f"round {round_number + 1} {path}: {len(texts) / seconds[path][-1]:.1f} texts/s", flush=True)
    reference = embeddings["fp32"] / np.linalg.norm(embeddings["fp32"], axis=1, keepdims=True)
    rows = {}
    for path in paths:
        candidate = embeddings[path] / np.linalg.norm(embeddings[path], axis=1, keepdims=True)
        cosines = (reference * candidate).sum(axis=1)
        rows[path] = {"texts_per_s": round(len(texts) / statistics.median(seconds[path]), 1), "load_seconds": round(load_seconds[path], 2),
                      "min_cosine_to_fp32": round(float(cosines.min()), 4), "mean_cosine_to_fp32": round(float(cosines.mean()), 5)}
    fp32 = rows["fp32"]["texts_per_s"]
    report = {"cpu": cpu, "passages": len(texts), "words": args.words, "batch_size": args.batch_size, "rounds": args.rounds,
              "paths": rows, "ratio_to_fp32": {path: round(row["texts_per_s"] / fp32, 2) for path, row in rows.items()},
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    report_and_table(report, f"{'path':<18}{'texts/s':>9}{'x fp32':>8}{'min cos':>9}{'load s':>8}  cpu", [
        f"{path:<18}{row['texts_per_s']:>9}{report['ratio_to_fp32'][path]:>8}{row['min_cosine_to_fp32']:>9}{row['load_seconds']:>8}  {cpu}"
        for path, row in rows.items()], args.output)


if __name__ == "__main__":
    main()
