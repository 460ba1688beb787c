"""Settings for scoring with a trained matcher: batching, the work cap per pair, the text size limit."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option


@dataclasses.dataclass
class InferenceConfig(StageConfig):
    """``[inference]``: used by ``score``, ``score-pairs``, ``compare`` and the service."""

    section = "inference"
    batch_size: int = option(64, "Passages per model forward.")
    max_chunks_per_document: int = option(0, "Read at most this many passages of each text (spread over all of it); "
                                             "0 = as many as the verdict was fitted with (calibrate's max_chunks_per_document).")
    block_pairs: int = option(256, "score-pairs scores this many pairs at a time, so memory stays bounded however long the file.")
    uncalibrated: bool = option(False, "Score with raw sigmoid(mean passage logit) and (cosine+1)/2 when no verdict exists (flagged in every output).")
    max_text_bytes: int = option(20_000_000, "Largest text file score and compare read; a larger one is refused before it is read "
                                             "(a 50 MB text took minutes and GBs of memory to score).")

    def validate(self) -> None:
        self.require_positive("batch_size", "block_pairs", "max_text_bytes")
        self.require_non_negative("max_chunks_per_document")
