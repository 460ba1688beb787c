"""`writing7 score-pairs` throughput on PAN-format pairs.

Builds ``--pairs`` PAN pairs (``{"id", "pair": [text1, text2]}``; half same-author, half other-author)
of ``--words``-word passages from the shared corpus, then runs the real command
(``python -m writing7 score-pairs IN.jsonl --output OUT.jsonl``) in a subprocess and reports pairs
per second, both over the whole command (model load included) and over the scoring alone (the
command run twice: once on ``--pairs`` pairs, once on a small file, the difference removes start-up),
plus the peak memory of the command.

With ``--mixed`` the pairs' texts have 200, 1,000, 5,000 and 20,000 words (a quarter each, shuffled):
the verdict reads every text whole, so this measures the any-length path and that memory stays bounded.

``--precisions`` (default: fp32, bf16 where this CPU runs it natively, and int8 on each backend installed:
``int8:torch``, ``int8:onnxruntime``; a suffix sets ``$WRITING7_INT8_BACKEND``) runs the command once per
precision (``--precision``) in each of ``--rounds`` rounds, alternating, so that every precision sees the
same load, after one untimed run of each on the small file (it builds what is cached, such as the int8
graph of ONNX Runtime, so start-up is measured warm, as a user sees it from the second run on); it reports each precision's median pairs/s with the CPU and the precision beside the figure, the
ratio to fp32, and the AUC of each precision's answers against the pairs' same-author labels (``--target author``).

Usage::

    python bench/score_pairs.py --pairs 400 --words 200 --rounds 2
    python bench/score_pairs.py --pairs 200 --mixed --precisions fp32
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from matcher_setup import choose_model, cpu_description, passages, report_and_table  # noqa: E402

MIXED_WORDS = (200, 1000, 5000, 20000)


def pan_pairs(count: int, *, words: int, seed: int = 0) -> list[dict]:
    """Half same-author, half different-author pairs; every passage is used at most once."""
    rng = random.Random(seed)
    by_author = defaultdict(list)
    for author, text in passages(2 * count, words=words, seed=seed):
        by_author[author].append(text)
    same, leftover = [], []
    for author, texts in by_author.items():
        rng.shuffle(texts)
        while len(texts) >= 2 and len(same) < count // 2:
            same.append((texts.pop(), texts.pop()))
        leftover += [(author, text) for text in texts]
    rng.shuffle(leftover)
    different = []
    while len(leftover) >= 2 and len(same) + len(different) < count:
        author, text = leftover.pop()
        partner = next((i for i, (other, _) in enumerate(leftover) if other != author), None)
        if partner is not None:
            different.append((text, leftover.pop(partner)[1]))
    pairs = [(pair, True) for pair in same] + [(pair, False) for pair in different]
    if len(pairs) < count:
        raise SystemExit(f"only {len(pairs)} pairs could be built; ask for fewer or shorter passages")
    rng.shuffle(pairs)
    return [{"id": f"pair-{number:05d}", "pair": [a, b], "same_author": label} for number, ((a, b), label) in enumerate(pairs)]


def run_command(model: Path, source: Path, output: Path, *, uncalibrated: bool, batch_size: int, precision: str, target: str) -> float:
    """Seconds of one ``score-pairs`` run; ``precision`` is a ``--precision`` value, or ``int8:BACKEND``."""
    from writing7.models.runtime import INT8_BACKEND_ENV

    precision, _, backend = precision.partition(":")
    command = [sys.executable, "-m", "writing7", "--quiet", "score-pairs", str(source), "--output", str(output),
               "--model", str(model), "--batch-size", str(batch_size), "--precision", precision, "--target", target,
               *(["--uncalibrated"] if uncalibrated else [])]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=os.environ | ({INT8_BACKEND_ENV: backend} if backend else {}))
    return time.perf_counter() - started


def default_precisions() -> list[str]:
    """fp32 everywhere, bf16 where this CPU runs it natively, int8 on PyTorch and (when installed) on ONNX Runtime."""
    from writing7.models.onnx_int8 import onnx_runtime_available
    from writing7.models.runtime import cpu_has_bf16_instructions

    return ["fp32", *(["bf16"] if cpu_has_bf16_instructions() else []), "int8:torch",
            *(["int8:onnxruntime"] if onnx_runtime_available() else [])]


def answers_auc(records: list[dict], output: Path) -> float | None:
    """AUC of the command's answers against the pairs' same-author labels (answers checked to be in input order)."""
    from writing7.metrics.pan import auc

    answers = [json.loads(line) for line in output.read_text().splitlines()]
    assert [a["id"] for a in answers] == [r["id"] for r in records], "answers must come back in input order"
    return auc([r["same_author"] for r in records], [a["value"] for a in answers])


def measure_precisions(model: Path, work: Path, records: list[dict], args: argparse.Namespace, uncalibrated: bool) -> dict:
    """Per precision: whole-command and start-up seconds of every round (alternating precisions), and the answers' AUC."""
    runs = {precision: {"command": [], "startup": [], "auc": None} for precision in args.precisions}
    options = {"uncalibrated": uncalibrated, "batch_size": args.batch_size, "target": args.target}
    for precision in args.precisions:  # warm-up, untimed: builds what each path caches
        run_command(model, work / "small.jsonl", work / "small_out.jsonl", precision=precision, **options)
    for round_number in range(args.rounds):
        for precision in args.precisions:
            runs[precision]["startup"].append(run_command(model, work / "small.jsonl", work / "small_out.jsonl", precision=precision, **options))
            output = work / f"out-{precision}.jsonl"
            runs[precision]["command"].append(run_command(model, work / "pairs.jsonl", output, precision=precision, **options))
            runs[precision]["auc"] = answers_auc(records, output)
            print(f"round {round_number + 1} {precision}: {len(records) / runs[precision]['command'][-1]:.2f} pairs/s "
                  f"(whole command), load {os.getloadavg()[0]:.1f}", flush=True)
    return runs


