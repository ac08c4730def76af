"""Canonical URLs and content hashes: one article, however it is reached."""
import pytest

from pipelines.dedup import canonical_url, content_hash


@pytest.mark.parametrize("a, b", [
    ("https://www.Example.org/news/a?utm_source=x&utm_medium=rss", "https://example.org/news/a"),
    ("http://example.org/news/a#comments", "https://example.org/news/a"),
    ("https://example.org:443/news/a?fbclid=abc&id=7", "https://example.org/news/a?id=7"),
    ("https://example.org/news/a?b=2&a=1", "https://example.org/news/a?a=1&b=2"),
    ("https://example.org//news//a", "https://example.org/news/a"),
])
def test_same_article_same_canonical_url(a, b):
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize("a, b", [
    ("https://example.org/news/a?id=7", "https://example.org/news/a?id=8"),
    ("https://example.org/news/a", "https://example.org/news/b"),
    ("https://example.org:8080/news/a", "https://example.org/news/a"),
])
def test_different_articles_stay_different(a, b):
    assert canonical_url(a) != canonical_url(b)


def test_content_hash_ignores_case_and_whitespace():
    text = "Russia and Pakistan held the Druzhba exercise. " * 10
    assert content_hash("T", text) == content_hash("T", "  " + text.upper().replace(" ", "\n  "))
    assert content_hash("T", text) != content_hash("T", text + " More.")


def test_short_texts_are_told_apart_by_title():
    assert content_hash("Dawn: talks begin", "Read more.") != content_hash("TASS: talks end", "Read more.")


def test_simhash_equals_the_plain_bit_by_bit_definition():
    import hashlib
    import random

    from pipelines.dedup import MIN_SHINGLES, shingles, simhash

    def plain(text):  # the definition, one bit at a time
        grams = shingles(text)
        if len(grams) < MIN_SHINGLES:
            return None
        votes = [0] * 64
        for gram in grams:
            h = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")
            for bit in range(64):
                votes[bit] += 1 if h >> bit & 1 else -1
        return sum(1 << bit for bit, v in enumerate(votes) if v > 0)

    rng = random.Random(7)
    words = "Moscow Islamabad talks security exercise Druzhba helicopters wheat trade Rosji Пакистан".split()
    for length in (10, 60, 400, 3000):
        text = " ".join(rng.choice(words) for _ in range(length))
        assert simhash(text) == plain(text)
