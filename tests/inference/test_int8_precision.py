"""int8 inference: precision resolution, the dynamically quantized encoder, auto's check, and the --precision plumbing.

Every test runs on any x86 CPU: the hardware probes are overridden where a choice depends on them.
"""

import json
import logging

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from matcher_models import fixture_chunks
from writing7.cli import app
from writing7.inference.matcher import Matcher
from writing7.models import runtime
from writing7.models.matcher import MatcherModel
from writing7.models.runtime import PrecisionPlan, minimum_cosine, quantize_linear_layers, resolve_precision
from writing7.prepare.embedding import ChunkEncoder

runner = CliRunner()
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def production_auto(monkeypatch):
    """This file tests ``auto`` as it runs in production: int8 on a CPU without native bf16 (conftest makes it fp32)."""
    monkeypatch.setattr(runtime, "AUTO_CPU_FALLBACK", "int8")


@pytest.fixture(scope="module")
def texts():
    return [chunk.text for chunk in fixture_chunks()[:24]]


@pytest.fixture(scope="module")
def fp32_embeddings(calibrated_matcher_dir, texts):
    return MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="fp32").encode(texts, batch_size=8)


@pytest.mark.parametrize(("requested", "bf16_native", "expected"), [
    ("auto", True, "bf16"), ("auto", False, "int8"), ("fp32", True, "fp32"), ("bf16", False, "bf16"), ("int8", True, "int8"),
])
def test_auto_is_native_bf16_else_int8_on_a_cpu(requested, bf16_native, expected):
    assert resolve_precision(requested, CPU, bf16_native=bf16_native) == expected


@pytest.mark.parametrize(("value", "native"), [("0", False), ("1", True)])
def test_the_environment_overrides_the_cpu_bf16_probe_for_every_auto_choice(monkeypatch, value, native):
    monkeypatch.setenv(runtime.CPU_NATIVE_BF16_ENV, value)
    assert runtime.native_bf16(CPU) is native
    assert resolve_precision("auto", CPU) == ("bf16" if native else "int8")
    assert runtime.use_bf16("auto", CPU) is native  # training's autocast follows it too


def test_a_bad_cpu_bf16_override_is_one_line_naming_the_setting(monkeypatch, calibrated_matcher_dir, tmp_path):
    monkeypatch.setenv(runtime.CPU_NATIVE_BF16_ENV, "no")
    with pytest.raises(ValueError, match=r"\$WRITING7_CPU_NATIVE_BF16 is 'no': use 0 .* or 1, or unset it"):
        runtime.native_bf16(CPU)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"id": "a", "pair": ["one text here", "another one"]}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["score-pairs", str(pairs), "--output", str(tmp_path / "out.jsonl"), "--model", str(calibrated_matcher_dir)])
    assert result.exit_code != 0
    assert "WRITING7_CPU_NATIVE_BF16" in result.output and "Traceback" not in result.output


def test_auto_never_picks_int8_off_the_cpu_and_int8_is_refused_there():
    assert resolve_precision("auto", torch.device("cuda"), bf16_native=False) == "fp32"
    with pytest.raises(ValueError, match="int8 runs on the CPU only .* use --device cpu"):
        resolve_precision("int8", torch.device("cuda"))
    with pytest.raises(ValueError, match="precision 'fp16' is not one of auto, fp32, bf16, int8"):
        resolve_precision("fp16", CPU)


@pytest.mark.parametrize("vnni", [True, False])
def test_quantized_copy_replaces_every_linear_and_leaves_the_float_model_alone(calibrated_matcher_dir, texts, fp32_embeddings, vnni):
    model = MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="fp32")
    quantized = quantize_linear_layers(model.encoder, vnni=vnni)
    float_layers = [name for name, module in quantized.named_modules() if type(module) is torch.nn.Linear]
    assert float_layers == ["transformer.model.encoder.layer.0.output.dense", "transformer.model.encoder.layer.1.output.dense"]
    assert sum(isinstance(module, runtime.FullRangeDynamicLinear) for module in quantized.modules()) >= 10
    assert sum(type(module) is torch.nn.Linear for module in model.encoder.modules()) >= 12  # the float encoder is untouched
    low, high = runtime.int8_weight_range(vnni)
    weights = quantized.transformer.model.encoder.layer[1].intermediate.dense.weight().int_repr()
    assert low <= int(weights.min()) and int(weights.max()) <= high
    np.testing.assert_allclose(model.encode(texts, batch_size=8), fp32_embeddings, atol=1e-6)


