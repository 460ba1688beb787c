"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1: replies, retries, timeouts, secrets."""

from __future__ import annotations

import logging
import random
import traceback

import pytest
from bench_llm_server import chat_server

from writing7.bench_style.backends import GenerationSettings
from writing7.bench_style.backends.openai_compatible import (
    LLMRequestError,
    OpenAICompatibleGenerator,
    RateLimiter,
    RetryPolicy,
    api_key_from_environment,
    chat_completions_url,
    parse_retry_after,
)

SECRET = "sk-test-SECRET-0123456789abcdef"
MESSAGES = [{"role": "system", "content": "You write prose."}, {"role": "user", "content": "Write about the sea."}]
FAST_RETRY = RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.05)


def generator(base_url: str, **options) -> OpenAICompatibleGenerator:
    defaults = dict(model="test-model", settings=GenerationSettings(max_new_tokens=50), api_key=SECRET,
                    timeout_s=5.0, retry=FAST_RETRY, requests_per_second=100.0)
    return OpenAICompatibleGenerator(base_url=base_url, **{**defaults, **options})


def test_reply_text_and_request_format() -> None:
    with chat_server([("text", "  The sea was grey.  ")]) as server:
        text = generator(server.base_url).generate(MESSAGES, seed=7)
    assert text == "The sea was grey."
    (request,) = server.requests
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.body == {"model": "test-model", "messages": MESSAGES, "max_tokens": 50,
                            "temperature": 0.8, "top_p": 0.95, "seed": 7}


def test_no_key_sends_no_authorization_header() -> None:
    with chat_server([("text", "fine")]) as server:
        assert generator(server.base_url, api_key=None).generate(MESSAGES, seed=0) == "fine"
    assert "Authorization" not in server.requests[0].headers


def test_server_errors_are_retried_until_success() -> None:
    with chat_server([("status", 500), ("status", 503), ("text", "third time")]) as server:
        assert generator(server.base_url).generate(MESSAGES, seed=0) == "third time"
    assert len(server.requests) == 3


def test_retry_after_is_honoured() -> None:
    policy = RetryPolicy(max_retries=1, backoff_base_s=0.0, backoff_max_s=5.0)
    with chat_server([("retry_after", "1"), ("text", "after the wait")]) as server:
        assert generator(server.base_url, retry=policy).generate(MESSAGES, seed=0) == "after the wait"
    first, second = server.requests
    assert second.arrived - first.arrived >= 0.95  # the server asked for 1 s; backoff alone would be 0 s


def test_slow_response_times_out_and_is_retried() -> None:
    with chat_server([("slow", 1.0), ("text", "quick")]) as server:
        assert generator(server.base_url, timeout_s=0.3).generate(MESSAGES, seed=0) == "quick"
    assert len(server.requests) == 2


def test_gives_up_after_max_retries() -> None:
    with chat_server([("status", 502)]) as server:
        with pytest.raises(LLMRequestError, match=r"HTTP 502 .* gave up after 3 attempts"):
            generator(server.base_url).generate(MESSAGES, seed=0)
    assert len(server.requests) == 3


def test_timeouts_give_up_with_a_clear_message() -> None:
    with chat_server([("slow", 1.0)]) as server:
        with pytest.raises(LLMRequestError, match=r"timeout \(ReadTimeout\) .* gave up after 2 attempts"):
            generator(server.base_url, timeout_s=0.2, retry=RetryPolicy(1, 0.01, 0.01)).generate(MESSAGES, seed=0)


def test_client_errors_are_not_retried() -> None:
    with chat_server([("status", 400)]) as server:
        with pytest.raises(LLMRequestError, match=r"HTTP 400: .*scripted status 400"):
            generator(server.base_url).generate(MESSAGES, seed=0)
    assert len(server.requests) == 1


def test_api_key_never_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with chat_server([("status", 500), ("echo_auth", 401)]) as server:
        with pytest.raises(LLMRequestError) as raised:
            generator(server.base_url).generate(MESSAGES, seed=0)
    message = str(raised.value)
    assert "HTTP 401" in message and "[redacted]" in message and "WRITING7_LLM_API_KEY" in message
    assert SECRET not in "".join(traceback.format_exception(raised.value))
    assert caplog.records and SECRET not in caplog.text


def test_malformed_reply_is_reported() -> None:
    with chat_server([("text", "")]) as server:
        with pytest.raises(LLMRequestError, match="empty completion"):
            generator(server.base_url).generate(MESSAGES, seed=0)


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WRITING7_LLM_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert api_key_from_environment() is None
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai")
    assert api_key_from_environment() == "from-openai"
    monkeypatch.setenv("WRITING7_LLM_API_KEY", "from-writing7")
    assert api_key_from_environment() == "from-writing7"


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_retry_delays() -> None:
    policy, rng = RetryPolicy(max_retries=5, backoff_base_s=1.0, backoff_max_s=6.0), random.Random(0)
    assert policy.delay(0, 2.5, rng) == 2.5 and policy.delay(0, 60.0, rng) == 6.0
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 6.0), (8, 6.0)]:
        assert ceiling / 2 <= policy.delay(attempt, None, rng) <= ceiling


def test_rate_limiter_spaces_requests() -> None:
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.25, 0.25]
    now[0] += 10.0
    limiter.wait()
    assert slept == [0.25, 0.25]  # an idle limiter lets the next request through at once


def test_url_and_argument_checks() -> None:
    assert chat_completions_url("http://h/v1/") == "http://h/v1/chat/completions"
    assert chat_completions_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    with pytest.raises(ValueError, match="not http"):
        OpenAICompatibleGenerator(base_url="ftp://h", model="m")
    with pytest.raises(ValueError, match="--llm-model"):
        OpenAICompatibleGenerator(base_url="http://h", model="")
    with pytest.raises(ValueError, match="requests_per_second"):
        RateLimiter(0)
