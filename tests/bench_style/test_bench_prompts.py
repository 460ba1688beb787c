"""Prompts: imitation vs neutral messages, modes, briefs and seeds, and the text clean-up."""

from __future__ import annotations

import pytest

from writing7.bench_style.prompts import (
    CONTENT_BRIEFS,
    build_prompts,
    clean_generation,
    display_name,
    imitation_messages,
    neutral_messages,
    sample_briefs,
    target_words,
    trim_to_words,
)

EXCERPT = "It was a dark night. The wind howled over the moor."


def test_display_names() -> None:
    assert display_name("conrad-joseph") == "Joseph Conrad"
    assert display_name("montgomery-l-m") == "L. M. Montgomery"
    assert display_name("doyle-arthur-conan") == "Arthur Conan Doyle"
    assert display_name("montgomery-l-m", "Montgomery, L. M. (Lucy Maud)") == "L. M. Montgomery"
    assert display_name("orczy-emmuska", "Orczy, Emmuska Orczy, Baroness") == "Emmuska Orczy"
    assert display_name("saki", "Saki") == "Saki"


def test_trim_to_words_stops_at_a_sentence_end() -> None:
    assert trim_to_words(EXCERPT, 100) == EXCERPT
    assert trim_to_words(EXCERPT, 8) == "It was a dark night."
    assert trim_to_words("no sentence end in these words at all", 4) == "no sentence end in"


def test_clean_generation() -> None:
    assert clean_generation("Sure! Here is a passage in his style:\n\nThe rain fell.") == "The rain fell."
    assert clean_generation('"The rain fell."') == "The rain fell."
    assert clean_generation('"Go," he said. "Now."') == '"Go," he said. "Now."'  # dialogue keeps its quotes
    assert clean_generation("Here the river bends.") == "Here the river bends."  # one line: nothing to drop


def test_imitation_modes() -> None:
    both = imitation_messages(mode="both", author_name="Joseph Conrad", excerpt=EXCERPT, brief="a storm", words=100)
    excerpt_only = imitation_messages(mode="excerpt", author_name="Joseph Conrad", excerpt=EXCERPT, brief="a storm", words=100)
    brief_only = imitation_messages(mode="brief", author_name="Joseph Conrad", excerpt=EXCERPT, brief="a storm", words=100)
    assert [m["role"] for m in both] == ["system", "user"]
    assert all(part in both[1]["content"] for part in ("Joseph Conrad", EXCERPT, "a storm", "about 100 words"))
    assert EXCERPT in excerpt_only[1]["content"] and "Conrad" not in excerpt_only[1]["content"]
    assert "a storm" not in excerpt_only[1]["content"]
    assert "Joseph Conrad" in brief_only[1]["content"] and EXCERPT not in brief_only[1]["content"]
    with pytest.raises(ValueError, match="prompt mode 'poem' is unknown"):
        imitation_messages(mode="poem", author_name="x", excerpt="y", brief="z", words=10)


def test_neutral_prompt_has_no_style_instruction() -> None:
    (system, user) = neutral_messages(mode="both", brief="a storm", words=100)
    assert "a storm" in user["content"] and "style" not in user["content"] and "style" not in system["content"]


def test_build_prompts_pairs_samples_across_authors() -> None:
    authors = {"conrad-joseph": ("Joseph Conrad", EXCERPT), "grey-zane": ("Zane Grey", "The sage was purple.")}
    prompts = build_prompts(authors=authors, samples=3, seed=10, mode="both", max_new_tokens=200)
    neutral = [p for p in prompts if p.kind == "neutral"]
    imitations = [p for p in prompts if p.kind == "imitation"]
    assert len(neutral) == 3 and len(imitations) == 6 and prompts[:3] == neutral
    for prompt in imitations:
        control = neutral[prompt.sample]
        assert (prompt.seed, prompt.brief) == (control.seed, control.brief) == (10 + prompt.sample, sample_briefs(3, 10)[prompt.sample])
    assert {p.author for p in imitations} == set(authors)


def test_briefs_and_lengths() -> None:
    assert sample_briefs(3, 0) == sample_briefs(3, 0) and len(set(sample_briefs(len(CONTENT_BRIEFS), 1))) == len(CONTENT_BRIEFS)
    assert len(sample_briefs(len(CONTENT_BRIEFS) + 2, 0)) == len(CONTENT_BRIEFS) + 2
    assert target_words(200) == 120 and target_words(10) == 30
