"""Settings for the HTTP service: address, micro-batching and input limits."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option


@dataclasses.dataclass
class ServeConfig(StageConfig):
    """``[serve]``: ``writing7 serve``. The API key is never read from a config file (``--api-key`` or env ``WRITING7_API_KEY``)."""

    section = "serve"
    host: str = option("127.0.0.1", "Address to listen on (0.0.0.0 exposes the service to the network).")
    port: int = option(8000, "TCP port.")
    batching: bool = option(True, "Micro-batch concurrent requests into one forward (off: one forward per request, in parallel "
                                  "threads). Pays off where a bigger batch costs little more (GPU); on a small CPU the forward is "
                                  "compute-bound and bench/serve.py measured no gain.")
    max_batch_size: int = option(64, "Most pairs or texts in one micro-batched forward.")
    max_wait_ms: float = option(5.0, "How long the first request of a micro-batch waits for others (milliseconds).")
    max_text_characters: int = option(20_000, "Longest text accepted by embed and search (413 above).")
    max_document_characters: int = option(2_000_000, "Longest text accepted by score, score/batch, style-similarity and compare (413 above); they read texts whole.")
    max_batch_items: int = option(256, "Most pairs or texts in one request (413 above).")
    max_body_bytes: int = option(16_000_000, "Largest request body (413 above).")
    body_timeout_s: float = option(30.0, "Seconds a request body may stall (no bytes arriving) before the request is answered "
                                         "408; a client that declares a body and never sends it would otherwise hold a worker forever.")

    def validate(self) -> None:
        self.require_positive("port", "max_batch_size", "max_text_characters", "max_document_characters",
                              "max_batch_items", "max_body_bytes", "body_timeout_s")
        self.require_non_negative("max_wait_ms")
        if self.port > 65535:
            self.fail("port", "is not a TCP port", "use a number between 1 and 65535")
