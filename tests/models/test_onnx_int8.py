"""int8 on ONNX Runtime: the graph it builds (fused; quantized where PyTorch's int8 is, float32 where it is not), its cache,
its embeddings against float32, and which backend ``int8`` picks."""

import numpy as np
import pytest
import torch

from matcher_models import fixture_chunks
from writing7.models import onnx_int8, runtime
from writing7.models.matcher import MatcherModel

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


@pytest.fixture(scope="module")
def model(calibrated_matcher_dir):
    return MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="fp32")


@pytest.fixture(scope="module")
def texts():
    chunks = [chunk.text for chunk in fixture_chunks()[:20]]
    return [*chunks, "Short.", " ".join(chunks[0].split()[:7])]  # one and a few tokens: the dynamic axes at their smallest


@pytest.mark.parametrize("vnni", [True, False])
def test_onnx_int8_encodes_like_fp32_at_any_batch_and_length(model, texts, cache, vnni):
    from writing7.models.bi_encoder import encode_token_ids

    encoder = onnx_int8.OnnxInt8Encoder.build(model.encoder, weight_range=runtime.int8_weight_range(vnni), keep_float=runtime.FLOAT32_LAYERS)
    token_ids = model.encoder.tokenize(texts)
    reference = encode_token_ids(model.encoder, token_ids, batch_size=8, device=torch.device("cpu"), bf16=False).numpy()
    for batch_size in (1, 5, 32):
        embeddings = encode_token_ids(encoder, token_ids, batch_size=batch_size, device=torch.device("cpu"), bf16=False).numpy()
        assert embeddings.shape == reference.shape and embeddings.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
        assert runtime.minimum_cosine(reference, embeddings) >= runtime.MIN_COSINE["int8"]
    assert not np.array_equal(embeddings, reference)  # it did run the quantized graph


def test_the_graph_keeps_float32_exactly_where_pytorchs_int8_does(model, cache):
    import onnx

    path = onnx_int8.int8_graph(model.encoder.transformer.model, weight_range=(-128, 127), keep_float=runtime.FLOAT32_LAYERS)
    graph = onnx.load(str(path)).graph
    weights = {initializer.name for initializer in graph.initializer}
    float_products = sorted(node.name for node in graph.node if node.op_type == "MatMul" and set(node.input) & weights)
    assert float_products == ["/transformer/encoder/layer.0/output/dense/MatMul", "/transformer/encoder/layer.1/output/dense/MatMul"]
    operators = [node.op_type for node in graph.node]
    layers = len(model.encoder.transformer.model.encoder.layer)
    assert operators.count("QAttention") == layers  # attention fused (query, key, value: one quantized product) and quantized
    assert operators.count("EmbedLayerNormalization") == 1 and operators.count("SkipLayerNormalization") == 2 * layers
    linear_layers = sum(type(module) is torch.nn.Linear for module in model.encoder.transformer.model.encoder.modules())
    assert operators.count("MatMulInteger") + 3 * operators.count("QAttention") == linear_layers - len(float_products)


@pytest.mark.parametrize(("policy", "spinning"), [("PASSIVE", "0"), ("passive", "0"), ("ACTIVE", "1"), (None, "1")])
def test_onnx_runtime_threads_sleep_when_openmp_s_wait_policy_is_passive(model, cache, monkeypatch, policy, spinning):
    if policy is None:
        monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    else:
        monkeypatch.setenv("OMP_WAIT_POLICY", policy)
    encoder = onnx_int8.OnnxInt8Encoder.build(model.encoder, weight_range=(-128, 127), keep_float=runtime.FLOAT32_LAYERS)
    options = encoder.session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == spinning


def test_the_graph_is_built_once_per_model_and_setting(model, cache, monkeypatch):
    transformer = model.encoder.transformer.model
    first = onnx_int8.int8_graph(transformer, weight_range=(-128, 127), keep_float=runtime.FLOAT32_LAYERS)
    assert [path.name for path in cache.iterdir()] == [first.name]  # no temporary left behind

    def refuse(*args, **kwargs):
        raise AssertionError("rebuilt a cached graph")

    with monkeypatch.context() as patched:
        patched.setattr(onnx_int8, "export_hidden_states", refuse)
        assert onnx_int8.int8_graph(transformer, weight_range=(-128, 127), keep_float=runtime.FLOAT32_LAYERS) == first
    seven_bit = onnx_int8.int8_graph(transformer, weight_range=(-64, 63), keep_float=runtime.FLOAT32_LAYERS)
    assert seven_bit != first
    with torch.no_grad():
        saved = transformer.encoder.layer[1].intermediate.dense.bias.clone()
        transformer.encoder.layer[1].intermediate.dense.bias.add_(0.01)  # other weights: another graph
        try:
            retrained = onnx_int8.int8_graph(transformer, weight_range=(-128, 127), keep_float=runtime.FLOAT32_LAYERS)
        finally:
            transformer.encoder.layer[1].intermediate.dense.bias.copy_(saved)
    assert retrained not in (first, seven_bit) and len(list(cache.iterdir())) == 3


