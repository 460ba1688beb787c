"""Settings that several stages share have one definition: the configs default to it instead of repeating a number."""

import dataclasses

from writing7.config.attribution import AttributionConfig
from writing7.config.bench_style import BenchStyleConfig
from writing7.config.calibrate import CalibrateConfig
from writing7.config.evaluate import EvaluateConfig
from writing7.config.index import IndexConfig
from writing7.config.inference import InferenceConfig
from writing7.config.prepare import PrepareConfig
from writing7.inference.documents import ChunkingSettings
from writing7.inference.settings import MatcherSettings
from writing7.models.precisions import DEFAULT_PRECISION
from writing7.models.scoring import ENCODE_BATCH_SIZE
from writing7.stages.verdict import chunking_settings
from writing7.text.chunks import MIN_PASSAGE_CHARACTERS, PASSAGE_SENTENCES


def test_inference_cuts_passages_of_the_length_training_read():
    assert PrepareConfig().chunk_size == BenchStyleConfig().chunk_size == PASSAGE_SENTENCES
    assert PrepareConfig().min_chunk_chars == BenchStyleConfig().min_chunk_chars == MIN_PASSAGE_CHARACTERS
    assert ChunkingSettings().chunk_size == PASSAGE_SENTENCES


def test_the_default_verdict_cuts_texts_as_the_uncalibrated_mode_does():
    """[calibrate]'s passage settings default to ChunkingSettings, so both modes read the same passages by default."""
    assert dataclasses.asdict(chunking_settings(CalibrateConfig())) == dataclasses.asdict(ChunkingSettings())


def test_every_encode_batch_setting_defaults_to_the_one_constant():
    configs = (InferenceConfig(), IndexConfig(), CalibrateConfig(), EvaluateConfig(), AttributionConfig())
    assert {config.batch_size for config in configs} == {ENCODE_BATCH_SIZE}
    assert InferenceConfig().precision == IndexConfig().precision == MatcherSettings().precision == DEFAULT_PRECISION
    assert MatcherSettings().batch_size == ENCODE_BATCH_SIZE
