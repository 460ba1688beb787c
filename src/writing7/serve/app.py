"""The HTTP service (FastAPI): score, style similarity, embed, search, compare, attribute, health, model card; the web page.

``create_app(model_dir, config=ServeConfig(...))`` returns the app; the model (and the index, when
given) is loaded once at start-up by the lifespan, and concurrent score / style-similarity / embed
requests are micro-batched (:mod:`writing7.serve.batching`). Every number the service returns is
what the Python API (:class:`writing7.inference.matcher.Matcher`) returns for the same input.
OpenAPI docs at ``/docs``; the web page (:mod:`writing7.serve.page`) at ``/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI

from writing7 import __version__
from writing7.config.index import SearchConfig
from writing7.config.inference import InferenceConfig
from writing7.config.serve import ServeConfig
from writing7.serve import schemas
from writing7.serve.batching import MicroBatcher
from writing7.serve.errors import ServiceError, install_error_handlers
from writing7.serve.limits import RequestBody, check_items, check_texts
from writing7.serve.model_card import model_card
from writing7.serve.page import add_page_routes
from writing7.serve.security import require_api_key, resolve_api_key

logger = logging.getLogger(__name__)
ERRORS = {status: {"model": schemas.ErrorResponse} for status in (401, 408, 413, 422)}


@dataclasses.dataclass
class ServiceSources:
    """What the service loads at start-up."""

    model_dir: Path
    index_dir: Path | None = None
    teacher_dir: Path | None = None
    reports_dir: Path | None = None
    device: str | None = None
    candidates_dir: Path | None = None
    cache_dir: Path | None = None


class Service:
    """The loaded matcher (and searcher) plus one micro-batcher per batched operation."""

    def __init__(self, sources: ServiceSources, config: ServeConfig, inference: InferenceConfig, search: SearchConfig) -> None:
        self.sources, self.config, self.inference, self.search_config = sources, config, inference, search
        self.matcher: Any = None
        self.searcher: Any = None
        self.attributor: Any = None
        self.candidates: dict[str, list[str]] = {}
        self.batchers: dict[str, MicroBatcher] = {}

    def load(self) -> None:
        from writing7.inference.matcher import Matcher
        from writing7.inference.search import Searcher

        self.matcher = Matcher.load(self.sources.model_dir, device=self.sources.device, config=self.inference.matcher_settings())
        if self.sources.index_dir is not None:
            self.searcher = Searcher.load(self.sources.index_dir, self.matcher, teacher_dir=self.sources.teacher_dir,
                                          config=self.search_config.search_settings())
        self._load_attribution()
        operations = {"score": self.matcher.score_batch, "style": self.matcher.style_similarity_batch,
                      "embed": lambda texts: list(self.matcher.embed(texts))}
        self.batchers = {name: MicroBatcher(function, max_batch_size=self.config.max_batch_size, max_wait_ms=self.config.max_wait_ms,
                                            enabled=self.config.batching, name=name) for name, function in operations.items()}

    def _load_attribution(self) -> None:
        """The attributor when the model has ``attribution.json``; the ``--candidates`` folder read and its texts represented."""
        from writing7.inference.attribution import AttributionCalibration, Attributor
        from writing7.user_text import read_candidate_folder

        if self.sources.candidates_dir is not None:
            self.candidates = read_candidate_folder(self.sources.candidates_dir, max_bytes=self.inference.max_text_bytes)
        if not self.matcher.calibrated or not AttributionCalibration.exists(self.sources.model_dir):
            if self.candidates:
                raise FileNotFoundError(f"{self.sources.model_dir} has no attribution.json: run `writing7 calibrate-attribution "
                                        "--corpus DIR` first, or start without --candidates")
            return
        self.attributor = Attributor.load(self.matcher, cache_dir=self.sources.cache_dir)
        if self.candidates:
            self.attributor.cache.get([text for texts in self.candidates.values() for text in texts])  # the first query costs only itself
            logger.info("attribution: %d candidate authors from %s", len(self.candidates), self.sources.candidates_dir)

    @property
    def loaded(self) -> bool:
        return self.matcher is not None

    async def start(self) -> None:
        """Load (unless ``writing7 serve`` already did, to fail before listening) and start the micro-batchers."""
        if not self.loaded:
            await asyncio.to_thread(self.load)
        for batcher in self.batchers.values():
            await batcher.start()
        logger.info("serving %s (batching %s, max batch %d)", self.sources.model_dir,
                    "on" if self.config.batching else "off", self.config.max_batch_size)

    async def stop(self) -> None:
        for batcher in self.batchers.values():
            await batcher.stop()


def create_app(model_dir: Path, *, config: ServeConfig | None = None, index_dir: Path | None = None, teacher_dir: Path | None = None,
               api_key: str | None = None, uncalibrated: bool | None = None, inference: InferenceConfig | None = None,
               search: SearchConfig | None = None, reports_dir: Path | None = None, device: str | None = None,
               candidates_dir: Path | None = None, cache_dir: Path | None = None) -> FastAPI:
    """The service app; nothing is loaded until start-up (``with TestClient(app)`` or uvicorn).

    ``candidates_dir`` (``DIR/AUTHOR/*.txt``): the candidate authors ``/v1/attribute`` uses when a request names none;
    ``cache_dir``: where attribution caches candidate representations on disk (default: memory only).
    ``uncalibrated``: overrides ``inference.uncalibrated`` when not None (the service reads the mode from there only).
    """
    config = config or ServeConfig()
    sources = ServiceSources(Path(model_dir), index_dir and Path(index_dir), teacher_dir and Path(teacher_dir),
                             reports_dir and Path(reports_dir), device, candidates_dir and Path(candidates_dir),
                             cache_dir and Path(cache_dir))
    inference = inference or InferenceConfig()
    if uncalibrated is not None:
        inference = dataclasses.replace(inference, uncalibrated=uncalibrated)
    service = Service(sources, config, inference, search or SearchConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="Writing7", version=__version__, lifespan=lifespan,
                  description="Same book? Same author? How close is the style? Calibrated scores for passages of prose.")
    app.state.service = service
    app.state.api_key = resolve_api_key(api_key)
    app.add_middleware(RequestBody, max_bytes=config.max_body_bytes, timeout_s=config.body_timeout_s)
    install_error_handlers(app)
    _add_routes(app, service)
    _add_attribution_routes(app, service)
    add_page_routes(app)
    return app


def _add_routes(app: FastAPI, service: Service) -> None:
    config = service.config
    guarded = {"dependencies": [Depends(require_api_key)], "responses": ERRORS}

    def texts_ok(texts: list[str], field: str) -> None:
        check_texts(texts, limit=config.max_text_characters, field=field, setting="max_text_characters")

    def documents_ok(texts: list[str], field: str) -> None:
        """Texts the verdict reads whole (score, compare): any length up to ``max_document_characters``."""
        check_texts(texts, limit=config.max_document_characters, field=field, setting="max_document_characters")

    @app.get("/healthz", response_model=schemas.HealthResponse, tags=["service"])
    async def health() -> dict[str, Any]:
        """Liveness and readiness (no API key needed)."""
        return {"status": "ok" if service.matcher is not None else "loading",
                "model_loaded": service.matcher is not None, "index_loaded": service.searcher is not None}

    @app.get("/v1/model", tags=["service"], **guarded)
    async def model() -> dict[str, Any]:
        """Model card: base model, training summary, calibration, evaluation metrics, batching statistics."""
        card = model_card(service.matcher, reports_dir=service.sources.reports_dir,
                          index=service.searcher.index if service.searcher else None)
        card["batching"] = {name: batcher.stats() for name, batcher in service.batchers.items()}
        return card

    @app.post("/v1/score", response_model=schemas.ExplainedScoreResponse | schemas.ScoreResponse, tags=["pairs"], **guarded)
    async def score(body: schemas.ScoreRequest) -> dict[str, Any]:
        """Calibrated same-book and same-author probabilities, decision and abstention for two texts of any length.

        ``"explain": true`` adds ``explanation`` (:meth:`Matcher.explain`): each feature's contribution to each logit, the evidence.
        """
        documents_ok([body.text1, body.text2], "text")
        if body.explain:
            explainable_or_409()
            return await asyncio.to_thread(service.matcher.explain, body.text1, body.text2)
        return (await service.batchers["score"].submit([(body.text1, body.text2)]))[0]

    @app.post("/v1/score/batch", response_model=schemas.BatchScoreResponse, tags=["pairs"], **guarded)
    async def score_batch(body: schemas.BatchScoreRequest) -> dict[str, Any]:
        """:func:`score` for many pairs in one request."""
        check_items(len(body.pairs), limit=config.max_batch_items, field="pairs")
        documents_ok([text for pair in body.pairs for text in (pair.text1, pair.text2)], "pairs.text")
        return {"results": await service.batchers["score"].submit([(pair.text1, pair.text2) for pair in body.pairs])}

    @app.post("/v1/style-similarity", response_model=schemas.StyleSimilarityResponse, tags=["pairs"], **guarded)
    async def style_similarity(body: schemas.PairRequest) -> dict[str, Any]:
        """Calibrated style similarity in [0, 1]."""
        documents_ok([body.text1, body.text2], "text")
        value = (await service.batchers["style"].submit([(body.text1, body.text2)]))[0]
        return {"style_similarity": value, "calibrated": service.matcher.calibrated}

    @app.post("/v1/embed", response_model=schemas.EmbedResponse, tags=["pairs"], **guarded)
    async def embed(body: schemas.EmbedRequest) -> dict[str, Any]:
        """L2-normalised embeddings."""
        check_items(len(body.texts), limit=config.max_batch_items, field="texts")
        texts_ok(body.texts, "texts")
        vectors = await service.batchers["embed"].submit(body.texts)
        return {"embeddings": [vector.tolist() for vector in vectors], "dimension": int(len(vectors[0]))}

    @app.post("/v1/search", response_model=schemas.SearchResponse, tags=["search"], **guarded)
    async def search(body: schemas.SearchRequest) -> dict[str, Any]:
        """Which indexed book does this passage most likely come from (bi-encoder prefilter, optional rerank)?"""
        if service.searcher is None:
            raise ServiceError(409, "no_index", "this service has no index: start it with `writing7 serve --index DIR`")
        texts_ok([body.text], "text")
        results = await asyncio.to_thread(service.searcher.search, body.text, top_k=body.top_k, rerank=body.rerank)
        return {"results": results}

    @app.post("/v1/compare", response_model=schemas.ExplainedCompareResponse | schemas.CompareResponse, tags=["documents"], **guarded)
    async def compare(body: schemas.CompareRequest) -> dict[str, Any]:
        """:func:`score` of two documents plus every input of the verdict (``features``); ``"explain": true`` adds ``explanation``."""
        documents_ok([body.document1, body.document2], "document")
        if body.explain:
            explainable_or_409()
        return await asyncio.to_thread(service.matcher.compare_documents, body.document1, body.document2, explain=body.explain)

    def explainable_or_409() -> None:
        if not service.matcher.calibrated:
            raise ServiceError(409, "uncalibrated", "explanations need the calibrated verdict: start the service without --uncalibrated")


def _add_attribution_routes(app: FastAPI, service: Service) -> None:
    config = service.config
    guarded = {"dependencies": [Depends(require_api_key)], "responses": {**ERRORS, 409: {"model": schemas.ErrorResponse}}}

    @app.get("/v1/candidates", response_model=schemas.CandidatesResponse, tags=["attribution"], **guarded)
    async def candidates() -> dict[str, Any]:
        """The candidate authors configured at start-up (``--candidates DIR``), and whether attribution is available."""
        rows = [{"author": author, "texts": len(texts), "words": sum(len(text.split()) for text in texts)}
                for author, texts in service.candidates.items()]
        return {"candidates": rows, "attribution": service.attributor is not None}

    @app.post("/v1/attribute", response_model=schemas.AttributeResponse, tags=["attribution"], **guarded)
    async def attribute(body: schemas.AttributeRequest) -> dict[str, Any]:
        """Which candidate author wrote the text, if any: calibrated probabilities per candidate and for "none of these"."""
        if service.attributor is None:
            raise ServiceError(409, "no_attribution", "this model has no attribution calibration: run "
                                                      "`writing7 calibrate-attribution --corpus DIR` and restart the service")
        known = body.candidates if body.candidates is not None else service.candidates
        if not known:
            raise ServiceError(422, "no_candidates", "no candidate authors: send \"candidates\": {author: [text, ...]} "
                                                     "or start the service with --candidates DIR")
        check_items(sum(len(texts) for texts in known.values()), limit=config.max_batch_items, field="candidates")
        for field, texts in (("text", [body.text]), ("candidates", [text for texts in known.values() for text in texts])):
            check_texts(texts, limit=config.max_document_characters, field=field, setting="max_document_characters")
        return await asyncio.to_thread(service.attributor.attribute, body.text, known, top_k=body.top_k)