def test_int8_model_encodes_like_fp32(calibrated_matcher_dir, texts, fp32_embeddings):
    model = MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="int8")
    assert model.precision == "int8" and model.quantized_encoder is not None
    embeddings = model.encode(texts, batch_size=8)
    assert embeddings.shape == fp32_embeddings.shape and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert minimum_cosine(fp32_embeddings, embeddings) >= runtime.MIN_COSINE["int8"]
    assert not np.array_equal(embeddings, fp32_embeddings)  # it did run the quantized encoder


def test_int8_scores_like_fp32(calibrated_matcher_dir, texts):
    from writing7.config.inference import InferenceConfig

    pairs = list(zip(texts[:8], texts[8:16]))
    scores = {precision: Matcher.load(calibrated_matcher_dir, config=InferenceConfig(precision=precision).matcher_settings()).score_batch(pairs)
              for precision in ("fp32", "int8")}
    assert Matcher.load(calibrated_matcher_dir, config=InferenceConfig(precision="int8").matcher_settings()).model.precision == "int8"
    for fp32, int8 in zip(scores["fp32"], scores["int8"]):
        assert abs(fp32["p_same_book"] - int8["p_same_book"]) < 0.02 and abs(fp32["p_same_author"] - int8["p_same_author"]) < 0.02


def auto_int8_model(directory):
    """A model loaded with ``auto`` planned as on a CPU without native bf16 (whatever this CPU has)."""
    model = MatcherModel.load(directory, device="cpu", precision="fp32")
    model.precision_plan = PrecisionPlan("auto", CPU, bf16_native=False)
    return model


def test_auto_keeps_int8_when_the_check_batch_matches(calibrated_matcher_dir, texts, fp32_embeddings, caplog):
    model = auto_int8_model(calibrated_matcher_dir)
    assert model.precision == "int8" and model.precision_plan.check_pending
    with caplog.at_level(logging.INFO, logger="writing7.models.runtime"):
        embeddings = model.encode(texts, batch_size=8)
    assert model.precision == "int8" and not model.precision_plan.check_pending
    assert model.precision_plan.check_cosine >= runtime.MIN_COSINE["int8"] and "int8 matches float32" in caplog.text
    assert minimum_cosine(fp32_embeddings, embeddings) >= runtime.MIN_COSINE["int8"]
    later = model.encode(texts[:4], batch_size=8)  # int8 again, no second check; per-batch activation scales move the last digits
    assert model.precision_plan.check_cosine is not None and minimum_cosine(embeddings[:4], later) >= 0.999
    assert not np.allclose(later, fp32_embeddings[:4], atol=1e-6)


def test_auto_falls_back_to_fp32_when_int8_differs(calibrated_matcher_dir, texts, fp32_embeddings, monkeypatch, caplog):
    monkeypatch.setitem(runtime.MIN_COSINE, "int8", 1.5)  # an impossible bar: int8 never matches
    model = auto_int8_model(calibrated_matcher_dir)
    with caplog.at_level(logging.WARNING, logger="writing7.models.runtime"):
        embeddings = model.encode(texts, batch_size=8)
    assert model.precision == "fp32" and model.quantized_encoder is None
    assert "int8 embeddings differ from float32" in caplog.text
    np.testing.assert_allclose(embeddings, fp32_embeddings, atol=1e-6)  # every row, the check batch's too


def test_mining_encoder_runs_int8(tiny_sentence_transformer, texts):
    reference = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="fp32").encode(texts, batch_size=8)
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="int8")
    assert encoder.dtype_name == "int8" and encoder.check_precision(texts) == "int8" and encoder.precision_check_cosine is None
    assert minimum_cosine(reference, encoder.encode(texts, batch_size=8)) >= runtime.MIN_COSINE["int8"]
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="auto")
    encoder.plan = PrecisionPlan("auto", CPU, bf16_native=False)
    assert encoder.check_precision(texts) == "int8" and encoder.precision_check_cosine >= runtime.MIN_COSINE["int8"]
    assert encoder.check_precision(texts, min_cosine=1.5) == "int8"  # checked once: the choice stands


def spy_on_precision(monkeypatch):
    """Record the precision every MatcherModel.load is asked for (the real load still runs)."""
    asked = []
    real_load = MatcherModel.load.__func__

    def load(cls, *args, **kwargs):
        asked.append(kwargs.get("precision", "auto"))
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(MatcherModel, "load", classmethod(load))
    return asked


