"""Chat completions from any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama, ...).

``POST {base_url}/chat/completions`` with ``{"model", "messages", "max_tokens", "temperature",
"top_p", "seed"}``; the reply text is ``choices[0].message.content``.

* The API key comes from ``WRITING7_LLM_API_KEY`` (or ``OPENAI_API_KEY``) and travels only in the
  ``Authorization`` header: it is never logged, and any server text quoted in an error is redacted,
  in case the server echoes the request back.
* Requests are spaced by a client-side rate limit (``requests_per_second``).
* 429, 5xx, timeouts and connection errors are retried with exponential backoff and jitter, waiting
  what ``Retry-After`` asks for when the server sends it; other 4xx fail at once (retrying a bad
  request or a wrong key cannot help).
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from writing7.bench_style.backends import GenerationSettings, Message
from writing7.errors import UserFacingError

logger = logging.getLogger(__name__)

API_KEY_VARIABLES = ("WRITING7_LLM_API_KEY", "OPENAI_API_KEY")
RETRYABLE_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))
_QUOTED_BODY_CHARS = 300


class LLMRequestError(UserFacingError):
    """The endpoint refused or failed the request; the message says why and never holds the API key."""


def api_key_from_environment() -> str | None:
    """The first non-empty variable of :data:`API_KEY_VARIABLES`; ``None`` for endpoints that need no key."""
    for name in API_KEY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait: attempt ``n`` (0-based) waits ``min(max_s, base_s * 2**n)``
    scaled by a uniform jitter in [0.5, 1], or exactly ``Retry-After`` (capped at ``max_s``) when given."""

    max_retries: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s)
        return min(self.backoff_max_s, self.backoff_base_s * 2**attempt) * rng.uniform(0.5, 1.0)


class RateLimiter:
    """Spaces request starts at least ``1 / requests_per_second`` apart (thread-safe)."""

    def __init__(self, requests_per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if requests_per_second <= 0:
            raise ValueError(f"requests_per_second={requests_per_second}: must be > 0; e.g. 1 for one request a second")
        self.interval = 1.0 / requests_per_second
        self._clock, self._sleep = clock, sleep
        self._next_start = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            self._sleep(start - now)


@dataclasses.dataclass(frozen=True)
class _Attempt:
    """The outcome of one request: a reply, or why it failed and how long the server asked us to wait."""

    reply: dict[str, Any] | None = None
    failure: str = ""
    retry_after: float | None = None


def chat_completions_url(base_url: str) -> str:
    """``.../v1`` -> ``.../v1/chat/completions``; a URL that already ends so is kept."""
    base = base_url.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


class OpenAICompatibleGenerator:
    """A :class:`~writing7.bench_style.backends.TextGenerator` over HTTP (sync httpx client)."""

    def __init__(self, *, base_url: str, model: str, settings: GenerationSettings = GenerationSettings(),
                 api_key: str | None = None, timeout_s: float = 60.0, retry: RetryPolicy = RetryPolicy(),
                 requests_per_second: float = 1.0, seed: int = 0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"LLM base URL {base_url!r} is not http(s); pass e.g. --llm-base-url https://api.openai.com/v1")
        if not model:
            raise ValueError("no LLM model name; pass --llm-model (e.g. gpt-4o-mini)")
        self.url, self.model, self.settings, self.retry = chat_completions_url(base_url), model, settings, retry
        self._api_key = api_key
        self._limiter = RateLimiter(requests_per_second)
        self._rng = random.Random(seed)  # jitter only; seeded so that test timings are reproducible
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s))

    @property
    def description(self) -> str:
        return f"openai-compatible {self.model} at {self.url}"

    def close(self) -> None:
        self._client.close()

    def generate(self, messages: Sequence[Message], *, seed: int) -> str:
        payload = {
            "model": self.model, "messages": list(messages), "max_tokens": self.settings.max_new_tokens,
            "temperature": self.settings.temperature, "top_p": self.settings.top_p, "seed": seed,
        }
        return self._reply_text(self._post_with_retries(payload))

    def _post_with_retries(self, payload: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            self._limiter.wait()
            outcome = self._post_once(payload)
            if outcome.reply is not None:
                return outcome.reply
            if attempt == self.retry.max_retries:
                raise LLMRequestError(f"{outcome.failure} from {self.url}; gave up after {attempt + 1} attempts: "
                                      "check the endpoint, or raise the timeout / max_retries")
            delay = self.retry.delay(attempt, outcome.retry_after, self._rng)
            logger.warning("LLM request failed (%s), retry %d/%d in %.1f s",
                           outcome.failure, attempt + 1, self.retry.max_retries, delay)
            time.sleep(delay)
            attempt += 1

    def _post_once(self, payload: dict[str, Any]) -> _Attempt:
        """One request: the decoded reply, or a retryable failure; a permanent failure raises."""
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.TimeoutException as error:
            return _Attempt(failure=f"timeout ({type(error).__name__})")
        except httpx.TransportError as error:
            return _Attempt(failure=f"connection error ({type(error).__name__})")
        if response.status_code in RETRYABLE_STATUS:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return _Attempt(failure=f"HTTP {response.status_code}", retry_after=retry_after)
        if response.status_code >= 400:
            raise LLMRequestError(self._status_message(response))
        try:
            return _Attempt(reply=response.json())
        except ValueError:
            raise LLMRequestError(f"{self.url} answered HTTP {response.status_code} with non-JSON text "
                                  f"{self._quote(response.text)}; check that --llm-base-url points at the API root") from None

    def _status_message(self, response: httpx.Response) -> str:
        hint = {401: "set WRITING7_LLM_API_KEY (or OPENAI_API_KEY) to a valid key",
                403: "the key may lack access to this model", 404: "check --llm-base-url and --llm-model"}
        fix = hint.get(response.status_code, "check the request settings")
        return f"{self.url} answered HTTP {response.status_code}: {self._quote(response.text)}; {fix}"

    def _reply_text(self, reply: dict[str, Any]) -> str:
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LLMRequestError(f"{self.url} sent a reply without choices[0].message.content: "
                                  f"{self._quote(str(reply))}; is this an OpenAI-compatible endpoint?") from None
        if not isinstance(content, str) or not content.strip():
            raise LLMRequestError(f"{self.url} sent an empty completion; try a larger max_new_tokens or another model")
        return content.strip()

    def _quote(self, text: str) -> str:
        """Server text shortened and with the API key blanked, safe for messages and logs."""
        short = text[:_QUOTED_BODY_CHARS] + ("..." if len(text) > _QUOTED_BODY_CHARS else "")
        return repr(short.replace(self._api_key, "[redacted]") if self._api_key else short)
