"""Two CPU processes (gloo) against one process on the concatenated global batch.

The workers run the real ``train_matcher`` under a process group created here (as ``torchrun`` would),
on the tiny fixture pair dataset with a tiny BERT whose dropout is off, so one process on the global
batch (``authors_per_batch x 2`` authors) is an exact oracle for the first step.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN
from torch import multiprocessing

from writing7.config.train import TrainConfig
from writing7.errors import UserFacingError
from writing7.training.bi_encoder_training import train_matcher
from writing7.training.distributed import DistributedContext

WORLD_SIZE = 2


@pytest.fixture(scope="module")
def tiny_bert_without_dropout(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_bert`` with hidden and attention dropout 0: the processes' dropout masks cannot match one process's."""
    import shutil

    directory = tmp_path_factory.mktemp("bert") / "no_dropout"
    shutil.copytree(tiny_bert, directory)
    config = json.loads((directory / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def exact_config(base_model: Path, **overrides) -> TrainConfig:
    settings = {**TINY_TRAIN, "base_model": str(base_model), "pair_head_dropout": 0.0, "head_fit_author_ratio": 0.0, "eval_max_pairs": 10}
    return dataclasses.replace(TrainConfig(**settings), **overrides)


def model_state(matcher) -> dict[str, torch.Tensor]:
    return {**{f"encoder.{k}": v for k, v in matcher.encoder.state_dict().items()}, **{f"head.{k}": v for k, v in matcher.head.state_dict().items()}}


def logged_losses(log_path: Path) -> list[float]:
    return [record["loss"] for record in map(json.loads, log_path.read_text().splitlines()) if "loss" in record]


def _worker(rank: int, cfg: TrainConfig, dataset_dir: str, run_dir: str, stop_at: int) -> None:
    """One training process: join the gloo group, train, save this rank's weights and summary."""
    from datasets import load_from_disk

    torch.distributed.init_process_group("gloo", init_method=f"file://{run_dir}/rendezvous", rank=rank, world_size=WORLD_SIZE)
    try:
        splits = load_from_disk(dataset_dir)
        run = Path(run_dir)
        matcher, summary = train_matcher(
            cfg, splits["train"], splits["validation"], checkpoint_dir=run / "checkpoints", log_path=run / "log.jsonl", fingerprint="t",
            should_stop=(lambda step: step == stop_at) if stop_at else None, distributed=DistributedContext(rank, WORLD_SIZE, rank),
        )
        torch.save(model_state(matcher), run / f"state-{rank}.pt")
        (run / f"summary-{rank}.json").write_text(json.dumps({key: summary[key] for key in ("steps", "completed", "resumed_from_step", "world_size")}))
    finally:
        torch.distributed.destroy_process_group()


def train_in_two_processes(cfg: TrainConfig, dataset_dir: Path, run_dir: Path, *, stop_at: int = 0) -> list[dict]:
    """Run :func:`_worker` on 2 spawned processes; each rank's summary."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "rendezvous").unlink(missing_ok=True)
    multiprocessing.spawn(_worker, args=(cfg, str(dataset_dir), str(run_dir), stop_at), nprocs=WORLD_SIZE, join=True)
    return [json.loads((run_dir / f"summary-{rank}.json").read_text()) for rank in range(WORLD_SIZE)]


def assert_same_weights(expected: dict[str, torch.Tensor], actual: dict[str, torch.Tensor], atol: float) -> None:
    assert expected.keys() == actual.keys()
    for key, value in expected.items():
        assert torch.allclose(value, actual[key], atol=atol, rtol=0), (key, float((value - actual[key]).abs().max()))


def test_first_step_of_two_processes_equals_one_process_on_the_global_batch(tiny_bert_without_dropout, pair_dataset_dir, pair_splits, tmp_path):
    cfg = exact_config(tiny_bert_without_dropout, max_steps=1)
    summaries = train_in_two_processes(cfg, pair_dataset_dir, tmp_path / "two")
    assert [summary["world_size"] for summary in summaries] == [2, 2] and all(summary["completed"] for summary in summaries)
    # One process, the global batch: twice the authors (and the same seed, so the same draw).
    single, _ = train_matcher(
        dataclasses.replace(cfg, authors_per_batch=cfg.authors_per_batch * WORLD_SIZE), pair_splits["train"], pair_splits["validation"],
        checkpoint_dir=tmp_path / "one" / "checkpoints", log_path=tmp_path / "one" / "log.jsonl", fingerprint="t", distributed=DistributedContext(),
    )
    two_loss, one_loss = logged_losses(tmp_path / "two" / "log.jsonl"), logged_losses(tmp_path / "one" / "log.jsonl")
    assert len(two_loss) == len(one_loss) == 1
    assert two_loss[0] == pytest.approx(one_loss[0], abs=1e-5)
    rank0, rank1 = (torch.load(tmp_path / "two" / f"state-{rank}.pt") for rank in range(WORLD_SIZE))
    assert_same_weights(rank0, rank1, atol=0.0)  # DDP keeps the ranks identical
    # After one AdamW step the weights agree to float rounding: the gradients were those of the global loss.
    assert_same_weights(model_state(single), rank0, atol=2e-6)
    projection = rank0["encoder.projection.0.linear.weight"]  # identity-initialised
    moved = float((projection - torch.eye(projection.shape[0])).abs().max())
    assert moved > 1e-4  # the step did change the weights (the equality above is not trivial)


@pytest.mark.slow
def test_two_processes_resume_where_they_stopped(tiny_bert_without_dropout, pair_dataset_dir, tmp_path):
    cfg = exact_config(tiny_bert_without_dropout, max_steps=4, save_steps=2, pair_head_dropout=0.1)
    straight = tmp_path / "straight"
    train_in_two_processes(cfg, pair_dataset_dir, straight)
    resumed = tmp_path / "resumed"
    stopped = train_in_two_processes(cfg, pair_dataset_dir, resumed, stop_at=3)
    assert [summary["steps"] for summary in stopped] == [3, 3] and not any(summary["completed"] for summary in stopped)
    finished = train_in_two_processes(cfg, pair_dataset_dir, resumed)
    assert [summary["resumed_from_step"] for summary in finished] == [2, 2] and all(summary["completed"] for summary in finished)
    # Every rank's RNG state (pair-head dropout) came back too: the resumed run ends where the straight one does.
    assert_same_weights(torch.load(straight / "state-0.pt"), torch.load(resumed / "state-0.pt"), atol=1e-6)
    assert json.loads((resumed / "checkpoints" / "step-0000002" / "state.json").read_text())["world_size"] == 2


def test_a_checkpoint_of_two_processes_is_not_resumed_by_one(tiny_bert_without_dropout, pair_splits, tmp_path):
    from writing7.training.checkpoint import rng_state, save_checkpoint

    cfg = exact_config(tiny_bert_without_dropout, max_steps=3)
    module = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(module.parameters())
    save_checkpoint(tmp_path / "checkpoints", step=1, model=module, optimizer=optimizer, scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0),
                    fingerprint="t", keep=2, rank_rng_states=[rng_state(), rng_state()])
    with pytest.raises(UserFacingError, match=r"written by 2 training process\(es\) and this run has 1: .*--nproc_per_node 2"):
        train_matcher(cfg, pair_splits["train"], pair_splits["validation"], checkpoint_dir=tmp_path / "checkpoints",
                      log_path=tmp_path / "log.jsonl", fingerprint="t", distributed=DistributedContext())