def test_int8_runs_on_onnx_runtime_when_installed_else_on_pytorch(calibrated_matcher_dir, cache, monkeypatch):
    from writing7.serve.model_card import precision_summary

    monkeypatch.delenv(runtime.INT8_BACKEND_ENV, raising=False)
    model = MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="int8")
    assert isinstance(model.quantized_encoder, onnx_int8.OnnxInt8Encoder) and precision_summary(model)["int8_backend"] == "onnxruntime"
    monkeypatch.setenv(runtime.INT8_BACKEND_ENV, "torch")
    model = MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="int8")
    assert any(isinstance(module, runtime.FullRangeDynamicLinear) for module in model.quantized_encoder.modules())
    assert precision_summary(model)["int8_backend"] == "torch"
    monkeypatch.delenv(runtime.INT8_BACKEND_ENV)
    monkeypatch.setattr(onnx_int8, "onnx_runtime_available", lambda: False)
    assert runtime.int8_backend() == "torch"
    monkeypatch.setenv(runtime.INT8_BACKEND_ENV, "onnxruntime")
    with pytest.raises(ValueError, match=r"WRITING7_INT8_BACKEND=onnxruntime but ONNX Runtime is not installed: pip install 'writing7\[onnx\]'"):
        runtime.int8_backend()
    monkeypatch.setenv(runtime.INT8_BACKEND_ENV, "tensorrt")
    with pytest.raises(ValueError, match="WRITING7_INT8_BACKEND is 'tensorrt': use one of auto, onnxruntime, torch"):
        runtime.int8_backend()
    with pytest.raises(ValueError, match=r"^\$WRITING7_INT8_BACKEND is 'tensorrt'"):  # the setting named, not a "damaged" folder
        MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="int8")


def test_a_graph_that_cannot_be_cached_leaves_int8_on_pytorch_with_one_warning(model, calibrated_matcher_dir, tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("WRITING7_CACHE", str(blocked))
    monkeypatch.delenv(runtime.INT8_BACKEND_ENV, raising=False)
    with caplog.at_level("WARNING", logger="writing7.models.runtime"):
        int8 = MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="int8")
    assert any(isinstance(module, runtime.FullRangeDynamicLinear) for module in int8.quantized_encoder.modules())
    assert int8.int8_backend == "torch"  # what GET /v1/model reports: where int8 runs, not where it was asked to
    assert "int8: ONNX Runtime graph unavailable (NotADirectoryError" in caplog.text and "int8 runs on PyTorch" in caplog.text
    monkeypatch.setenv(runtime.INT8_BACKEND_ENV, "onnxruntime")  # asked for explicitly: the error is the user's to see
    with pytest.raises(OSError):
        runtime.int8_encoder(model.encoder)


def test_the_mining_encoder_runs_int8_on_onnx_runtime_like_the_matcher(tiny_sentence_transformer, texts, cache, monkeypatch):
    from writing7.prepare.embedding import ChunkEncoder

    monkeypatch.delenv(runtime.INT8_BACKEND_ENV, raising=False)
    reference = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="fp32").encode(texts, batch_size=8)
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="int8")
    assert isinstance(encoder.quantized_model, onnx_int8.OnnxInt8SentenceTransformer) and len(list(cache.glob("*.onnx"))) == 1
    embeddings = encoder.encode(texts, batch_size=8)
    assert embeddings.shape == reference.shape and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)  # the model's Normalize module ran
    assert runtime.minimum_cosine(reference, embeddings) >= runtime.MIN_COSINE["int8"]
    monkeypatch.setenv(runtime.INT8_BACKEND_ENV, "torch")
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="int8")
    assert any(isinstance(module, runtime.FullRangeDynamicLinear) for module in encoder.quantized_model.modules())
