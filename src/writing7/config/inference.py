"""Settings for scoring with a trained matcher: batching, the work cap per pair, the text size limit."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option
from writing7.inference.settings import MatcherSettings
from writing7.models.precisions import INFERENCE_PRECISIONS
PRECISION_HELP = ("auto (bf16 where the hardware runs it natively, else int8 on a CPU; kept only when it matches fp32 on the first texts), "
                  "fp32, bf16 (autocast) or int8 (the encoder's Linear layers dynamically quantized at load; CPU only).")


@dataclasses.dataclass
class InferenceConfig(StageConfig):
    """``[inference]``: used by ``score``, ``score-pairs``, ``compare`` and the service."""

    section = "inference"
    batch_size: int = option(MatcherSettings.batch_size, "Passages per model forward.")
    precision: str = option(MatcherSettings.precision, PRECISION_HELP)
    max_chunks_per_document: int = option(MatcherSettings.max_chunks_per_document, "Read at most this many passages of each text (spread over all of it); "
                                             "0 = as many as the verdict was fitted with (calibrate's max_chunks_per_document).")
    block_pairs: int = option(256, "score-pairs scores this many pairs at a time, so memory stays bounded however long the file.")
    uncalibrated: bool = option(MatcherSettings.uncalibrated, "Score with raw sigmoid(mean passage logit) and (cosine+1)/2 when no verdict exists (flagged in every output).")
    max_text_bytes: int = option(20_000_000, "Largest text file score and compare read; a larger one is refused before it is read "
                                             "(a 50 MB text took minutes and GBs of memory to score).")

    def validate(self) -> None:
        self.require_positive("batch_size", "block_pairs", "max_text_bytes")
        self.require_non_negative("max_chunks_per_document")
        self.require_choice("precision", INFERENCE_PRECISIONS)

    def matcher_settings(self) -> MatcherSettings:
        """What a :class:`~writing7.inference.matcher.Matcher` reads of this table."""
        return MatcherSettings(self.batch_size, self.precision, self.max_chunks_per_document, self.uncalibrated)
