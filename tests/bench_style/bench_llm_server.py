"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions format, for backend tests.

Each POST to ``/v1/chat/completions`` takes the next step of a script (the last step repeats):

* ``("text", "...")``         200 with the text as ``choices[0].message.content``;
* ``("status", 500)``         that status with a JSON error body;
* ``("retry_after", "1")``    429 with that ``Retry-After`` header;
* ``("slow", 1.0)``           sleep that many seconds, then a normal reply (past a short client timeout);
* ``("imitate", None)``       a stand-in LLM: copies the excerpt quoted in the prompt (a perfect
                              "imitation"), or one of :data:`NEUTRAL_TEXTS` chosen by the request's seed;
* ``("echo_auth", 401)``      that status with the request's ``Authorization`` header in the body,
                              like a careless server would (the client must not repeat it).

Every request is recorded (arrival time, headers, JSON body) for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Step = tuple[str, Any]

NEUTRAL_TEXTS = (
    "The rain had not stopped for three days, and the road into the village was a river of brown mud. "
    "Nobody at the inn expected a traveller, so when the door opened the landlord put down his glass and stared.",
    "She read the letter twice before she understood it, and then she sat very still by the window while the "
    "kettle boiled over behind her. Everything they had planned for the summer would have to change.",
    "The harbour was quiet in the grey light. A few gulls walked along the wall, and an old man mended a net "
    "without looking up, as if ships came and went without any help from him.",
)


@dataclass
class RecordedRequest:
    arrived: float
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ChatServer:
    script: list[Step]
    requests: list[RecordedRequest] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next_step(self) -> Step:
        return self.script[min(len(self.requests) - 1, len(self.script) - 1)]


def _completion(text: str, model: str) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}


def _imitation(body: dict[str, Any]) -> str:
    prompt = body["messages"][-1]["content"]
    if '"""' in prompt:
        return prompt.split('"""')[1].strip()
    return NEUTRAL_TEXTS[body.get("seed", 0) % len(NEUTRAL_TEXTS)]


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(RecordedRequest(time.monotonic(), dict(self.headers.items()), body))
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            kind, value = server.next_step()
            model = body.get("model", "")
            if kind == "text":
                self._send(200, _completion(value, model))
            elif kind == "status":
                self._send(value, {"error": {"message": f"scripted status {value}"}})
            elif kind == "retry_after":
                self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": value})
            elif kind == "slow":
                time.sleep(value)
                self._send(200, _completion("a slow reply", model))
            elif kind == "imitate":
                self._send(200, _completion(_imitation(body), model))
            elif kind == "echo_auth":
                self._send(value, {"error": {"message": f"bad credentials: {self.headers.get('Authorization')}"}})

    return Handler


@contextmanager
def chat_server(script: list[Step]) -> Iterator[ChatServer]:
    """Serve ``script`` on a free port of 127.0.0.1 for the duration of the block."""
    state = ChatServer(script)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