def precision_row(runs: dict, pairs: int, small: int, cpu: str) -> dict:
    """Median figures of one precision's rounds."""
    command, startup = statistics.median(runs["command"]), statistics.median(runs["startup"])
    return {"pairs_per_s_command": round(pairs / command, 2), "command_seconds": [round(s, 1) for s in runs["command"]],
            "pairs_per_s_scoring": round((pairs - small) / max(command - startup, 1e-9), 2), "startup_seconds": round(startup, 1),
            "auc_same_author": None if runs["auc"] is None else round(runs["auc"], 4), "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="Model folder (default: a trained one under artifacts, else MiniLM with an untrained head).")
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--words", type=int, default=200, help="Words per passage.")
    parser.add_argument("--mixed", action="store_true", help="Texts of 200 to 20,000 words (a quarter each) instead of --words.")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precisions", type=lambda text: text.split(","), default=None,
                        help="Comma-separated precisions to compare (default: fp32, bf16 where native, int8:torch, int8:onnxruntime; int8:BACKEND sets $WRITING7_INT8_BACKEND).")
    parser.add_argument("--rounds", type=int, default=1, help="Rounds of alternating runs; the median is reported.")
    parser.add_argument("--target", default="author", choices=("book", "author"), help="score-pairs --target (the pairs' labels are same-author).")
    parser.add_argument("--output", type=Path, help="Also write the report as JSON here.")
    args = parser.parse_args()
    args.precisions = args.precisions or default_precisions()

    if args.mixed:
        records = [record for words in MIXED_WORDS for record in pan_pairs(args.pairs // len(MIXED_WORDS), words=words, seed=words)]
        random.Random(0).shuffle(records)
        records = [{**record, "id": f"pair-{number:05d}"} for number, record in enumerate(records)]
    else:
        records = pan_pairs(args.pairs, words=args.words)
    small = records[:16]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        model, uncalibrated, description = choose_model(args.model, work, [text for r in records for text in r["pair"]])
        lengths = "200 to 20,000-word texts" if args.mixed else f"{args.words}-word passages"
        cpu = cpu_description()
        print(f"cpu: {cpu}\nmodel: {description}; {len(records)} pairs of {lengths}; precisions {', '.join(args.precisions)}, "
              f"{args.rounds} round(s); load average {os.getloadavg()}", flush=True)
        for name, rows in (("pairs.jsonl", records), ("small.jsonl", small)):
            (work / name).write_text("".join(json.dumps({"id": row["id"], "pair": row["pair"]}) + "\n" for row in rows), encoding="utf-8")
        runs = measure_precisions(model, work, records, args, uncalibrated)
    rows = {precision: precision_row(run, len(records), len(small), cpu) for precision, run in runs.items()}
    fp32 = rows.get("fp32", {}).get("pairs_per_s_command")
    report = {"cpu": cpu, "model": description, "pairs": len(records), "target": args.target,
              "words_per_text": list(MIXED_WORDS) if args.mixed else args.words, "batch_size": args.batch_size, "rounds": args.rounds,
              "precisions": rows, "ratio_to_fp32": {p: round(row["pairs_per_s_command"] / fp32, 2) for p, row in rows.items()} if fp32 else {},
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
              "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    report_and_table(report, f"{'precision':<18}{'pairs/s (command)':>19}{'pairs/s (scoring)':>19}{'x fp32':>8}{'AUC':>8}  cpu", [
        f"{precision:<18}{row['pairs_per_s_command']:>19}{row['pairs_per_s_scoring']:>19}{report['ratio_to_fp32'].get(precision, '-'):>8}"
        f"{str(row['auc_same_author']):>8}  {cpu}" for precision, row in rows.items()], args.output)


if __name__ == "__main__":
    main()
