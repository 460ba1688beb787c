"""`writing7 score-pairs` throughput on PAN-format pairs.

Builds ``--pairs`` PAN pairs (``{"id", "pair": [text1, text2]}``; half same-author, half other-author)
of ``--words``-word passages from the shared corpus, then runs the real command
(``python -m writing7 score-pairs IN.jsonl --output OUT.jsonl``) in a subprocess and reports pairs
per second, both over the whole command (model load included) and over the scoring alone (the
command run twice: once on ``--pairs`` pairs, once on a small file, the difference removes start-up),
plus the peak memory of the command.

With ``--mixed`` the pairs' texts have 200, 1,000, 5,000 and 20,000 words (a quarter each, shuffled):
the verdict reads every text whole, so this measures the any-length path and that memory stays bounded.

Usage::

    python bench/score_pairs.py --pairs 2000 --words 200
    python bench/score_pairs.py --pairs 200 --mixed
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from matcher_setup import choose_model, cpu_description, passages  # noqa: E402

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
    pairs = same + different
    if len(pairs) < count:
        raise SystemExit(f"only {len(pairs)} pairs could be built; ask for fewer or shorter passages")
    rng.shuffle(pairs)
    return [{"id": f"pair-{number:05d}", "pair": [a, b]} for number, (a, b) in enumerate(pairs)]


def run_command(model: Path, source: Path, output: Path, *, uncalibrated: bool, batch_size: int) -> float:
    command = [sys.executable, "-m", "writing7", "--quiet", "score-pairs", str(source), "--output", str(output),
               "--model", str(model), "--batch-size", str(batch_size), *(["--uncalibrated"] if uncalibrated else [])]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="Model folder (default: a trained one under artifacts, else MiniLM with an untrained head).")
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--words", type=int, default=200, help="Words per passage.")
    parser.add_argument("--mixed", action="store_true", help="Texts of 200 to 20,000 words (a quarter each) instead of --words.")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--output", type=Path, help="Also write the report as JSON here.")
    args = parser.parse_args()

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
        print(f"cpu: {cpu_description()}\nmodel: {description}; {len(records)} pairs of {lengths}", flush=True)
        for name, rows in (("pairs.jsonl", records), ("small.jsonl", small)):
            (work / name).write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        startup = run_command(model, work / "small.jsonl", work / "small_out.jsonl", uncalibrated=uncalibrated, batch_size=args.batch_size)
        total = run_command(model, work / "pairs.jsonl", work / "out.jsonl", uncalibrated=uncalibrated, batch_size=args.batch_size)
        answers = [json.loads(line) for line in (work / "out.jsonl").read_text().splitlines()]
    assert [a["id"] for a in answers] == [r["id"] for r in records], "answers must come back in input order"
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    scoring = max(total - startup, 1e-9)
    report = {"cpu": cpu_description(), "model": description, "pairs": len(records),
              "words_per_text": list(MIXED_WORDS) if args.mixed else args.words, "batch_size": args.batch_size,
              "command_seconds": round(total, 1), "pairs_per_s_command": round(len(records) / total, 2),
              "startup_seconds": round(startup, 1), "pairs_per_s_scoring": round((len(records) - len(small)) / scoring, 2),
              "peak_rss_mb": round(peak_mb), "abstained": sum(a["value"] == 0.5 for a in answers),
              "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    print(json.dumps(report, indent=2))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
