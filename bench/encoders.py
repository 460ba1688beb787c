"""The quality preset's encoder against the default's, side by side: all-mpnet-base-v2 vs all-MiniLM-L6-v2.

For each encoder, in alternating rounds (a busy spell on a shared machine then lands on both):

- **training**: the real ``train`` loop's step time (same batch of ``authors x books x chunks``
  passages, same sequence length, same frozen layers and precision as the preset), as texts/s;
- **encoding**: passages/s of the inference path (``MatcherModel`` built from the untrained encoder,
  the verdict's passage encoding, ``precision = "auto"``) on the same ~190-word passages.

From them: how many training steps each gets in the same wall-clock budget (``--budget-minutes``,
default the CPU preset's ~18 minutes of training), and how much longer the verdict's passage encoding
(calibrate, evaluate, score) takes. Prints the CPU model and its AVX2 / AVX-512 / AVX512-BF16 / AMX flags.

    python bench/encoders.py --artifacts /tmp/w7art --steps 4 --warmup 1 --rounds 2
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matcher_setup import cpu_description  # noqa: E402
from train import writing7_steps  # noqa: E402

ENCODERS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2")


def encoding_rate(base_model: str, passages: list[str], *, batch_size: int, max_seq_length: int) -> float:
    """Passages/s of the inference encoder on ``passages`` (after one warm-up batch)."""
    from writing7.prepare.embedding import ChunkEncoder

    encoder = ChunkEncoder.load(base_model, device="cpu", max_seq_length=max_seq_length, precision="auto")
    encoder.encode(passages[:batch_size], batch_size=batch_size)
    start = time.perf_counter()
    encoder.encode(passages, batch_size=batch_size)
    return len(passages) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"), help="Artifacts folder with data/processed.")
    parser.add_argument("--steps", type=int, default=4, help="Timed training steps per encoder and round.")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--passages", type=int, default=192, help="Passages encoded per encoder and round.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget-minutes", type=float, default=18.0, help="Training budget to convert step times into steps.")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()

    import torch
    from datasets import load_from_disk

    from writing7.config.train import TrainConfig

    torch.set_num_threads(args.threads)
    splits = load_from_disk(str(args.artifacts / "data" / "processed"))
    passages = splits["validation"]["text1"][: args.passages]
    step_times: dict[str, list[float]] = {name: [] for name in ENCODERS}
    rates: dict[str, list[float]] = {name: [] for name in ENCODERS}
    for round_number in range(args.rounds):
        for name in ENCODERS:
            cfg = TrainConfig(base_model=name, max_steps=args.warmup + args.steps, eval_steps=0, save_steps=0, logging_steps=1,
                              eval_max_pairs=8, threads=args.threads)
            with tempfile.TemporaryDirectory() as directory:
                step_times[name] += writing7_steps(cfg, splits, args.warmup, Path(directory))
            rates[name].append(encoding_rate(name, passages, batch_size=64, max_seq_length=cfg.max_seq_length))
        print(f"round {round_number + 1}: " + ", ".join(f"{name} {statistics.median(step_times[name]):.2f} s/step, "
                                                        f"{statistics.median(rates[name]):.1f} passages/s" for name in ENCODERS), flush=True)
    batch = TrainConfig().batch_size
    results = {"cpu": cpu_description(), "threads": args.threads, "batch_texts": batch, "precision": "auto", "encoders": {}}
    for name in ENCODERS:
        seconds = statistics.median(step_times[name])
        results["encoders"][name] = {"train_texts_per_s": batch / seconds, "seconds_per_step": seconds,
                                     "steps_in_budget": int(args.budget_minutes * 60 / seconds),
                                     "encode_passages_per_s": statistics.median(rates[name])}
    small, large = (results["encoders"][name] for name in ENCODERS)
    results["train_slowdown"] = large["seconds_per_step"] / small["seconds_per_step"]
    results["encode_slowdown"] = small["encode_passages_per_s"] / large["encode_passages_per_s"]
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"CPU: {results['cpu']}; threads {args.threads}; precision auto; {batch} texts per training step")
    for name, values in results["encoders"].items():
        print(f"{name:18s} train {values['train_texts_per_s']:6.2f} texts/s ({values['steps_in_budget']} steps in {args.budget_minutes:.0f} min)"
              f"   encode {values['encode_passages_per_s']:6.1f} passages/s")
    print(f"mpnet / MiniLM: training step {results['train_slowdown']:.2f}x slower, encoding {results['encode_slowdown']:.2f}x slower; "
          f"peak RSS {results['peak_rss_mb']:.0f} MB")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
