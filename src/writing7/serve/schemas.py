"""Request and response bodies of the HTTP service (they become its OpenAPI schema at ``/docs``).

Text lengths and item counts are *not* limited here: the limits are service settings, checked by
:mod:`writing7.serve.limits`, so that an oversized request gets 413 with a clear message rather
than a generic validation error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairRequest(Strict):
    text1: str = Field(..., description="First passage.", examples=["It was a dark and stormy night; the rain fell in torrents."])
    text2: str = Field(..., description="Second passage.", examples=["The wind swept up the streets, rattling along the housetops."])


class ScoreRequest(PairRequest):
    explain: bool = Field(False, description="Also return the explanation: each feature's contribution to each logit, and the evidence.")


class BatchScoreRequest(Strict):
    pairs: list[PairRequest] = Field(..., description="Passage pairs, scored in one batch.")


class ScoreResponse(BaseModel):
    p_same_book: float = Field(..., description="Calibrated probability that both passages come from one book.")
    p_same_author: float = Field(..., description="Calibrated probability that both passages share an author.")
    decision: bool | None = Field(..., description="Same book? null when abstaining.")
    abstained: bool = Field(..., description="True when p_same_book lies in the calibrated abstention band.")
    author_decision: bool | None = Field(..., description="Same author? null when abstaining.")
    author_abstained: bool
    pan_book: float = Field(..., description="PAN answer for same book (0.5 = undecided).")
    pan_author: float = Field(..., description="PAN answer for same author (0.5 = undecided).")
    style_similarity: float = Field(..., ge=0.0, le=1.0, description="Calibrated style similarity in [0, 1].")
    words: list[int] = Field(..., description="Words of text1 and text2: each text is read whole (passages spread over all of it).")
    passages: list[int] = Field(..., description="Passages of text1 and text2 that were compared (every pair of them).")
    length_band: str = Field(..., description="The verdict head used: passage, excerpt, chapter or book (by the shorter text).")
    too_short: bool = Field(..., description="True when the shorter text is shorter than every text the verdict was fitted on: "
                                             "both tasks abstain with probability 0.5.")
    calibrated: bool = Field(..., description="False only when the service runs in the explicit uncalibrated mode.")


EXPLANATION = ("Per task (book, author): the length band, bias, logit (= bias + the sum of the contributions), probability, "
               "threshold, abstention interval and each feature's value and contribution, largest first; and the evidence: "
               "shared rare words, shared names, the most similar character 4-grams, function-word differences (A vs B).")


class ExplainedScoreResponse(ScoreResponse):
    explanation: dict[str, Any] = Field(..., description=EXPLANATION)


class BatchScoreResponse(BaseModel):
    results: list[ScoreResponse]


class StyleSimilarityResponse(BaseModel):
    style_similarity: float = Field(..., ge=0.0, le=1.0, description="Calibrated style similarity in [0, 1].")
    calibrated: bool


class EmbedRequest(Strict):
    texts: list[str] = Field(..., description="Passages to embed.")


class EmbedResponse(BaseModel):
    embeddings: list[list[float]] = Field(..., description="One L2-normalised vector per text.")
    dimension: int


class SearchRequest(Strict):
    text: str = Field(..., description="The passage to attribute.")
    top_k: int | None = Field(None, ge=1, le=100, description="Books returned (default: the service's setting).")
    rerank: bool = Field(False, description="Rerank candidates with the cross-encoder teacher (service needs --teacher).")


class SearchHit(BaseModel):
    rank: int
    book_id: str
    author: str
    title: str
    probability: float = Field(..., description="Calibrated same-book probability of the passage and the book's best chunk.")
    p_same_author: float
    score: float = Field(..., description="Bi-encoder prefilter score.")
    centroid_similarity: float
    chunk_similarity: float
    rerank_score: float | None = Field(None, description="Cross-encoder logit when reranked.")
    best_chunk: dict[str, int]
    calibrated: bool


class SearchResponse(BaseModel):
    results: list[SearchHit]


class CompareRequest(Strict):
    document1: str = Field(..., description="First document (any length up to the service limit).")
    document2: str = Field(..., description="Second document.")
    explain: bool = Field(False, description="Also return the explanation (see /v1/score).")


class CompareResponse(ScoreResponse):
    features: dict[str, float] = Field(..., description="Every input of the verdict: passage-pair and whole-text stylometric features.")


class ExplainedCompareResponse(CompareResponse):
    explanation: dict[str, Any] = Field(..., description=EXPLANATION)


class AttributeRequest(Strict):
    text: str = Field(..., description="The text to attribute (any length).")
    candidates: dict[str, list[str]] | None = Field(
        None, description="Candidate authors and their known writings ({author: [text, ...]}); omitted: the service's --candidates.")
    top_k: int | None = Field(None, ge=1, le=1000, description="Return only the best top_k candidates (probabilities stay over all).")


class AttributionCandidate(BaseModel):
    author: str
    probability: float = Field(..., description="Calibrated probability that this candidate wrote the text.")
    score: float = Field(..., description="The aggregated same-author logit of the text and the author's known writings.")
    texts: int = Field(..., description="Known writings of this author that were compared.")


class AttributeResponse(BaseModel):
    candidates: list[AttributionCandidate] = Field(..., description="Best first.")
    none_of_these: float = Field(..., description="Calibrated probability that none of the candidates wrote the text.")
    words: int
    length_band: str
    aggregation: str
    calibrated: bool


class CandidateSummary(BaseModel):
    author: str
    texts: int
    words: int


class CandidatesResponse(BaseModel):
    candidates: list[CandidateSummary] = Field(..., description="The authors configured with `writing7 serve --candidates DIR`.")
    attribution: bool = Field(..., description="True when the model has an attribution calibration (POST /v1/attribute works).")


class HealthResponse(BaseModel):
    status: str
    model_loaded: bool
    index_loaded: bool


class ErrorBody(BaseModel):
    type: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


ModelCard = dict[str, Any]
