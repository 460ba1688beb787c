"""`writing7 bench-style` end to end: real CLI, real tiny calibrated matcher, a real local chat-completions server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_llm_server import NEUTRAL_TEXTS, chat_server
from typer.testing import CliRunner

from writing7.cli import app
from writing7.config.base import ConfigError
from writing7.config.bench_style import BenchStyleConfig

SECRET = "sk-e2e-SECRET-fedcba9876543210"
FAST = """[bench_style]
requests_per_second = 50.0
chunk_size = 6
min_chunk_chars = 300
reference_chunks = 4
"""


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "bench.toml"
    path.write_text(FAST, encoding="utf-8")
    return path


def invoke(*arguments: str):
    return CliRunner().invoke(app, ["bench-style", *arguments])


def test_end_to_end_with_an_openai_compatible_server(calibrated_matcher_dir: Path, fixture_corpus: Path, tmp_path: Path,
                                                     config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRITING7_LLM_API_KEY", SECRET)
    out = tmp_path / "reports"
    with chat_server([("status", 500), ("imitate", None)]) as server:
        result = invoke("--model", str(calibrated_matcher_dir), "--corpus", str(fixture_corpus),
                        "--authors", "conrad", "grey-zane", "stevenson", "--llm", "openai", "--llm-base-url", server.base_url,
                        "--llm-model", "stand-in", "--samples", "2", "--out", str(out), "--config", str(config_file))
    assert result.exit_code == 0, result.output
    assert "conrad-joseph: imitation sim target" in result.output and "wall time" in result.output
    assert len(server.requests) == 1 + 2 + 3 * 2  # one 500 retried, 2 neutral controls, 3 authors x 2 imitations
    assert {request.headers["Authorization"] for request in server.requests} == {f"Bearer {SECRET}"}

    report = json.loads((out / "style_bench.json").read_text(encoding="utf-8"))
    assert report["candidates"] == ["conrad-joseph", "grey-zane", "stevenson-robert-louis"]
    assert report["calibrated"] is True and report["llm"].startswith("openai-compatible stand-in")
    kinds = [passage["kind"] for passage in report["passages"]]
    assert kinds.count("neutral") == 2 and kinds.count("imitation") == 6 and kinds.count("control") == 6
    neutral = [passage["text"] for passage in report["passages"] if passage["kind"] == "neutral"]
    assert set(neutral) <= set(NEUTRAL_TEXTS)
    for entry in report["authors"]:
        assert entry["references_from_other_books"] and entry["excerpt_book"] not in entry["reference_books"]
        imitation = entry["rows"]["imitation"]
        assert 0 <= imitation["similarity_target"] <= 1 and 1 <= imitation["mean_rank"] <= 3
        assert imitation["towards_share"] + imitation["away_share"] <= 1
        assert set(entry["rows"]) == {"imitation", "neutral", "control"}
    imitations = {p["author"]: p["text"] for p in report["passages"] if p["kind"] == "imitation"}
    assert imitations == report["excerpts"]  # the stand-in LLM copied each excerpt
    assert report["overall"]["control"]["n"] == 6

    markdown = (out / "style_bench.md").read_text(encoding="utf-8")
    assert "| conrad-joseph | LLM imitation |" in markdown and "**overall**" in markdown and "STYLL towards" in markdown
    assert (out / "style_bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for text in (result.output, markdown, (out / "style_bench.json").read_text(encoding="utf-8")):
        assert SECRET not in text


def test_authors_and_n_authors_are_exclusive(fixture_corpus: Path) -> None:
    result = invoke("--corpus", str(fixture_corpus), "--authors", "conrad", "grey", "--n-authors", "2")
    assert result.exit_code == 2 and "either --authors or --n-authors" in result.output


def test_missing_model_names_the_stage_to_run(fixture_corpus: Path, tmp_path: Path) -> None:
    result = invoke("--model", str(tmp_path / "nope"), "--corpus", str(fixture_corpus), "--n-authors", "2")
    assert result.exit_code == 2 and "run `writing7 train` first" in result.output


def test_config_validation_messages() -> None:
    with pytest.raises(ConfigError, match=r"bench_style.llm = 'gpt': is not a known choice; use one of: local, openai"):
        BenchStyleConfig(llm="gpt")
    with pytest.raises(ConfigError, match="bench_style.authors .* needs at least two authors"):
        BenchStyleConfig(authors=["conrad"])
    with pytest.raises(ConfigError, match="bench_style.n_authors = 1: must be >= 2"):
        BenchStyleConfig(n_authors=1)
    with pytest.raises(ConfigError, match="bench_style.samples = 0: must be > 0"):
        BenchStyleConfig(samples=0)
    with pytest.raises(ConfigError, match="bench_style.threads = -1: must be >= 0"):
        BenchStyleConfig(threads=-1)
    with pytest.raises(ConfigError, match="bench_style.top_p = 1.5: must be in"):
        BenchStyleConfig(top_p=1.5)
    with pytest.raises(ConfigError, match="bench_style.excerpt_words = 5: is too short"):
        BenchStyleConfig(excerpt_words=5)
    with pytest.raises(ConfigError, match="bench_style.prompt_mode = 'poem': is not a known choice"):
        BenchStyleConfig(prompt_mode="poem")
    with pytest.raises(ConfigError, match="bench_style.llm_base_url = 'localhost:8000': is not an http"):
        BenchStyleConfig(llm="openai", llm_base_url="localhost:8000")
    with pytest.raises(ConfigError, match="bench_style.llm_model = '': is empty"):
        BenchStyleConfig(llm="openai", llm_model="")
    with pytest.raises(ConfigError, match="bench_style.authors = 'conrad': must be a list"):
        BenchStyleConfig(authors="conrad")
