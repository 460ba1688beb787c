from writing7.text.fingerprint import fingerprint, normalize_for_fingerprint


def test_case_punctuation_whitespace_and_compatibility_forms_do_not_matter():
    base = fingerprint("It was the best of times, it was the worst of times.")
    assert fingerprint("IT WAS THE BEST OF TIMES -- it was the worst of times") == base
    assert fingerprint("It  was the best\nof times; it was the worst of times!") == base
    assert fingerprint("ﬁne ｗｏｒｄｓ") == fingerprint("fine words")  # ligature and full-width letters (NFKC)
    assert fingerprint("Don’t") == fingerprint("don't")


def test_different_words_differ_and_digests_are_stable():
    assert fingerprint("the best of times") != fingerprint("the worst of times")
    assert normalize_for_fingerprint("  Hello,  World! ") == "hello world"
    # A fixed value: the digest must not change between runs, processes or machines.
    assert fingerprint("hello world") == "e9a804b2e527fd3601d2ffc0bb023cd6"
