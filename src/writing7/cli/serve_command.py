"""``writing7 serve``: the HTTP service (FastAPI + uvicorn); OpenAPI docs at ``/docs``."""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.cli import app
from writing7.cli.common import user_errors


@app.command("serve")
@user_errors
def serve(
    model: Path = typer.Option(None, "--model", help="Model folder (default $WRITING7_ARTIFACTS/models/book_matcher_contrastive/final)."),
    index: Path = typer.Option(None, "--index", help="Search index folder (enables POST /v1/search)."),
    teacher: Path = typer.Option(None, "--teacher", help="Cross-encoder teacher folder (enables rerank in /v1/search)."),
    host: str = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="TCP port (default 8000)."),
    api_key: str = typer.Option(None, "--api-key", help="Require this key (Authorization: Bearer KEY); default env WRITING7_API_KEY."),
    batching: bool = typer.Option(None, "--batching/--no-batching", help="Micro-batch concurrent requests (default on)."),
    max_batch_size: int = typer.Option(None, "--max-batch-size", help="Most pairs or texts in one forward."),
    max_wait_ms: float = typer.Option(None, "--max-wait-ms", help="How long a micro-batch waits for more requests."),
    uncalibrated: bool = typer.Option(False, "--uncalibrated", help="Serve without calibration files (flagged in every response)."),
    device: str = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N."),
    precision: str = typer.Option(None, "--precision", help="auto, fp32, bf16 or int8 (default auto: bf16 where native, else int8 "
                                                            "on a CPU, each kept only when it matches fp32)."),
    config: Path = typer.Option(None, "--config", help="TOML file; its \\[serve], \\[inference] and \\[search] tables set defaults."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    body_timeout_s: float = typer.Option(None, "--body-timeout-s", help="Seconds a request body may stall before 408 (default 30)."),
) -> None:
    """Serve score, style similarity, embed, search and compare over HTTP."""
    from writing7.artifacts import ArtifactLayout
    from writing7.calibration.bundle import MatcherCalibration
    from writing7.config.index import SearchConfig
    from writing7.config.inference import InferenceConfig
    from writing7.config.serve import ServeConfig
    from writing7.serve.app import create_app
    from writing7.serve.server import run_server
    from writing7.user_text import require_folder

    cfg = ServeConfig.load(config, host=host, port=port, batching=batching, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms,
                           body_timeout_s=body_timeout_s)
    inference = InferenceConfig.load(config, precision=precision)
    model = require_folder(model or ArtifactLayout.from_env().bi_encoder, what="model",
                           fix="run `writing7 train` first, or pass --model with a trained model folder")
    if not uncalibrated and not MatcherCalibration.exists(model):
        raise FileNotFoundError(f"no calibration in {model}: run `writing7 calibrate` first (or pass --uncalibrated)")
    if index is not None:
        require_folder(index, what="search index", fix="run `writing7 index --corpus DIR` first, or pass --index with an index folder")
    application = create_app(model, config=cfg, index_dir=index, teacher_dir=teacher, api_key=api_key, uncalibrated=uncalibrated,
                             inference=inference, search=SearchConfig.load(config), device=device)
    application.state.service.load()  # a damaged model or index fails here, as one line, before anything listens

    def announce() -> None:
        typer.echo(f"serving {model} on http://{cfg.host}:{cfg.port} (docs at /docs)")

    run_server(application, host=cfg.host, port=cfg.port, log_level=log_level, on_listening=announce)
