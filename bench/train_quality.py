"""Quality of a trained matcher on held-out authors next to the two built-in baselines.

ROC AUC on the test split of ``data/processed`` for

- **book**: same-book pairs vs different-author negatives (model: same-book logit),
- **author**: same-author-other-book pairs vs different-author negatives (model: same-author logit),

for the trained model's pair logits and its embedding cosine, the char 4-gram TF-IDF cosine (idf on
the train split) and the untrained base model's cosine. The formal report (calibrated metrics,
c@1, F0.5u, ECE, plots) is `writing7 evaluate`; this is the quick table used while tuning training.

    python bench/train_quality.py --artifacts /tmp/w7art [--model DIR] [--split test]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"))
    parser.add_argument("--model", type=Path, default=None, help="Model folder (default: ARTIFACTS/models/book_matcher_contrastive/final).")
    parser.add_argument("--split", default="test")
    parser.add_argument("--base-model", default="all-MiniLM-L6-v2")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()

    import numpy as np
    import torch
    from datasets import load_from_disk
    from sklearn.metrics import roc_auc_score

    from writing7.baselines import CharNgramTfidfBaseline, EmbeddingCosineBaseline
    from writing7.metrics.tasks import select_tasks
    from writing7.models.bi_encoder import resolve_base_model
    from writing7.models.matcher import MatcherModel
    from writing7.models.scoring import score_text_pairs

    torch.set_num_threads(args.threads)
    splits = load_from_disk(str(args.artifacts / "data" / "processed"))
    columns = splits[args.split].to_dict()
    tasks = select_tasks(columns, ("book", "author"))
    texts1, texts2 = columns["text1"], columns["text2"]
    train = splits["train"].to_dict()
    scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    started = time.perf_counter()
    char = CharNgramTfidfBaseline().fit(sorted(set(train["text1"]) | set(train["text2"]))).score(texts1, texts2)
    scores["char 4-gram TF-IDF cosine"] = (char, char)
    base = EmbeddingCosineBaseline(resolve_base_model(args.base_model), device="cpu").score(texts1, texts2)
    scores["base model cosine (untrained)"] = (base, base)
    model_dir = args.model or args.artifacts / "models" / "book_matcher_contrastive" / "final"
    if model_dir.is_dir():
        model = MatcherModel.load(model_dir, device="cpu")
        pair_scores = score_text_pairs(model, texts1, texts2)
        logits, cosine = pair_scores.logits, pair_scores.cosines
        scores["Writing7 pair head (logits)"] = (logits[:, 0], logits[:, 1])
        scores["Writing7 embedding cosine"] = (cosine, cosine)
    table = {}
    for name, (book_scores, author_scores) in scores.items():
        table[name] = {
            task: float(roc_auc_score(tasks[task].labels, (book_scores if task == "book" else author_scores)[tasks[task].mask]))
            for task in ("book", "author")
        }
    counts = {task: f"{int(tasks[task].labels.sum())} pos / {int((~tasks[task].labels).sum())} neg" for task in tasks}
    print(f"{args.split} split: book {counts['book']}, author {counts['author']}  ({time.perf_counter() - started:.0f} s)")
    print("| system | book AUC | author AUC |\n|---|---|---|")
    for name, row in table.items():
        print(f"| {name} | {row['book']:.3f} | {row['author']:.3f} |")
    if args.output:
        args.output.write_text(json.dumps({"split": args.split, "counts": counts, "auc": table}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
