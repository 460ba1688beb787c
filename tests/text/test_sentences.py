import numpy as np
import pytest

from writing7.text.sentences import book_sentences, paragraph_spans, split_sentences

ENGINES = [pytest.param(True, id="spacy"), pytest.param(False, id="regex")]


def sentences(text, use_spacy):
    return [text[start:end] for start, end in split_sentences(text, use_spacy=use_spacy)]


@pytest.mark.parametrize("use_spacy", ENGINES)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Mrs. Jones. They talked.", ["Mr. Smith met Mrs. Jones.", "They talked."]),
        ("Dr. Watson went to St. Paul's. It rained.", ["Dr. Watson went to St. Paul's.", "It rained."]),
        ("Capt. Hook and Col. Brandon met. Then they ate.", ["Capt. Hook and Col. Brandon met.", "Then they ate."]),
        ("J. R. R. Tolkien wrote it. A. B. Jones read it.", ["J. R. R. Tolkien wrote it.", "A. B. Jones read it."]),
        ("So did I. Then we left.", ["So did I.", "Then we left."]),
        ("It was 3.5 miles. We walked.", ["It was 3.5 miles.", "We walked."]),
        ("It happened in 1850. 1851 was worse.", ["It happened in 1850.", "1851 was worse."]),
        ("Frankland v. Regina was heard. He lost.", ["Frankland v. Regina was heard.", "He lost."]),
    ],
)
def test_abbreviations_initials_and_numbers(text, expected, use_spacy):
    assert sentences(text, use_spacy) == expected


@pytest.mark.parametrize("use_spacy", ENGINES)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Curly quotes: the opening quote belongs to the sentence it opens.
        (
            "“Hello,” said he. “Where are you going?” “Home!” she cried.",
            ["“Hello,” said he.", "“Where are you going?”", "“Home!” she cried."],
        ),
        # Straight quotes, and a speech tag after "!" continues the sentence.
        (
            '"Is it?" asked she. "Yes." It was.',
            ['"Is it?" asked she.', '"Yes."', "It was."],
        ),
        ("'Well,' said Alice. 'I never!' she added.", ["'Well,' said Alice.", "'I never!' she added."]),
        ('He said:--"No." I agreed.', ['He said:--"No."', "I agreed."]),
    ],
)
def test_quotes_and_dialogue(text, expected, use_spacy):
    assert sentences(text, use_spacy) == expected


@pytest.mark.parametrize("use_spacy", ENGINES)
def test_blank_line_always_ends_a_sentence(use_spacy):
    text = "CHAPTER I\n\nIt was a dark\nand stormy night\n\n  the end  \n"
    assert sentences(text, use_spacy) == ["CHAPTER I", "It was a dark\nand stormy night", "the end"]


@pytest.mark.parametrize("use_spacy", ENGINES)
def test_spans_index_the_original_text_without_surrounding_whitespace(use_spacy):
    text = "  One.  Two?\r\n\n Three!  "
    spans = split_sentences(text, use_spacy=use_spacy)
    assert [text[start:end] for start, end in spans] == ["One.", "Two?", "Three!"]
    assert all(start < end for start, end in spans)
    assert [start for start, _ in spans] == sorted(start for start, _ in spans)


def test_empty_and_blank_texts_have_no_sentences():
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []
    assert paragraph_spans("a\n\n\nb") == [(0, 1), (4, 5)]


BOOK = "Mr. Smith met Mrs. Jones. They talked.\n\n“Where?” she asked. He left.\n\nIt rained all day. Then it stopped."


def cached_span_files(cache):
    return sorted((cache / "sentences").glob("*.npy"))


def test_book_sentences_are_split_once_then_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_CACHE", str(tmp_path))
    assert book_sentences(BOOK) == split_sentences(BOOK)
    (stored,) = cached_span_files(tmp_path)
    # Spans written under the text's key are what a second call returns: it reads, it does not split again.
    np.save(stored, np.array([[0, 3]], dtype=np.int64))
    assert book_sentences(BOOK) == [(0, 3)]
    # Another text has another key.
    assert book_sentences(BOOK + " More.") == split_sentences(BOOK + " More.")
    assert len(cached_span_files(tmp_path)) == 2


def test_damaged_or_unwritable_cache_never_fails_a_split(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_CACHE", str(tmp_path))
    book_sentences(BOOK)
    (stored,) = cached_span_files(tmp_path)
    stored.write_bytes(b"")  # a truncated file
    assert book_sentences(BOOK) == split_sentences(BOOK)
    assert np.load(stored).tolist() == [list(span) for span in split_sentences(BOOK)]  # and rewritten whole
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("WRITING7_CACHE", str(blocked))
    assert book_sentences(BOOK) == split_sentences(BOOK)