def test_score_and_score_pairs_pass_the_precision_to_the_model(calibrated_matcher_dir, texts, tmp_path, monkeypatch):
    asked = spy_on_precision(monkeypatch)
    result = runner.invoke(app, ["score", texts[0], texts[1], "--model", str(calibrated_matcher_dir), "--precision", "int8"])
    assert result.exit_code == 0, result.output
    assert 0.0 <= json.loads(result.stdout)["p_same_book"] <= 1.0
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"p{i}", "pair": [texts[0], text]}) + "\n" for i, text in enumerate(texts[1:4])))
    result = runner.invoke(app, ["score-pairs", str(source), "--output", str(tmp_path / "out.jsonl"), "--model", str(calibrated_matcher_dir),
                                 "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    assert asked == ["int8", "fp32"]


def test_index_and_search_pass_the_precision(calibrated_matcher_dir, fixture_corpus, tmp_path, monkeypatch):
    asked = spy_on_precision(monkeypatch)
    index = tmp_path / "index"
    result = runner.invoke(app, ["index", "--corpus", str(fixture_corpus), "--model", str(calibrated_matcher_dir), "--out", str(index),
                                 "--max-chunks-per-book", "2", "--precision", "int8"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["search", "It was a dark and stormy night.", "--index", str(index), "--precision", "bf16", "--json"])
    assert result.exit_code == 0, result.output
    assert asked == ["int8", "bf16"]


@pytest.mark.parametrize("command", [
    ["score", "a b c", "d e f"], ["score-pairs", "in.jsonl", "--output", "out.jsonl"], ["compare", "a.txt", "b.txt"],
    ["search", "a passage"], ["serve"], ["index", "--corpus", "."],
])
def test_a_bad_precision_is_one_error_line(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("in.jsonl", "a.txt", "b.txt"):
        (tmp_path / name).write_text('{"id": "p", "pair": ["a b", "c d"]}\n' if name.endswith("jsonl") else "Some prose here.\n")
    result = runner.invoke(app, [*command, "--precision", "fp16"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "precision = 'fp16': is not a known choice" in lines[0]
    assert "auto, fp32, bf16, int8" in lines[0]


def test_without_float_layers_every_linear_is_quantized(calibrated_matcher_dir):
    encoder = MatcherModel.load(calibrated_matcher_dir, device="cpu", precision="fp32").encoder
    quantized = quantize_linear_layers(encoder, keep_float=None)
    assert not any(type(module) is torch.nn.Linear for module in quantized.modules())


@pytest.fixture
def avx512_bf16_cpu_without_amx(monkeypatch):
    """A CPU with AVX512-BF16 and no AMX, with no override set, and the per-process probe result forgotten before and after."""
    monkeypatch.delenv(runtime.CPU_NATIVE_BF16_ENV, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    runtime._bf16_pays_on_this_cpu.cache_clear()
    yield
    runtime._bf16_pays_on_this_cpu.cache_clear()


@pytest.mark.parametrize(("speedup", "bf16"), [(0.6, False), (1.1, False), (1.2, True), (2.0, True)])
def test_avx512_bf16_without_amx_runs_bf16_only_where_the_probe_finds_it_faster(avx512_bf16_cpu_without_amx, monkeypatch, caplog,
                                                                                 speedup, bf16):
    probes = []
    monkeypatch.setattr(runtime, "bf16_speedup", lambda: probes.append(speedup) or speedup)
    with caplog.at_level(logging.INFO, logger="writing7.models.runtime"):
        assert runtime.native_bf16(CPU) is bf16
        assert resolve_precision("auto", CPU) == ("bf16" if bf16 else "int8")
        assert runtime.use_bf16("auto", CPU) is bf16  # training's autocast follows the same probe
    assert probes == [speedup]  # measured once per process
    assert f"{speedup:.2f}x float32's speed" in caplog.text


def test_amx_and_the_override_need_no_probe(avx512_bf16_cpu_without_amx, monkeypatch):
    def no_probe() -> float:
        raise AssertionError("the probe must not run")

    monkeypatch.setattr(runtime, "bf16_speedup", no_probe)
    monkeypatch.setenv(runtime.CPU_NATIVE_BF16_ENV, "0")
    assert not runtime.native_bf16(CPU)
    monkeypatch.delenv(runtime.CPU_NATIVE_BF16_ENV)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert runtime.native_bf16(CPU)


def test_the_bf16_probe_times_both_paths_of_a_real_product():
    speedup = runtime.bf16_speedup(rows=64, width=32, repeats=2)  # runs on any CPU (bf16 emulated where not native)
    assert np.isfinite(speedup) and speedup > 0
