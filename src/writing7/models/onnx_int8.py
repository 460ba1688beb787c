"""int8 encoding on ONNX Runtime: the encoder's transformer exported once, its operators fused, its products quantized.

PyTorch's dynamic int8 (:func:`writing7.models.runtime.quantize_linear_layers`) quantizes each Linear layer and
leaves everything between them (attention, GELU, LayerNorm, quantizing the activations) as separate eager float32
operators. Here the transformer is exported to ONNX with eager attention (whose pattern ONNX Runtime's transformer
optimizer recognises), fused by that optimizer (one ``Attention`` operator per layer, ``BiasGelu``,
``SkipLayerNormalization``, ``EmbedLayerNormalization``; Microsoft, *ONNX Runtime transformer optimizations*), then
quantized dynamically: ``QAttention`` and ``MatMulInteger`` with int8 weights. On the trained MiniLM, 400 passages of
200 words, PyTorch's kernels capped at AVX2 (``bench/int8_encoders.py``): fp32 19.8, PyTorch int8 33.5, this 45.4
texts/s. In a prototype that quantized every product, the same export *unfused* ran int8 at 30.2 texts/s against
PyTorch int8's 30.7: the gain is the fusion, not ONNX Runtime's int8 kernels.

The quantization is the same as PyTorch's path: weights int8 per output channel, symmetric (7 bits without VNNI,
where the u8 x s8 kernels add pairs of products in int16; see :func:`~writing7.models.runtime.int8_weight_range`),
activations 8-bit per tensor at every product, and the layers of
:data:`~writing7.models.runtime.FLOAT32_LAYERS` left in float32; mean pooling and the projection stay in
PyTorch (float32, a few hundred operations per text). ONNX Runtime is an optional extra
(``pip install 'writing7[onnx]'``): without it, int8 runs on PyTorch.

The quantized graph is built on first use (seconds for MiniLM) and cached under ``<cache>/onnx/<key>.onnx``,
``<cache>`` being :func:`writing7.artifacts.cache_dir`; the key digests the weights, the settings above and the
library versions, so a retrained model or a new ONNX Runtime builds anew.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from writing7.artifacts import cache_dir

logger = logging.getLogger(__name__)
GRAPH_VERSION = 1  # bump when the export or quantization below changes
INPUT_NAMES = ("input_ids", "attention_mask")


def onnx_runtime_available() -> bool:
    """ONNX Runtime and the ``onnx`` package (its quantizer needs it) are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


class _HiddenStates(nn.Module):
    """The transformer as a function of (input_ids, attention_mask) -> last hidden state: what is exported."""

    def __init__(self, transformer: nn.Module) -> None:
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def graph_key(transformer: nn.Module, *, weight_range: tuple[int, int], keep_float: re.Pattern | None) -> str:
    """Digest of the weights, the quantization settings and the library versions (the cache file's name)."""
    import onnxruntime

    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((GRAPH_VERSION, weight_range, keep_float and keep_float.pattern, torch.__version__, onnxruntime.__version__)).encode())
    for name, tensor in transformer.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def export_hidden_states(transformer: nn.Module, path: Path) -> None:
    """Write ``transformer`` (float32, eval, eager attention) to ``path`` as ONNX with dynamic batch and token axes."""
    module = _HiddenStates(copy.deepcopy(transformer)).cpu().eval()
    module.transformer.set_attn_implementation("eager")  # scaled_dot_product_attention exports as a graph no optimizer fuses
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    axes = {"batch": 0, "tokens": 1}
    dynamic = {name: {position: axis for axis, position in axes.items()} for name in (*INPUT_NAMES, "hidden")}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python branches, which the fixed mask makes moot
        torch.onnx.export(module, example, str(path), input_names=list(INPUT_NAMES), output_names=["hidden"], dynamic_axes=dynamic,
                          opset_version=17, dynamo=False)


def fuse_graph(source: Path, target: Path, config: Any) -> dict[str, int]:
    """ONNX Runtime's transformer optimizer on ``source`` -> ``target``; returns how many of each fused operator it made.

    The ``bert`` optimizer fuses BERT-style attention and feed-forward blocks (MiniLM's); where it finds no pattern (another
    architecture), it leaves the graph unfused, which is still correct, only slower.
    """
    from onnxruntime.transformers.optimizer import optimize_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimized = optimize_model(str(source), model_type="bert", num_heads=int(config.num_attention_heads),
                                   hidden_size=int(config.hidden_size), opt_level=1)
    optimized.save_model_to_file(str(target))
    return {name: count for name, count in optimized.get_fused_operator_statistics().items() if count}


def float32_nodes(path: Path, keep_float: re.Pattern | None) -> list[str]:
    """Names of the weight products of ``path`` whose layer matches ``keep_float`` (``/…/layer.0/output/dense/MatMul``)."""
    import onnx

    if keep_float is None:
        return []
    graph = onnx.load(str(path), load_external_data=False).graph
    return [node.name for node in graph.node
            if node.op_type == "MatMul" and keep_float.search(node.name.replace("/", ".").removesuffix(".MatMul"))]


