"""Training throughput: Writing7's training step vs sentence-transformers' trainer, in the same run.

Both train the same base model (default: the packaged all-MiniLM-L6-v2) on the same passages with the
same number of texts per step and the same maximum sequence length:

- **writing7**: the real ``train`` loop (book-aware batches of ``authors x books x chunks`` passages,
  SupCon over books and authors + the pair head's BCE over every in-batch pair with its classical
  features; pre-tokenised texts, frozen token embeddings, bf16 autocast where native);
- **sentence-transformers**: ``SentenceTransformerTrainer`` with ``MultipleNegativesRankingLoss`` on
  (passage, same-book passage) pairs, ``batch / 2`` pairs a step, once in its default precision
  (fp32) and once with ``bf16=True``.

Throughput is texts per step over the median step time after ``--warmup`` steps, over alternating
``--rounds``. ``--variant NAME:field=value,...`` adds Writing7 runs with other ``[train]`` settings to the same
rounds (the knobs of a faster CPU step, side by side); ``--precision fp32`` times the step without bf16, as on a
CPU without native bf16. To emulate an AVX2-only CPU on a newer one, cap the kernel libraries
(``ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2``; the CPU line says so). Usage::

    python bench/train.py --artifacts /tmp/w7art --steps 6 --warmup 1 --rounds 2
    python bench/train.py --precision fp32 --st-precisions fp32 --variant frozen4:freeze_layers=4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WRITING7_QUIET", "1")


def step_seconds(times: list[float], warmup: int) -> list[float]:
    """Durations of the steps after ``warmup`` from their end times."""
    return [later - earlier for earlier, later in zip(times[warmup - 1 :], times[warmup:])]


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``"fast:freeze_layers=4,attention_dropout=0.1"`` -> ``("fast", {"freeze_layers": "4", "attention_dropout": "0.1"})``."""
    name, _, settings = text.partition(":")
    if not name or not settings or any("=" not in item for item in settings.split(",")):
        raise SystemExit(f"--variant {text!r}: write NAME:field=value[,field=value...]")
    return name, dict(item.split("=", 1) for item in settings.split(","))


def writing7_steps(cfg, splits, warmup: int, work: Path) -> list[float]:
    """Step durations of the real `train` loop (from its log's elapsed times)."""
    from writing7.training.bi_encoder_training import train_matcher

    work.mkdir(parents=True, exist_ok=True)
    log = work / "writing7_log.jsonl"
    train_matcher(cfg, splits["train"], splits["validation"], checkpoint_dir=work / "checkpoints", log_path=log, fingerprint="bench")
    records = [r for r in map(json.loads, log.read_text().splitlines()) if "elapsed_s" in r]
    return step_seconds([r["elapsed_s"] for r in records], warmup)


