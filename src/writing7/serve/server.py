"""Running the service under uvicorn: bind first, announce only once listening, exit 0 on SIGTERM.

``writing7 serve`` loads the model, then calls :func:`run_server`, which

- binds the socket itself, so a port in use is one clear error before uvicorn starts;
- calls ``on_listening`` once uvicorn has started and the socket accepts connections (so a
  "serving on ..." line is never printed for a server that then fails to start);
- drains in-flight requests on SIGTERM (what ``docker stop``, systemd and Kubernetes send) and
  returns normally: uvicorn by itself re-raises the signal after draining, which ends the process
  with 143, as if it had been killed mid-request.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn


class Server(uvicorn.Server):
    """uvicorn's server with a start-up announcement and a clean SIGTERM."""

    def __init__(self, config: uvicorn.Config, *, on_listening: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self.on_listening()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and not self.should_exit:
            self.should_exit = True  # drain, then return: a requested stop is a success (a second SIGTERM is not)
            return
        super().handle_exit(sig, frame)


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (uvicorn starts listening on it); a one-line error when that is impossible."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ValueError(f"cannot listen on {host}:{port} ({error.strerror or error}): pass another --port or --host, "
                         "or stop what is using it") from None
    return listener


def run_server(app: Any, *, host: str, port: int, log_level: str, on_listening: Callable[[], None]) -> None:
    """Serve ``app`` on ``host:port`` until SIGINT (exits 130 through the CLI) or SIGTERM (returns)."""
    listener = bind_socket(host, port)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on")
    Server(config, on_listening=on_listening).run(sockets=[listener])
