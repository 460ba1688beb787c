"""Settings of `writing7 calibrate`: probability scaling, decision threshold, abstention band, style map."""

from __future__ import annotations

import dataclasses

from writing7.calibration.bundle import SCALERS
from writing7.calibration.threshold import TARGET_METRICS
from writing7.config.base import StageConfig, option
from writing7.inference.documents import ChunkingSettings
from writing7.models.scoring import ENCODE_BATCH_SIZE

DEFAULT_CHUNKING = ChunkingSettings()  # the passage settings' one definition (inference.documents)


@dataclasses.dataclass
class CalibrateConfig(StageConfig):
    """``[calibrate]``: fitted on the validation split, saved next to the model."""

    section = "calibrate"
    # platt by default: the pair head is trained with class-balanced BCE, so its logit 0 means a 50/50 prior, while the
    # validation tasks have other base rates (about 1/3 same-book, 1/5 same-author); temperature has no bias to reach them.
    method: str = option("platt", "Probability scaling of each logit: platt (sigmoid(a z + b), Platt 1999) or temperature (sigmoid(z / T)).")
    target_metric: str = option("accuracy", "The decision threshold maximises this on validation: accuracy, f1, c_at_1 or overall (PAN).")
    max_band_fraction: float = option(0.3, "The abstention band may cover at most about this fraction of validation pairs (0 = never abstain).")
    style_dev: str = option("", "Labelled JSONL (text1, text2, label = same author) for the style map; empty = validation same-author "
                                "vs different-author pairs.")
    style_prior_strength: float = option(2.0, "Pseudo-pairs at the base rate added to each isotonic block of the style map (keeps it off 0 and 1).")
    max_pairs: int = option(0, "Use at most this many validation pairs (seeded sample); 0 = all.")
    batch_size: int = option(ENCODE_BATCH_SIZE, "Texts per model forward when scoring validation pairs.")
    seed: int = option(0, "Seed for the max_pairs sample and the verdict's validation excerpts.")
    # The verdict (any length): passages, length bands, fused heads. Recorded in verdict.json, which inference reads.
    passage_sentences: int = option(DEFAULT_CHUNKING.chunk_size, "Sentences per passage when a long text is cut up (the passage length the pair head was trained on).")
    single_passage_words: int = option(DEFAULT_CHUNKING.single_passage_words, "A text of at most this many words is read as one passage.")
    min_chunk_chars: int = option(DEFAULT_CHUNKING.min_chunk_chars, "Passages of a long text shorter than this many characters are dropped.")
    max_chunks_per_document: int = option(DEFAULT_CHUNKING.max_chunks, "At most this many passages of each text, spread over all of it, are compared "
                                              "(work per pair grows with its square).")
    top_k: int = option(DEFAULT_CHUNKING.top_k, "The passage feature 'top-k mean' averages the k highest passage-pair logits.")
    verdict_pairs_per_kind: int = option(400, "Validation pairs per kind (same book, same author, different) and length to fit the verdict on.")
    fit_corpora: list = option([], "More corpus folders ({author}/{title}.txt) by authors outside the pair dataset: their books join "
                                   "the validation books to fit the verdict (never the test split). More unseen authors, steadier weights.")
    fit_corpora_lengths: list = option(["1000", "5000", "book"], "Suite lengths whose fitting pairs include the fit corpora (others "
                                        "use the validation split alone): 200, 1000, 5000, book. At 200 words they lowered test AUC.")
    verdict_max_books: int = option(120, "At most this many books (the validation split's first, then fit-corpus books) are cut "
                                         "into the verdict's fitting pairs: encoding time grows with it.")
    verdict_inverse_regularisation: float = option(1.0, "C of the fused heads' L2 logistic regressions (smaller = smoother weights).")

    def validate(self) -> None:
        self.require_choice("method", tuple(SCALERS))
        self.require_choice("target_metric", TARGET_METRICS)
        self.require_positive("batch_size", "style_prior_strength", "passage_sentences", "single_passage_words",
                              "max_chunks_per_document", "top_k", "verdict_pairs_per_kind", "verdict_max_books", "verdict_inverse_regularisation")
        self.require_non_negative("min_chunk_chars")
        unknown = [length for length in self.fit_corpora_lengths if length not in ("200", "1000", "5000", "book")]
        if unknown:
            self.fail("fit_corpora_lengths", f"has unknown length(s) {', '.join(map(str, unknown))}", "use some of: 200, 1000, 5000, book")
        self.require_non_negative("max_pairs")
        if not 0 <= self.max_band_fraction < 1:
            self.fail("max_band_fraction", "must be in [0, 1)", "set it to 0 (no abstention) or a fraction below 1, e.g. 0.3")
        if self.style_dev and not self.style_dev.endswith(".jsonl"):
            self.fail("style_dev", "is not a .jsonl file", "give a JSON-lines file with text1, text2 and label (1 = same author)")
