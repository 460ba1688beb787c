"""Stages: the only modules (with ``cli/`` and ``deploy/``) that read and write artifact paths.

The stage contract
------------------
Every stage module exposes one entry point::

    run(cfg: <Stage>Config, *, <named paths>, force: bool = False) -> StageResult

- ``cfg`` is the stage's own config dataclass (``writing7.config.<stage>``), already loaded with the
  command's overrides; a stage never reads the environment or a config file itself.
- Paths are keyword-only and carry the same name for the same thing everywhere:
  ``corpus`` (one book folder, or several read as one), ``artifacts`` (the artifacts root, see
  :class:`writing7.artifacts.ArtifactLayout`), ``model_dir`` (a trained model folder), ``output``
  (a folder or file the stage writes outside the layout). Stages that write under the layout take
  ``artifacts``; the others take ``output``. A few run-time choices that are not settings of the stage's
  config table come after the paths as keywords too (``device``, ``rerank``, ``pairs_per_kind``,
  ``should_stop`` for tests of an interrupted training).
- Inputs are checked first (``require_input(path, stage=<upstream>, what=...)``: a missing input is one
  line naming the stage to run first), then hashed; when ``not force`` and the stage's manifest matches
  config and input hashes (``is_current`` / ``files_current``) the stage is skipped.
- Outputs are written atomically and the manifest last (``finish`` / ``finish_files``).
- It returns a :class:`StageResult`: the :class:`~writing7.artifacts.Manifest`, whether it ``ran``
  (False: skipped as current), and its own one-line ``summary``. Callers never guess from timestamps
  and never dig into another stage's stats keys: the pipeline and the CLI print ``summary``.

Helpers that several stages share live outside ``stages/`` (``writing7.pair_files``,
``writing7.length_suite``, ``writing7.corpus``, ``writing7.artifacts``): a stage never imports another
stage. ``pipeline`` is the one module that calls stages in order.

Stages and their signatures:

=================  ==========================================================================================
ingest             ``run_gutenberg(cfg, *, book_ids, corpus, catalog_path=None)``,
                   ``run_directory(source, *, corpus, catalog_path=None)`` -> ``IngestSummary`` (a growing
                   corpus, one ``ingest_manifest.jsonl`` line per book: not a replaced output folder)
standardize        ``run(cfg, *, corpus, output, force)``
prepare            ``run(cfg, *, corpus, artifacts, force)``
train-teacher      ``train.run_teacher(cfg, *, artifacts, force)``; ``train.ensure_teacher`` (same signature) is the
                   one trigger before a distilling ``train`` (CLI ``train``, pipeline, Modal)
train              ``train.run(cfg, *, artifacts, force)`` (with ``distill_from_cross`` the teacher must exist)
calibrate          ``calibrate.run(cfg, *, artifacts, force)``
calibrate-verdict  ``verdict.run(cfg, *, corpus, artifacts, force, device=None)``
calibrate-attrib.  ``attribution.run(cfg, *, corpus, artifacts, force, device=None)``
evaluate           ``evaluate.run(cfg, *, artifacts, force)``
evaluate-lengths   ``evaluate_lengths.run(cfg, *, corpus, artifacts, force, pairs_per_kind=400)``
retrieval          ``retrieval.run(cfg: SearchConfig, *, artifacts, index_dir=None, rerank=False, force)``
index              ``index.run(cfg, *, corpus, model_dir, output, force)``
score-pairs        ``score_pairs.run(matcher, *, input_path, output, target, block_pairs, explain)`` (a
                   user's file in, a user's file out: the manifest is returned, not written; never skipped)
bench-style        ``bench_style.run(cfg, *, model_dir, corpus, output)`` -> the report dict (a measurement
                   on demand: never skipped, not a pipeline stage)
clean, demo        not stages of the pipeline: ``clean.plan_clean`` / ``execute_clean`` and ``demo.scored_examples`` /
                   ``evaluation_table`` read the layout and write nothing of their own
=================  ==========================================================================================
"""

from __future__ import annotations

import dataclasses
from typing import Any

from writing7.artifacts import Manifest


@dataclasses.dataclass(frozen=True)
class StageResult:
    """What one stage call did: its manifest, whether it ran or was skipped as current, and one summary line."""

    stage: str
    manifest: Manifest | None  # None only on torchrun ranks other than 0 (rank 0 writes and reports)
    ran: bool
    summary: str = ""

    @property
    def stats(self) -> dict[str, Any]:
        """The manifest's stats (empty when there is no manifest)."""
        return self.manifest.stats if self.manifest is not None else {}

    @property
    def status(self) -> str:
        return "ran" if self.ran else "skipped"


def format_number(value: Any) -> str:
    """A float with three decimals, anything else as it is: how summaries print metrics."""
    return f"{value:.3f}" if isinstance(value, float) else str(value)
