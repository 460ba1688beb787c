import json
import os
import subprocess
import sys

import pytest

from writing7.text.chunks import Chunk, chunk_text, make_chunks, sample_chunks, window_bounds
from writing7.text.language import stopword_ratio
from writing7.text.sentences import split_sentences

ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
# Ten sentences; the fifth ends a hard-wrapped line, the sixth opens a new paragraph.
TEXT = (
    " ".join(f"This is the {word} sentence of the text." for word in ORDINALS[:5])
    + "\n\n"
    + "\n".join(f"This is the {word} sentence of the text." for word in ORDINALS[5:])
)
SENTENCES = split_sentences(TEXT)


def build(chunk_size, overlap, *, min_chars=0, min_stopword_ratio=0.0, text=TEXT, sentences=SENTENCES):
    return make_chunks(
        text, sentences, book_id="author/book", author="author", chunk_size=chunk_size, overlap=overlap,
        min_chars=min_chars, min_stopword_ratio=min_stopword_ratio,
    )


def test_fixture_text_has_ten_sentences():
    assert [TEXT[start:end] for start, end in SENTENCES][9] == "This is the tenth sentence of the text."
    assert len(SENTENCES) == 10


# Hand-computed: window i covers sentences [i * overlap, i * overlap + chunk_size), full windows only.
@pytest.mark.parametrize(
    ("chunk_size", "overlap", "windows"),
    [
        (3, 3, [(0, 3), (3, 6), (6, 9)]),                              # no shared sentences, sentence 9 left over
        (4, 2, [(0, 4), (2, 6), (4, 8), (6, 10)]),                     # two shared sentences
        (5, 1, [(0, 5), (1, 6), (2, 7), (3, 8), (4, 9), (5, 10)]),      # step of one
        (10, 4, [(0, 10)]),                                             # exactly one full window
        (12, 2, [(0, 10)]),                                             # fewer sentences than chunk_size
        (2, 5, [(0, 2), (5, 7)]),                                       # step longer than the window
    ],
)
def test_windows_match_hand_computed_oracle(chunk_size, overlap, windows):
    chunks = build(chunk_size, overlap)
    assert [(chunk.sentence_start, chunk.sentence_end) for chunk in chunks] == windows
    assert window_bounds(10, chunk_size, overlap) == windows
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert chunk.start == SENTENCES[chunk.sentence_start][0]
        assert chunk.end == SENTENCES[chunk.sentence_end - 1][1]
        assert chunk.text == chunk_text(TEXT, chunk.start, chunk.end)
        assert (chunk.book_id, chunk.author) == ("author/book", "author")


def test_chunk_text_collapses_newlines_only():
    raw = "one  two\n  three\n\n\nfour\tfive"
    assert chunk_text(raw, 0, len(raw)) == "one  two three four\tfive"
    chunk = build(2, 2)[2]  # sentences 4 and 5, across the paragraph break
    assert chunk.text == "This is the fifth sentence of the text. This is the sixth sentence of the text."


def test_filters_drop_short_and_non_english_windows_but_keep_indices():
    names = "Smith. Jones. Brown. Black. White. Green."
    sentences = split_sentences(names)
    assert build(2, 2, text=names, sentences=sentences) != []
    assert build(2, 2, text=names, sentences=sentences, min_stopword_ratio=0.2) == []
    # Only the ordinals of six letters or more ("second", "fourth", "seventh", "eighth") reach this length.
    long_enough = build(1, 1, min_chars=len("This is the second sentence of the text."))
    assert [chunk.index for chunk in long_enough] == [1, 3, 6, 7]
    assert stopword_ratio("This is the text of it.") == pytest.approx(5 / 6)  # all but "text"
    assert stopword_ratio("12 34 --") == 0.0


def test_no_sentences_no_chunks_and_bad_sizes_raise():
    assert build(3, 1, text="", sentences=[]) == []
    with pytest.raises(ValueError, match="overlap is the step in sentences"):
        build(3, 0)
    with pytest.raises(ValueError, match="chunk_size=0"):
        build(0, 1)


def _many_chunks(count=50):
    return [Chunk("a/b", "a", index, index * 10, index * 10 + 9, index, index + 1, f"chunk {index}") for index in range(count)]


def test_sample_is_deterministic_in_document_order_and_seed_dependent():
    chunks = _many_chunks()
    first, again = sample_chunks(chunks, 10, seed=7), sample_chunks(list(chunks), 10, seed=7)
    assert first == again and len(first) == 10
    assert [chunk.index for chunk in first] == sorted(chunk.index for chunk in first)
    assert sample_chunks(chunks, 10, seed=8) != first
    assert sample_chunks(chunks, 50, seed=7) == chunks
    assert sample_chunks(chunks, 0, seed=7) == []
    with pytest.raises(ValueError, match="max_chunks=-1"):
        sample_chunks(chunks, -1, seed=7)


def test_sample_does_not_depend_on_python_hash_randomisation():
    script = (
        "import json; from writing7.text.chunks import Chunk, sample_chunks;"
        "chunks = [Chunk('a/b', 'a', i, i, i + 1, i, i + 1, str(i)) for i in range(50)];"
        "print(json.dumps([c.index for c in sample_chunks(chunks, 10, seed=3)]))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
        outputs.append(json.loads(completed.stdout))
    expected = [chunk.index for chunk in sample_chunks(_many_chunks(), 10, seed=3)]
    assert outputs == [expected, expected]