def sentence_transformers_steps(base_model: str, pairs: list[tuple[str, str]], *, batch_pairs: int, max_seq_length: int, max_steps: int, warmup: int, bf16: bool, work: Path) -> list[float]:
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
        output_dir=str(work / f"st-{bf16}"), per_device_train_batch_size=batch_pairs, max_steps=max_steps, bf16=bf16, use_cpu=True,
        report_to=[], save_strategy="no", logging_strategy="no", disable_tqdm=True, dataloader_drop_last=True, learning_rate=4e-5,
        warmup_steps=0.06, seed=0,
    )
    clock = StepClock()
    trainer = SentenceTransformerTrainer(model=model, args=arguments, train_dataset=dataset, loss=MultipleNegativesRankingLoss(model), callbacks=[clock])
    trainer.train()
    return step_seconds(clock.times, warmup)


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
    parser.add_argument("--rounds", type=int, default=2, help="Alternating rounds of every system.")
    parser.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"), help="Writing7's training precision.")
    parser.add_argument("--variant", action="append", default=[], help="NAME:field=value,... another Writing7 run with these [train] settings.")
    parser.add_argument("--st-precisions", type=lambda text: [item for item in text.split(",") if item], default=["fp32", "bf16"],
                        help="SentenceTransformerTrainer runs: fp32, bf16, both (default) or none ('').")
    parser.add_argument("--output", type=Path, default=None, help="Also write the results as JSON here.")
    args = parser.parse_args()

    import dataclasses

    import torch
    from datasets import load_from_disk
    from matcher_setup import cpu_description

    from writing7.config.train import TrainConfig
    from writing7.models.bi_encoder import resolve_base_model
    from writing7.models.runtime import native_bf16, use_bf16

    torch.set_num_threads(args.threads)
    splits = load_from_disk(str(args.artifacts / "data" / "processed"))
    cfg = TrainConfig(base_model=args.base_model, max_steps=args.warmup + args.steps, eval_steps=0, save_steps=0, logging_steps=1, eval_max_pairs=8,
                      threads=args.threads, precision=args.precision)
    configs, overrides = {"writing7": cfg}, {"writing7": {}}
    for name, settings in map(parse_variant, args.variant):
        unknown = sorted(set(settings) - set(TrainConfig.field_names()))
        if unknown:
            raise SystemExit(f"--variant {name}: {', '.join(unknown)} is not a [train] setting (see `writing7 config show`)")
        typed = {field: type(getattr(cfg, field))(value) if not isinstance(getattr(cfg, field), bool) else value.lower() in ("1", "true", "yes")
                 for field, value in settings.items()}
        configs[f"writing7 {name}"], overrides[f"writing7 {name}"] = dataclasses.replace(cfg, **typed), typed
    cpu = torch.device("cpu")
    results = {"cpu": cpu_description(), "batch_texts": cfg.batch_size, "max_seq_length": cfg.max_seq_length, "threads": args.threads,
               "native_bf16": native_bf16(cpu), "writing7_bf16": use_bf16(args.precision, cpu),
               "variants": overrides}
    print(f"CPU: {results['cpu']}; Writing7 precision {args.precision} (bf16 autocast {results['writing7_bf16']})", flush=True)
    st_systems = tuple(f"sentence_transformers_{precision}" for precision in args.st_precisions)
    systems = (*configs, *st_systems)
    durations: dict[str, list[float]] = {name: [] for name in systems}
    pairs = same_book_pairs(splits)
    st_settings = {"batch_pairs": cfg.batch_size // 2, "max_seq_length": cfg.max_seq_length, "max_steps": args.warmup + args.steps, "warmup": args.warmup}
    # Rounds alternate the systems so that a busy spell on a shared machine does not land on one of them only;
    # the median step time ignores the spells that remain.
    for round_number in range(args.rounds):
        with tempfile.TemporaryDirectory() as directory:
            work = Path(directory)
            base = resolve_base_model(args.base_model)
            if "sentence_transformers_fp32" in st_systems:
                durations["sentence_transformers_fp32"] += sentence_transformers_steps(base, pairs, bf16=False, work=work, **st_settings)
            for name, config in configs.items():
                durations[name] += writing7_steps(config, splits, args.warmup, work / name.replace(" ", "_"))
            if "sentence_transformers_bf16" in st_systems:
                durations["sentence_transformers_bf16"] += sentence_transformers_steps(base, pairs, bf16=True, work=work, **st_settings)
        print(f"round {round_number + 1}: " + ", ".join(f"{name} {statistics.median(values):.2f} s/step" for name, values in durations.items()), flush=True)
    for name in systems:
        results[name] = cfg.batch_size / statistics.median(durations[name])
    results["step_seconds"] = durations
    print(f"texts/step {results['batch_texts']}, max_seq_length {results['max_seq_length']}, threads {args.threads}, native bf16 {results['native_bf16']}")
    for name in systems:
        print(f"{name:28s} {results[name]:7.2f} texts/s ({results[name] / results['writing7']:.2f}x writing7)")
    for name in st_systems:
        results[f"speedup_vs_{name}"] = results["writing7"] / results[name]
        print(f"writing7 vs {name}: {results[f'speedup_vs_{name}']:.2f}x")
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {results['peak_rss_mb']:.0f} MB")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
