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
