"""Device and precision choices shared by training and inference, and loading errors of saved model folders.

bf16 autocast is used where the hardware runs it natively and faster than float32 (:func:`native_bf16`):
CUDA with bf16 support, CPUs with AMX (a MiniLM training step 2-3x float32's rate), and CPUs with
AVX512-BF16 but no AMX where a probe product says so. Those differ: on an AMD EPYC Zen 4 the training step
ran 1.75x faster in bf16, on an Intel Xeon whose hypervisor hides AMX 0.7x (inference 0.65x). Elsewhere
autocast would emulate bf16 and be slower than float32, so it stays off.

Inference (and prepare's mining embeddings) has a fourth choice, ``int8``: the encoder's ``Linear``
layers dynamically quantized at load time (:func:`quantize_linear_layers`), so the same model folder
serves every precision. ``auto`` resolves here, in one place (:class:`PrecisionPlan`):

- CUDA: bf16 where supported, else fp32 (dynamic int8 kernels are CPU-only);
- a CPU where :func:`native_bf16` holds (AMX; AVX512-BF16 where the probe finds bf16 faster than float32):
  bf16 -- measured faster than int8 with AMX (``bench/score_pairs.py``), about as fast on Zen 4;
- any other CPU (AVX2 laptops and VMs; AVX512-BF16 CPUs where bf16 is slower than float32): int8.

An ``auto`` choice other than fp32 is kept only once it matches fp32 on a check batch (the first
texts encoded): the smallest cosine between the two embeddings of a text must reach
:data:`MIN_COSINE` of that precision, else the encoder falls back to fp32 and logs why.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from writing7.models.precisions import INFERENCE_PRECISIONS  # the names; what they resolve to is decided here

logger = logging.getLogger(__name__)
PRECISIONS = ("auto", "bf16", "fp32")  # training: autocast or not
# Smallest cosine between a text's fp32 embedding and its embedding at the precision for ``auto`` to keep it.
MIN_COSINE = {"bf16": 0.999, "int8": 0.99}
# Linear layers int8 leaves in float32: the feed-forward output projections of the first three transformer layers
# (BERT/MPNet ``layer.N.output.dense``, DistilBERT ``layer.N.ffn.lin2``). Their inputs (GELU outputs) have the widest
# range, so one 8-bit scale per tensor costs them the most: on the trained MiniLM, quantizing only layer 0's cut the
# smallest embedding cosine to 0.989, layer 5's to 0.9999; with all three in float32 the calibrated test-split ECE
# moved by 0.003 / 0.005 (book / author) instead of 0.011 / 0.017, at 1/6 of the Linear work left in float32.
FLOAT32_LAYERS = re.compile(r"layer\.[012]\.(output\.dense|ffn\.lin2)$")


def resolve_device(device: str | None = None) -> torch.device:
    """``None``/``"auto"``: CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"unknown device {device!r} ({error}); use auto, cpu, cuda or cuda:N") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    return resolved


# "0" makes a CPU with native bf16 act as one without (and "1" the reverse), for every choice ``auto`` makes (training's
# autocast, inference's bf16-or-int8): with the kernel libraries capped to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``,
# ``MKL_ENABLE_INSTRUCTIONS=AVX2``, ``ATEN_CPU_CAPABILITY=avx2``), this is how a run on an AVX2-only machine is
# emulated on a newer one; the probe alone cannot be capped.
CPU_NATIVE_BF16_ENV = "WRITING7_CPU_NATIVE_BF16"


