"""Settings for scoring with a trained matcher: batching and whole-document comparison."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option


@dataclasses.dataclass
class InferenceConfig(StageConfig):
    """``[inference]``: used by ``score``, ``score-pairs``, ``compare``, ``calibrate-documents`` and the service."""

    section = "inference"
    batch_size: int = option(64, "Pairs or texts per model forward.")
    chunk_size: int = option(8, "Sentences per chunk when a long document is cut up (compare).")
    overlap: int = option(8, "Step in sentences between chunk starts when a document is cut up (compare).")
    min_chunk_chars: int = option(200, "Chunks of a document shorter than this many characters are dropped.")
    max_chunks_per_document: int = option(16, "At most this many chunks of each document are compared (evenly spread).")
    top_k: int = option(3, "The aggregation feature 'top-k mean' averages the k highest chunk-pair logits.")
    documents_per_book: int = option(4, "calibrate-documents: excerpts cut from each validation book.")
    seed: int = option(0, "Seed for choosing calibration excerpts.")
    uncalibrated: bool = option(False, "Score with raw sigmoid(logit) and (cosine+1)/2 when no calibration exists (flagged in every output).")

    def validate(self) -> None:
        self.require_positive("batch_size", "chunk_size", "overlap", "max_chunks_per_document", "top_k", "documents_per_book")
        self.require_non_negative("min_chunk_chars")
        if self.overlap > self.chunk_size:
            self.fail("overlap", "is larger than chunk_size, so sentences between chunks would be skipped",
                      f"set overlap to at most chunk_size ({self.chunk_size})")
