"""Property: text made of words, in any script, never reads as a binary file (pipelines/extract.py)."""
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.extract import looks_like_binary

# a cased word (Latin, Greek, Cyrillic) as written: lower case, perhaps with a capital first
CASED = st.tuples(st.booleans(), st.text(st.characters(categories=["Ll"], max_codepoint=0x4FF), min_size=2, max_size=12)
                  ).map(lambda t: t[1][:1].upper() + t[1][1:] if t[0] else t[1])
# a word of a script without case (Arabic, Devanagari, Han...), with its vowel signs
CASELESS = st.text(st.characters(categories=["Lo", "Mn", "Mc"], min_codepoint=0x600, max_codepoint=0x9FFF),
                   min_size=2, max_size=8)
NUMBER = st.integers(0, 10**6).map(str)
PUNCTUATION = st.sampled_from(["", "", "", ".", ",", ";", ":", "!", "?", "»", "—", ")", '"', "،", "۔", "。"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(CASED, CASELESS, NUMBER), PUNCTUATION), min_size=1, max_size=400))
def test_words_with_their_punctuation_never_look_binary(words):
    assert not looks_like_binary(" ".join(word + mark for word, mark in words))


def test_a_few_characters_are_too_few_to_judge_but_replacement_characters_are_not_text():
    assert not looks_like_binary("0.") and not looks_like_binary("7; »")  # found by the property above
    assert looks_like_binary("\ufffd\ufffdx\ufffd")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32), st.integers(1000, 4000), st.sampled_from(["utf-8", "latin-1", "cp1251"]))
def test_random_bytes_read_as_text_look_binary(seed, size, encoding):
    # uniform random bytes (st.binary would also try b"aaaa...", which is text)
    data = random.Random(seed).randbytes(size)
    assert looks_like_binary(data.decode(encoding, errors="replace"))
