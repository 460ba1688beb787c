"""Prompts of the style benchmark: an imitation prompt per (author, sample) and a neutral control per sample.

Sample ``k`` gets one content brief (a short scene, the same for every author), so imitations of
different authors differ only in the style instruction and the neutral control (the same brief,
no author, no excerpt) is the LLM's own default voice on that content. Three prompt modes:

* ``excerpt`` — a short real excerpt of the author, who is not named: pure in-context imitation;
* ``brief``   — the author's name and the content brief, no excerpt: imitation from what the LLM knows;
* ``both``    — excerpt, name and brief (the default).
"""

from __future__ import annotations

import dataclasses
import random
import re

from writing7.bench_style.backends import Message

PROMPT_MODES = ("excerpt", "brief", "both")

CONTENT_BRIEFS = (
    "a traveller arrives at a small inn late on a stormy night",
    "two old friends meet again after many years and speak about what has changed",
    "a letter arrives that changes the plans of a family",
    "someone waits at a harbour for a ship that is overdue",
    "a walk through the countryside on the first warm morning of spring",
    "a quarrel at a dinner table that everyone pretends not to notice",
    "a child explores an empty house",
    "a stranger asks for directions and is not what they seem",
)

SYSTEM_IMITATOR = "You are a skilled writer of English prose who can imitate the style of any author closely."
SYSTEM_NEUTRAL = "You are a skilled writer of English prose."
WRITE_ONLY = "Write only the passage itself: no title, no introduction, no comments."

_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?=\s|$)")
_PREAMBLE = re.compile(r"^(sure|certainly|here|of course|okay)\b[^\n]{0,160}[:.!]\s*\n+", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Prompt:
    """One generation request: ``kind`` is ``"imitation"`` (of ``author``) or ``"neutral"`` (``author`` empty)."""

    kind: str
    author: str
    sample: int
    seed: int
    brief: str
    messages: tuple[Message, ...]


def display_name(author_slug: str, catalog_name: str | None = None) -> str:
    """A readable author name: the catalog's ``Last, First (Full)`` reordered, else a guess from the slug.

    ``conrad-joseph`` -> ``Joseph Conrad``; ``montgomery-l-m`` -> ``L. M. Montgomery``.
    """
    if catalog_name:
        name = re.sub(r"\s*\([^)]*\)", "", catalog_name).strip()
        last, _, first = name.partition(", ")
        given = first.split(", ")[0]  # "Orczy, Emmuska Orczy, Baroness" -> "Emmuska Orczy"
        return given if last in given.split() else f"{given} {last}".strip()
    last, *first = author_slug.split("-")
    words = [f"{word.upper()}." if len(word) == 1 else word.capitalize() for word in [*first, last]]
    return " ".join(words)


def target_words(max_new_tokens: int) -> int:
    """Words to ask for so that a passage fits in ``max_new_tokens`` (~0.75 words a token, with slack)."""
    return max(30, int(max_new_tokens * 0.6) // 10 * 10)


def trim_to_words(text: str, max_words: int) -> str:
    """The first ``max_words`` words of ``text``, cut back to the last full sentence when there is one."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    head = " ".join(words[:max_words])
    ends = list(_SENTENCE_END.finditer(head))
    return head[: ends[-1].end()] if ends else head


def clean_generation(text: str) -> str:
    """Drop a chatty first line (``Sure! Here is a passage:``) and wrapping quotes; keep the prose as written."""
    text = _PREAMBLE.sub("", text.strip(), count=1).strip()
    quotes = sum(text.count(mark) for mark in "\"“”")
    if len(text) > 1 and text[0] in "\"“" and text[-1] in "\"”" and quotes == 2:  # one quoted block, not dialogue
        text = text[1:-1].strip()
    return text


def sample_briefs(samples: int, seed: int) -> list[str]:
    """One brief per sample, a seeded shuffle of :data:`CONTENT_BRIEFS` (repeating past its length)."""
    order = list(CONTENT_BRIEFS)
    random.Random(seed).shuffle(order)
    return [order[k % len(order)] for k in range(samples)]


def imitation_messages(*, mode: str, author_name: str, excerpt: str, brief: str, words: int) -> tuple[Message, ...]:
    """The chat messages asking for a passage in the author's style (see the module docstring for ``mode``)."""
    if mode not in PROMPT_MODES:
        raise ValueError(f"prompt mode {mode!r} is unknown; use one of: {', '.join(PROMPT_MODES)}")
    subject = f" about {brief}" if mode != "excerpt" else ""
    if mode == "brief":
        request = f"Write a passage of about {words} words{subject} in the style of {author_name}."
    else:
        who = author_name if mode == "both" else "the same author"
        request = (f"Here is a short excerpt by {who}:\n\n\"\"\"\n{excerpt}\n\"\"\"\n\n"
                   f"Write a new passage of about {words} words{subject} in the style of {who}. "
                   "Do not continue or copy the excerpt.")
    guidance = "Match the author's vocabulary, sentence length and rhythm, punctuation and tone."
    return ({"role": "system", "content": SYSTEM_IMITATOR},
            {"role": "user", "content": f"{request} {guidance} {WRITE_ONLY}"})


def neutral_messages(*, mode: str, brief: str, words: int) -> tuple[Message, ...]:
    """The control: the same request with no author, no excerpt and no style instruction."""
    subject = f" about {brief}" if mode != "excerpt" else ""
    return ({"role": "system", "content": SYSTEM_NEUTRAL},
            {"role": "user", "content": f"Write a passage of prose fiction of about {words} words{subject}. {WRITE_ONLY}"})


def build_prompts(*, authors: dict[str, tuple[str, str]], samples: int, seed: int, mode: str,
                  max_new_tokens: int) -> list[Prompt]:
    """Neutral prompts (one per sample) then imitation prompts (author x sample).

    ``authors`` maps an author slug to ``(display name, excerpt)``. Sample ``k`` uses seed
    ``seed + k`` for every prompt, so an imitation and its neutral control differ only in the prompt.
    """
    words = target_words(max_new_tokens)
    briefs = sample_briefs(samples, seed)
    prompts = [Prompt("neutral", "", k, seed + k, briefs[k], neutral_messages(mode=mode, brief=briefs[k], words=words))
               for k in range(samples)]
    for author, (name, excerpt) in authors.items():
        prompts.extend(
            Prompt("imitation", author, k, seed + k, briefs[k],
                   imitation_messages(mode=mode, author_name=name, excerpt=excerpt, brief=briefs[k], words=words))
            for k in range(samples)
        )
    return prompts
