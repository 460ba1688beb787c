"""Training throughput: Writing7's training step vs sentence-transformers' trainer, in the same run.

Both train the same base model (default: the packaged all-MiniLM-L6-v2) on the same passages with the
same number of texts per step and the same maximum sequence length:

- **writing7**: the real ``train`` loop (book-aware batches of ``authors x books x chunks`` passages,
  SupCon over books and authors + the pair head's BCE over every in-batch pair with its classical
  features; pre-tokenised texts, frozen token embeddings, bf16 autocast where native);
- **sentence-transformers**: ``SentenceTransformerTrainer`` with ``MultipleNegativesRankingLoss`` on
  (passage, same-book passage) pairs, ``batch / 2`` pairs a step, once in its default precision
  (fp32) and once with ``bf16=True``.

Throughput is texts per second over the steps after ``--warmup`` steps. Usage::

    python bench/train.py --artifacts /tmp/w7art --steps 12 --warmup 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WRITING7_QUIET", "1")


def writing7_rate(cfg, splits, steps: int, warmup: int, work: Path) -> float:
    from writing7.training.bi_encoder_training import train_matcher

    log = work / "writing7_log.jsonl"
    train_matcher(cfg, splits["train"], splits["validation"], checkpoint_dir=work / "checkpoints", log_path=log, fingerprint="bench")
    records = {r["step"]: r for r in map(json.loads, log.read_text().splitlines()) if "elapsed_s" in r}
    first, last = records[warmup], records[warmup + steps]
    return (last["samples"] - first["samples"]) / (last["elapsed_s"] - first["elapsed_s"])


def sentence_transformers_rate(base_model: str, pairs: list[tuple[str, str]], *, batch_pairs: int, max_seq_length: int, steps: int, warmup: int, bf16: bool, work: Path) -> float:
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter())

    model = SentenceTransformer(base_model, device="cpu")
    model.max_seq_length = max_seq_length
    dataset = Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [b for _, b in pairs]})
    arguments = SentenceTransformerTrainingArguments(
        output_dir=str(work / f"st-{bf16}"), per_device_train_batch_size=batch_pairs, max_steps=warmup + steps, bf16=bf16, use_cpu=True,
        report_to=[], save_strategy="no", logging_strategy="no", disable_tqdm=True, dataloader_drop_last=True, learning_rate=4e-5,
        warmup_ratio=0.06, seed=0,
    )
    clock = StepClock()
    trainer = SentenceTransformerTrainer(model=model, args=arguments, train_dataset=dataset, loss=MultipleNegativesRankingLoss(model), callbacks=[clock])
    trainer.train()
    return 2 * batch_pairs * steps / (clock.times[warmup + steps - 1] - clock.times[warmup - 1])


def same_book_pairs(splits) -> list[tuple[str, str]]:
    rows = splits["train"].filter(lambda row: row["pair_type"] == "positive")
    return list(zip(rows["text1"], rows["text2"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"), help="Artifacts folder with data/processed.")
    parser.add_argument("--base-model", default="all-MiniLM-L6-v2")
    parser.add_argument("--steps", type=int, default=12, help="Timed steps per system.")
    parser.add_argument("--warmup", type=int, default=2, help="Untimed steps first.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=None, help="Also write the results as JSON here.")
    args = parser.parse_args()

    import torch
    from datasets import load_from_disk

    from writing7.config.train import TrainConfig
    from writing7.models.bi_encoder import resolve_base_model
    from writing7.models.runtime import native_bf16

    torch.set_num_threads(args.threads)
    splits = load_from_disk(str(args.artifacts / "data" / "processed"))
    cfg = TrainConfig(base_model=args.base_model, max_steps=args.warmup + args.steps, eval_steps=0, save_steps=0, logging_steps=1, eval_max_pairs=8, threads=args.threads)
    results = {"batch_texts": cfg.batch_size, "max_seq_length": cfg.max_seq_length, "threads": args.threads, "native_bf16": native_bf16(torch.device("cpu"))}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        pairs = same_book_pairs(splits)
        common = {"batch_pairs": cfg.batch_size // 2, "max_seq_length": cfg.max_seq_length, "steps": args.steps, "warmup": args.warmup, "work": work}
        results["sentence_transformers_fp32"] = sentence_transformers_rate(resolve_base_model(args.base_model), pairs, bf16=False, **common)
        results["writing7"] = writing7_rate(cfg, splits, args.steps, args.warmup, work)
        results["sentence_transformers_bf16"] = sentence_transformers_rate(resolve_base_model(args.base_model), pairs, bf16=True, **common)
    results["speedup_vs_st_default"] = results["writing7"] / results["sentence_transformers_fp32"]
    results["speedup_vs_st_bf16"] = results["writing7"] / results["sentence_transformers_bf16"]
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"texts/step {results['batch_texts']}, max_seq_length {results['max_seq_length']}, threads {args.threads}, native bf16 {results['native_bf16']}")
    for name in ("writing7", "sentence_transformers_fp32", "sentence_transformers_bf16"):
        print(f"{name:28s} {results[name]:7.2f} texts/s")
    print(f"speedup vs ST default (fp32): {results['speedup_vs_st_default']:.2f}x;  vs ST with bf16=True: {results['speedup_vs_st_bf16']:.2f}x")
    print(f"peak RSS {results['peak_rss_mb']:.0f} MB")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