# A CPU with AVX512-BF16 but no AMX runs bf16 only where a probe product is at least this much faster than float32.
BF16_MIN_SPEEDUP = 1.2


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` runs bf16 matrix products natively (not emulated) and faster than float32.

    CUDA: bf16 support. CPU: ``$WRITING7_CPU_NATIVE_BF16`` when set; else AMX; else AVX512-BF16 and
    :func:`bf16_speedup` at least :data:`BF16_MIN_SPEEDUP` (measured once per process); else no.
    """
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    override = os.environ.get(CPU_NATIVE_BF16_ENV, "")
    if override not in ("", "0", "1"):
        raise ValueError(f"${CPU_NATIVE_BF16_ENV} is {override!r}: use 0 (act as a CPU without native bf16) or 1, or unset it")
    if override:
        return override == "1"
    return cpu_has_amx() or (cpu_has_bf16_instructions() and _bf16_pays_on_this_cpu())


def cpu_has_bf16_instructions() -> bool:
    """Whether this CPU runs bf16 products in hardware (AVX512-BF16 or AMX); whether they are faster than float32 there
    is :func:`native_bf16`'s question. The benchmarks time bf16 beside the other precisions wherever this holds."""
    return bool(torch.cpu._is_avx512_bf16_supported() or cpu_has_amx())


@functools.lru_cache(maxsize=1)
def _bf16_pays_on_this_cpu() -> bool:
    speedup = bf16_speedup()
    logger.info("bf16 probe: a bf16 product runs at %.2fx float32's speed on this CPU (AVX512-BF16, no AMX): %s", speedup,
                "bf16 where auto" if speedup >= BF16_MIN_SPEEDUP else f"under {BF16_MIN_SPEEDUP}x, so no bf16 for auto")
    return speedup >= BF16_MIN_SPEEDUP


def bf16_speedup(rows: int = 1024, width: int = 384, repeats: int = 5) -> float:
    """float32 time over bf16-autocast time of one ``Linear(width, 4 * width)`` on ``rows`` inputs, the shape of
    MiniLM's feed-forward products (best of ``repeats`` each, alternating; about 0.1 s on 2 cores).

    The CPU flags alone do not tell: with AVX512-BF16 and no AMX, the MiniLM training step ran 1.75x faster in bf16
    than in float32 on an AMD EPYC (Zen 4) and 0.7x as fast on an Intel Xeon whose hypervisor hides AMX; this
    product measured 0.62x there.
    """
    generator = torch.Generator().manual_seed(0)
    layer = torch.nn.Linear(width, 4 * width)
    inputs = torch.randn(rows, width, generator=generator)
    timings: dict[bool, list[float]] = {False: [], True: []}
    with torch.inference_mode():
        for _ in range(repeats + 1):  # the first round warms both paths up and is dropped
            for bf16 in (False, True):
                started = time.perf_counter()
                with autocast(torch.device("cpu"), bf16):
                    layer(inputs)
                timings[bf16].append(time.perf_counter() - started)
    return min(timings[False][1:]) / max(min(timings[True][1:]), 1e-9)


def use_bf16(precision: str, device: torch.device) -> bool:
    """``auto`` -> native bf16 only; ``bf16`` -> always; ``fp32`` -> never."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision == "bf16" or (precision == "auto" and native_bf16(device))


def cpu_has_amx() -> bool:
    """Whether this CPU has AMX tiles. bf16 runs natively with AVX512-BF16 alone too, but far slower: the CPU-default
    training step ran 26.6 texts/s in bf16 on a 2-core Xeon with AMX, 12.4 on a 2-core AMD EPYC (Zen 4) without and
    5.9 on a 2-core Xeon whose hypervisor hides AMX (7.5 there in float32)."""
    return bool(torch.cpu._is_amx_tile_supported())


def cpu_has_vnni() -> bool:
    """Whether this CPU has AVX512-VNNI or AVX-VNNI: u8 x s8 products summed straight into int32, no int16 step."""
    return bool(torch.cpu._is_vnni_supported())


# What ``auto`` runs on a CPU without native bf16 (read at call time; the test suite sets "fp32" so that its exact
# equality tests do not depend on the CPU: int8's per-batch activation scales move a text's embedding with its batch).
AUTO_CPU_FALLBACK = "int8"


def resolve_precision(precision: str, device: torch.device, *, bf16_native: bool | None = None) -> str:
    """The path an inference ``precision`` setting runs on ``device``: ``fp32``, ``bf16`` or ``int8``.

    ``auto`` -> bf16 where it is native and fast (:func:`native_bf16`), int8 on any other CPU, fp32 on any other device; :class:`PrecisionPlan` then checks the choice against fp32.
    ``bf16_native`` overrides the hardware probe (tests).
    """
    if precision not in INFERENCE_PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(INFERENCE_PRECISIONS)}")
    if precision == "int8" and device.type != "cpu":
        raise ValueError(f"precision int8 runs on the CPU only (dynamic int8 kernels), not on {device.type}: "
                         "use --device cpu, or --precision bf16 / fp32")
    if precision != "auto":
        return precision
    if native_bf16(device) if bf16_native is None else bf16_native:
        return "bf16"
    return AUTO_CPU_FALLBACK if device.type == "cpu" else "fp32"


def int8_weight_range(vnni: bool | None = None) -> tuple[int, int]:
    """Quantized weight range: full int8 on VNNI CPUs, 7 bits (-64..63) elsewhere.

    Activations are quantized to all 8 bits (0..255) per forward. Without VNNI, the x86 kernels add pairs of
    u8 x s8 products in int16 (``vpmaddubsw``), which saturates above 32,767; 7-bit weights keep every pair
    below it (2 x 255 x 64 = 32,640), the role PyTorch's default gives to 7-bit activations (``reduce_range``).
    On this model 7-bit activations cost more: min embedding cosine 0.966 against 0.984 for 7-bit weights
    and 0.991 for 8 + 8 bits (64 passages of 200 words; notes in docs/architecture.md).
    """
    return (-128, 127) if (cpu_has_vnni() if vnni is None else vnni) else (-64, 63)


def quantize_linear_layers(module: torch.nn.Module, *, vnni: bool | None = None, keep_float: re.Pattern | None = FLOAT32_LAYERS) -> torch.nn.Module:
    """A copy of ``module`` whose ``nn.Linear`` layers are dynamically quantized to int8 (CPU, inference only).

    ``torch.ao.quantization.quantize_dynamic`` with per-output-channel symmetric weights
    (:func:`int8_weight_range`) and activations quantized per tensor to 8 bits at every forward; Linear layers
    whose name matches ``keep_float`` (:data:`FLOAT32_LAYERS`) and everything else (embeddings, LayerNorm,
    attention products) stay float32. ``module`` itself is left as it was.
    """
    import copy
    import warnings

    from torch.ao.quantization import PerChannelMinMaxObserver, PlaceholderObserver, QConfig, quantize_dynamic

    low, high = int8_weight_range(vnni)
    qconfig = QConfig(
        activation=PlaceholderObserver.with_args(dtype=torch.quint8, quant_min=0, quant_max=255, is_dynamic=True),
        weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric, quant_min=low, quant_max=high),
    )
    float_copy = copy.deepcopy(module).cpu().eval()
    layers = {name: qconfig for name, layer in float_copy.named_modules()
              if isinstance(layer, torch.nn.Linear) and not (keep_float and keep_float.search(name))}
    with warnings.catch_warnings():  # torch 2.10+ announces the move of eager quantization to torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(float_copy, layers, dtype=torch.qint8, mapping={torch.nn.Linear: FullRangeDynamicLinear})


INT8_BACKEND_ENV = "WRITING7_INT8_BACKEND"
INT8_BACKENDS = ("auto", "onnxruntime", "torch")


def int8_backend() -> str:
    """Where int8 runs: ``$WRITING7_INT8_BACKEND`` (``onnxruntime`` or ``torch``), else ONNX Runtime when installed."""
    from writing7.models.onnx_int8 import onnx_runtime_available

    backend = os.environ.get(INT8_BACKEND_ENV, "auto") or "auto"
    if backend not in INT8_BACKENDS:
        raise ValueError(f"${INT8_BACKEND_ENV} is {backend!r}: use one of {', '.join(INT8_BACKENDS)}")
    if backend == "onnxruntime" and not onnx_runtime_available():
        raise ValueError(f"${INT8_BACKEND_ENV}=onnxruntime but ONNX Runtime is not installed: pip install 'writing7[onnx]'")
    if backend == "auto":
        return "onnxruntime" if onnx_runtime_available() else "torch"
    return backend


def int8_encoder(encoder: torch.nn.Module, *, vnni: bool | None = None, keep_float: re.Pattern | None = FLOAT32_LAYERS) -> torch.nn.Module:
    """The encoder for int8 inference, called like ``encoder`` (a :class:`~writing7.models.bi_encoder.BiEncoder` or a
    SentenceTransformer): on ONNX Runtime (:mod:`writing7.models.onnx_int8`) or, without it (:func:`int8_backend`),
    PyTorch's dynamic int8 copy (:func:`quantize_linear_layers`); same quantization.

    ONNX Runtime is an accelerator: when its graph cannot be built or cached (an unwritable cache folder, a full disk,
    an architecture the exporter refuses), int8 runs on PyTorch and one warning says why, unless
    ``$WRITING7_INT8_BACKEND`` asked for ONNX Runtime explicitly.
    """
    backend = int8_backend()
    if backend == "onnxruntime":
        from writing7.models.onnx_int8 import onnx_int8_model

        try:
            return onnx_int8_model(encoder, weight_range=int8_weight_range(vnni), keep_float=keep_float)
        except (OSError, RuntimeError, ValueError) as error:
            if os.environ.get(INT8_BACKEND_ENV) == "onnxruntime":
                raise
            logger.warning("int8: ONNX Runtime graph unavailable (%s: %s): int8 runs on PyTorch", type(error).__name__, error)
    return quantize_linear_layers(encoder, vnni=vnni, keep_float=keep_float)


def _dynamic_linear_base() -> type:
    from torch.ao.nn.quantized.dynamic import Linear

    return Linear


class FullRangeDynamicLinear(_dynamic_linear_base()):
    """PyTorch's dynamic int8 ``Linear`` with activations quantized to all 8 bits (its default keeps 7).

    The weights carry the saturation guard instead (:func:`int8_weight_range`).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = torch.ops.quantized.linear_dynamic(x, self._packed_params._packed_params, reduce_range=False)
        return output.to(x.dtype)


def minimum_cosine(reference: torch.Tensor | np.ndarray, candidate: torch.Tensor | np.ndarray) -> float:
    """The smallest cosine between row ``i`` of ``reference`` and row ``i`` of ``candidate`` ((n, dim) each)."""
    reference = torch.nn.functional.normalize(torch.as_tensor(reference, dtype=torch.float32), dim=-1)
    candidate = torch.nn.functional.normalize(torch.as_tensor(candidate, dtype=torch.float32), dim=-1)
    return float((reference * candidate).sum(dim=-1).min())


class PrecisionPlan:
    """What an encoder runs at: the setting asked for, the path it resolved to, and ``auto``'s check against fp32.

    ``precision`` is ``fp32``, ``bf16`` or ``int8`` (:func:`resolve_precision`). While :attr:`check_pending`,
    the caller embeds a check batch both ways and calls :meth:`settle`, which keeps the path or falls back to fp32.
    """

    def __init__(self, requested: str, device: torch.device, *, bf16_native: bool | None = None) -> None:
        self.requested = requested
        self.precision = resolve_precision(requested, device, bf16_native=bf16_native)
        self.check_pending = requested == "auto" and self.precision != "fp32"
        self.check_cosine: float | None = None

    @property
    def bf16(self) -> bool:
        return self.precision == "bf16"

    @property
    def int8(self) -> bool:
        return self.precision == "int8"

    def settle(self, reference: torch.Tensor | np.ndarray, candidate: torch.Tensor | np.ndarray, *, min_cosine: float | None = None) -> str:
        """Keep :attr:`precision` when ``candidate`` (its embeddings of the check batch) matches ``reference`` (fp32)."""
        threshold = MIN_COSINE[self.precision] if min_cosine is None else min_cosine
        self.check_cosine = minimum_cosine(reference, candidate)
        self.check_pending = False
        if self.check_cosine < threshold:
            logger.warning("%s embeddings differ from float32 (min cosine %.5f < %.3f on %d texts): using float32",
                           self.precision, self.check_cosine, threshold, len(reference))
            self.precision = "fp32"
        else:
            logger.info("%s matches float32 (min cosine %.5f on %d texts): using %s",
                        self.precision, self.check_cosine, len(reference), self.precision)
        return self.precision


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on ``device`` when ``enabled``; a no-op context otherwise."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def configure_cuda(tf32: bool) -> None:
    """TF32 matmuls/convolutions on Ampere+ GPUs: ~2x faster float32 with 10-bit mantissa products."""
    if torch.cuda.is_available() and tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


# -- loading a saved model folder ----------------------------------------------------------------
class DamagedModelError(ValueError):
    """A model folder whose files are there but cannot be loaded: a truncated copy, an interrupted write, a
    hand-edited JSON. A ``ValueError``, so the CLI shows it as one ``error:`` line instead of a loader's traceback."""


# What safetensors, transformers, sentence-transformers, json, numpy and torch raise on damaged files.
LOAD_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, RuntimeError, EOFError)
REASON_CHARACTERS = 200


def damaged_model(folder: Path, reason: BaseException | str, *, file: str | None = None) -> DamagedModelError:
    """The one-line error for a damaged ``folder``: which file (when known), what is wrong, and the fix."""
    if isinstance(reason, KeyError):
        reason = f"missing entry {reason}"
    text = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    text = text if len(text) <= REASON_CHARACTERS else text[:REASON_CHARACTERS] + "..."
    where = f"{file}: " if file else ""
    return DamagedModelError(f"the model folder {folder} is damaged ({where}{text}): retrain it or copy it again")


def check_model_files(folder: Path, *, skip: Iterable[str] = ()) -> None:
    """Open every weights file's header and parse every JSON file of ``folder`` (names in ``skip`` excepted).

    The loaders report a truncated ``model.safetensors`` or a broken ``config.json`` without saying
    which file it was; checking each file first lets the error name it. Cheap: safetensors reads only
    the header (and checks it against the file's length), the JSON files are small.
    """
    from safetensors import SafetensorError, safe_open

    skipped = set(skip)
    for path in sorted(folder.rglob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt"):
                pass
        except (SafetensorError, OSError) as error:
            raise damaged_model(folder, error, file=path.relative_to(folder).as_posix()) from error
    for path in sorted(folder.rglob("*.json")):
        if path.name in skipped:
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise damaged_model(folder, f"not valid JSON: {error}", file=path.relative_to(folder).as_posix()) from error
