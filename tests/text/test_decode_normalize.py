import codecs
import random
import unicodedata

import pytest

from writing7.text.decode import binary_reason, decode_bytes
from writing7.text.normalize import non_whitespace_count, normalize_characters, tidy_whitespace


def test_utf8_with_and_without_bom():
    assert decode_bytes(codecs.BOM_UTF8 + "café".encode()).encoding == "utf-8-sig"
    assert decode_bytes(codecs.BOM_UTF8 + "café".encode()).text == "café"
    assert decode_bytes("café".encode()).encoding == "utf-8"


def test_cp1252_quotes_and_latin1_fallback():
    decoded = decode_bytes(b"\x93Quoted\x94 \x96 dash, 20\xb0")
    assert (decoded.encoding, decoded.text) == ("cp1252", "“Quoted” – dash, 20°")
    # 0x81 is undefined in cp1252: only latin-1 accepts it.
    assert decode_bytes(b"a\x81b").encoding == "latin-1"


def test_utf8_with_a_few_stray_bytes_stays_utf8():
    data = "“Café,” she said — naïve. ".encode() * 5 + b"stray \x81 byte"
    decoded = decode_bytes(data)
    assert (decoded.encoding, decoded.replaced) == ("utf-8", 1)
    assert decoded.text.startswith("“Café,”") and "stray \ufffd byte" in decoded.text
    # Mostly single high bytes: cp1252 wins even though one pair happens to be valid UTF-8.
    assert decode_bytes(b"caf\xe9 \x93quoted\x94 \xc3\xa9").encoding == "cp1252"


def test_no_byte_sequence_makes_decoding_fail():
    generator = random.Random(0)
    for _ in range(200):
        data = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 64)))
        assert isinstance(decode_bytes(data).text, str)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \r\n\t ", "empty file"),
        (b"PK\x03\x04\x00\x00binary", "NUL bytes"),
        (b"<!DOCTYPE html><html><body>Book</body></html>", "HTML file"),
        (b"\n  <html lang='en'><p>Book</p></html>", "HTML file"),
    ],
)
def test_binary_reason(data, reason):
    assert reason in binary_reason(data)


def test_plain_text_has_no_binary_reason():
    assert binary_reason("It was a dark night.\r\n\tThe end.\f".encode()) is None


def test_newlines_unicode_and_control_characters():
    raw = "one\r\ntwo\rthree\n\tfour\x00\x07\x1b five\u200b\u00ad\ufeff e\u0301 “quoted” — ﬁ…\x0cpage"
    text = normalize_characters(raw)
    assert text == "one\ntwo\nthree\n four five é “quoted” — ﬁ…\npage"
    # NFC composes accents but keeps typographic characters that carry an edition's style.
    assert unicodedata.is_normalized("NFC", text) and "ﬁ" in text and "…" in text


def test_tidy_whitespace_and_non_whitespace_count():
    assert tidy_whitespace("\n\n  Title  \n\n\n\n\nText \n") == "  Title\n\nText\n"
    assert tidy_whitespace(" \n \n") == ""
    assert non_whitespace_count(" a\u3000b\n\xa0c\t") == 3
