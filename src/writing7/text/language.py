"""A lightweight English test: the share of word tokens that are common English function words.

English prose runs at roughly 45-55 % stopwords by this list; tables of contents, indexes, lists of
names and passages in other languages fall far below, which is all the filter needs to catch.
"""

from __future__ import annotations

import re

# Closed-class English words (pronouns, determiners, auxiliaries, prepositions, conjunctions),
# a trimmed version of the classic SMART/NLTK lists, built in so that nothing is downloaded.
ENGLISH_STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up upon very was we were what when where which while who whom why will
    with would you your yours yourself yourselves shall may might must ought thou thee thy thine ye
    """.split()
)

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")


def word_tokens(text: str) -> list[str]:
    """Lower-cased alphabetic word tokens (``don't`` and ``don’t`` stay one token)."""
    return [word.lower() for word in _WORD.findall(text)]


def stopword_ratio(text: str) -> float:
    """``(# tokens in ENGLISH_STOPWORDS) / (# word tokens)``; 0.0 for a text without words."""
    words = word_tokens(text)
    if not words:
        return 0.0
    return sum(word in ENGLISH_STOPWORDS for word in words) / len(words)
