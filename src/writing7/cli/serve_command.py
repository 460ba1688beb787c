"""``writing7 serve``: the HTTP service (FastAPI + uvicorn) and its web page at ``/``; ``writing7 ui`` opens the page."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import typer

from writing7.cli import app
from writing7.cli.common import user_errors

# The options `serve` and `ui` share, declared once.
MODEL = typer.Option(None, "--model", help="Model folder (default $WRITING7_ARTIFACTS/models/book_matcher_contrastive/final).")
INDEX = typer.Option(None, "--index", help="Search index folder (enables POST /v1/search and the page's search).")
CANDIDATES = typer.Option(None, "--candidates", help="Candidate authors for /v1/attribute and the page: DIR/AUTHOR/*.txt.")
PORT = typer.Option(None, "--port", help="TCP port (default 8000).")
API_KEY = typer.Option(None, "--api-key", help="Require this key (Authorization: Bearer KEY; the page asks for it); default env WRITING7_API_KEY.")
DEVICE = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N.")
CONFIG = typer.Option(None, "--config", help="TOML file; its [serve], [inference] and [search] tables set defaults.")


@app.command("serve")
@user_errors
def serve(
    model: Path = MODEL,
    index: Path = INDEX,
    teacher: Path = typer.Option(None, "--teacher", help="Cross-encoder teacher folder (enables rerank in /v1/search)."),
    host: str = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
    port: int = PORT,
    api_key: str = API_KEY,
    batching: bool = typer.Option(None, "--batching/--no-batching", help="Micro-batch concurrent requests (default on)."),
    max_batch_size: int = typer.Option(None, "--max-batch-size", help="Most pairs or texts in one forward."),
    max_wait_ms: float = typer.Option(None, "--max-wait-ms", help="How long a micro-batch waits for more requests."),
    uncalibrated: bool = typer.Option(None, "--uncalibrated", help="Serve without calibration files (flagged in every response); "
                                                                  "default [inference] uncalibrated."),
    device: str = DEVICE,
    precision: str = typer.Option(None, "--precision", help="auto, fp32, bf16 or int8 (default auto: bf16 where native, else int8 "
                                                            "on a CPU, each kept only when it matches fp32)."),
    config: Path = CONFIG,
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    body_timeout_s: float = typer.Option(None, "--body-timeout-s", help="Seconds a request body may stall before 408 (default 30)."),
    candidates: Path = CANDIDATES,
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Where attribution caches candidate profiles (default $WRITING7_CACHE or ~/.cache/writing7)."),
) -> None:
    """Serve score, style similarity, embed, search, compare and attribute over HTTP, and the web page at /.

    Threads waiting for the next batch sleep rather than spin (OMP_WAIT_POLICY=PASSIVE unless already set).
    """
    start(ServeOptions(model=model, index=index, teacher=teacher, host=host, port=port, api_key=api_key, batching=batching,
                       max_batch_size=max_batch_size, max_wait_ms=max_wait_ms, uncalibrated=uncalibrated, device=device, precision=precision,
                       config=config, log_level=log_level, body_timeout_s=body_timeout_s, candidates=candidates, cache_dir=cache_dir),
          open_browser=False)


@app.command("ui")
@user_errors
def ui(
    model: Path = MODEL, index: Path = INDEX, candidates: Path = CANDIDATES, port: int = PORT, api_key: str = API_KEY,
    device: str = DEVICE, config: Path = CONFIG,
) -> None:
    """Start the service on this machine and open its web page in the browser (`writing7 serve`, then the page)."""
    start(ServeOptions(model=model, index=index, candidates=candidates, port=port, api_key=api_key, device=device, config=config,
                       log_level="warning"), open_browser=True)


@dataclasses.dataclass
class ServeOptions:
    """The options of `serve` (`ui` sets a few and keeps the defaults of the rest)."""

    model: Path | None = None
    index: Path | None = None
    teacher: Path | None = None
    host: str | None = None
    port: int | None = None
    api_key: str | None = None
    batching: bool | None = None
    max_batch_size: int | None = None
    max_wait_ms: float | None = None
    uncalibrated: bool | None = None  # None: [inference] uncalibrated
    device: str | None = None
    precision: str | None = None
    config: Path | None = None
    log_level: str = "info"
    body_timeout_s: float | None = None
    candidates: Path | None = None
    cache_dir: Path | None = None


def start(options: ServeOptions, *, open_browser: bool) -> None:
    """Load everything (failing as one line before listening), then serve; announce the page once listening."""
    # Before PyTorch or ONNX Runtime starts a thread: threads waiting for the next batch sleep instead of spinning, which
    # would starve the event loop on the cores they share (bench/serve.py: README, "Precision"). A value set by the user stays.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from writing7 import artifacts
    from writing7.artifacts import ArtifactLayout
    from writing7.calibration.bundle import MatcherCalibration
    from writing7.config.index import SearchConfig
    from writing7.config.inference import InferenceConfig
    from writing7.config.serve import ServeConfig
    from writing7.serve.app import create_app
    from writing7.serve.server import run_server
    from writing7.user_text import require_folder

    config = options.config
    cfg = ServeConfig.load(config, host=options.host, port=options.port, batching=options.batching,
                           max_batch_size=options.max_batch_size, max_wait_ms=options.max_wait_ms, body_timeout_s=options.body_timeout_s)
    inference = InferenceConfig.load(config, precision=options.precision, uncalibrated=options.uncalibrated)
    model = require_folder(options.model or ArtifactLayout.from_env().bi_encoder, what="model",
                           fix="run `writing7 train` first, or pass --model with a trained model folder")
    if not inference.uncalibrated and not MatcherCalibration.exists(model):
        raise FileNotFoundError(f"no calibration in {model}: run `writing7 calibrate` first (or pass --uncalibrated)")
    if options.index is not None:
        require_folder(options.index, what="search index", fix="run `writing7 index --corpus DIR` first, or pass --index with an index folder")
    application = create_app(model, config=cfg, index_dir=options.index, teacher_dir=options.teacher, api_key=options.api_key,
                             inference=inference, search=SearchConfig.load(config),
                             device=options.device, candidates_dir=options.candidates, cache_dir=options.cache_dir or artifacts.cache_dir())
    application.state.service.load()  # a damaged model, index or candidates folder fails here, as one line, before anything listens
    address = f"http://{'127.0.0.1' if cfg.host in ('0.0.0.0', '::') else cfg.host}:{cfg.port}/"

    def announce() -> None:
        typer.echo(f"serving {model} on http://{cfg.host}:{cfg.port} (page at {address}, docs at /docs)")
        if open_browser:
            import webbrowser

            if not webbrowser.open(address):
                typer.echo(f"open {address} in a browser")

    run_server(application, host=cfg.host, port=cfg.port, log_level=options.log_level, on_listening=announce)