def quantize_graph(source: Path, target: Path, *, weight_range: tuple[int, int], keep_float: re.Pattern | None) -> None:
    """Dynamic int8 quantization of ``source``'s weight products into ``target`` (settings: the module docstring)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantization_logger = logging.getLogger()  # the quantizer's advice to pre-process goes to the root logger
    level = quantization_logger.level
    quantization_logger.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=weight_range[1] < 127, op_types_to_quantize=["MatMul", "Attention"],
                         nodes_to_exclude=float32_nodes(source, keep_float),
                         # the fused operators are outside ONNX's domain, so shape inference cannot type their outputs
                         extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        quantization_logger.setLevel(level)


def int8_graph(transformer: nn.Module, *, weight_range: tuple[int, int], keep_float: re.Pattern | None) -> Path:
    """The cached quantized graph of ``transformer``, built (in a temporary folder, then renamed into place) if missing."""
    target = cache_dir() / "onnx" / f"{graph_key(transformer, weight_range=weight_range, keep_float=keep_float)}.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("int8: building the ONNX Runtime graph (once per model) -> %s", target)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        exported, fused, quantized = (Path(scratch) / name for name in ("float32.onnx", "fused.onnx", "int8.onnx"))
        export_hidden_states(transformer, exported)
        logger.info("int8: fused %s", fuse_graph(exported, fused, transformer.config))
        quantize_graph(fused, quantized, weight_range=weight_range, keep_float=keep_float)
        os.replace(quantized, target)  # atomic: a reader sees no graph or the whole graph
    return target


def inference_session(path: Path, *, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session on ``path``, as many threads as PyTorch uses, waiting as OpenMP's threads do.

    ONNX Runtime's thread pool is its own: it spins between operators whatever ``OMP_WAIT_POLICY`` says. With
    ``OMP_WAIT_POLICY=PASSIVE`` (which ``writing7 serve`` sets: its threads share the cores with the request handling)
    its threads sleep instead, so that the event loop is not starved by threads waiting for work.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0" if passive_wait() else "1")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def passive_wait() -> bool:
    """``OMP_WAIT_POLICY`` asks waiting threads to sleep rather than spin."""
    return os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"


class OnnxInt8Encoder(nn.Module):
    """A :class:`~writing7.models.bi_encoder.BiEncoder` whose transformer runs int8 on ONNX Runtime.

    Called like the encoder it wraps, ``(input_ids, attention_mask) -> (batch, embedding_dim)`` L2-normalised
    float32 embeddings; the tokenizer, pooling and float32 projection are the wrapped encoder's (shared, not copied).
    """

    backend = "onnxruntime"

    def __init__(self, encoder: nn.Module, session: Any) -> None:
        super().__init__()
        self.session = session
        self.base = [encoder]  # in a list: not a submodule (its parameters are not this module's)

    @classmethod
    def build(cls, encoder: nn.Module, *, weight_range: tuple[int, int], keep_float: re.Pattern | None) -> OnnxInt8Encoder:
        return cls(encoder, inference_session(int8_graph(encoder.transformer.model, weight_range=weight_range, keep_float=keep_float)))

    @property
    def tokenizer(self) -> Any:
        return self.base[0].tokenizer

    @property
    def embedding_dim(self) -> int:
        return self.base[0].embedding_dim

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = run_hidden_states(self.session, input_ids, attention_mask)
        return self.base[0].embed_hidden_states(hidden, attention_mask.cpu())


class OnnxInt8SentenceTransformer:
    """A SentenceTransformer (the mining encoder, the raw-cosine baseline) whose first module, its transformer, runs int8
    on ONNX Runtime.

    Called like the model, ``features -> features`` with ``sentence_embedding``: the pooling and the modules after it are
    the model's own (shared, not copied), in float32.
    """

    backend = "onnxruntime"

    def __init__(self, model: Any, session: Any) -> None:
        self.model = model
        self.session = session

    @classmethod
    def build(cls, model: Any, *, weight_range: tuple[int, int], keep_float: re.Pattern | None) -> OnnxInt8SentenceTransformer:
        return cls(model, inference_session(int8_graph(model[0].model, weight_range=weight_range, keep_float=keep_float)))

    def __call__(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        attention_mask = features["attention_mask"].cpu()
        features = dict(features, attention_mask=attention_mask,
                        token_embeddings=run_hidden_states(self.session, features["input_ids"], attention_mask))
        for module in list(self.model)[1:]:
            features = module(features)
        return features


def run_hidden_states(session: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The graph's last hidden state, (batch, tokens, hidden) float32 on the CPU."""
    inputs = {"input_ids": input_ids.cpu().numpy().astype(np.int64), "attention_mask": attention_mask.cpu().numpy().astype(np.int64)}
    return torch.from_numpy(session.run(None, inputs)[0])


def onnx_int8_model(model: nn.Module, *, weight_range: tuple[int, int], keep_float: re.Pattern | None) -> nn.Module | OnnxInt8SentenceTransformer:
    """``model`` on ONNX Runtime int8: a :class:`~writing7.models.bi_encoder.BiEncoder` as an :class:`OnnxInt8Encoder`,
    a SentenceTransformer as an :class:`OnnxInt8SentenceTransformer`."""
    from sentence_transformers import SentenceTransformer

    wrapper = OnnxInt8SentenceTransformer if isinstance(model, SentenceTransformer) else OnnxInt8Encoder
    return wrapper.build(model, weight_range=weight_range, keep_float=keep_float)
