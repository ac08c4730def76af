"""Extraction stage: article pages, non-articles, hostile input, dates, feed fragments, language."""
from __future__ import annotations

import logging
import os
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipelines import extract as extract_module
from pipelines.extract import Extracted, extract_article, parse_date, text_from_html_fragment
from pipelines.language import detect_language

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
URL = "https://gazette.example.org/2024/03/05/port-strike-grain"
UTC = timezone.utc


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --- article pages ---------------------------------------------------------------------------

def test_article_text_and_metadata():
    result = extract_article(fixture("article_en.html"), URL)
    assert isinstance(result, Extracted)
    assert result.text.startswith("Port strike halts grain exports")
    assert "Dock workers at the northern grain terminal walked out" in result.text
    assert result.text.endswith("without agreement on pay or staffing levels.")
    # boilerplate, related links and readers' comments stay out
    for junk in ("Privacy", "Related stories", "Shipping rates climb", "Pineapple", "Search the Gazette"):
        assert junk not in result.text
    assert result.title == "Port strike halts grain exports"
    assert result.author == "Maria Jensen"
    assert result.sitename == "Harbour Gazette"
    # the exact time from article:published_time (+02:00), converted to UTC
    assert result.published_at == datetime(2024, 3, 5, 12, 30, tzinfo=UTC)
    assert result.published_at.utcoffset().total_seconds() == 0
    assert result.language == "en"


def test_metadata_when_trafilatura_renames_its_metadata_steps(monkeypatch):
    # pipelines.extract calls trafilatura's metadata steps one by one; without them, its documented
    # extract_metadata gives the same fields
    fast = extract_article(fixture("article_en.html"), URL)
    monkeypatch.setattr(extract_module, "_METADATA_STEPS", False)
    slow = extract_article(fixture("article_en.html"), URL)
    assert (slow.title, slow.sitename, slow.published_at, slow.text) == (fast.title, fast.sitename, fast.published_at, fast.text)
    assert slow.author == "Maria Jensen"
    polish = extract_article(fixture("article_pl.html"))
    assert polish.published_at == datetime(2024, 3, 5, tzinfo=UTC)  # htmldate's date, through extract_metadata


def test_what_the_caller_has_is_not_looked_for():
    full = extract_article(fixture("article_pl.html"))
    lean = extract_article(fixture("article_pl.html"), need_title=False, need_date=False)
    assert lean.published_at is None and full.published_at is not None
    assert (lean.text, lean.language, lean.author) == (full.text, full.language, full.author)


def test_polish_article_date_only_and_language():
    result = extract_article(fixture("article_pl.html"))
    assert result is not None
    assert "gazociągu" in result.text and "Strona główna" not in result.text
    assert result.title == "Rosja i Pakistan rozmawiają o dostawach gazu"
    # only a date-only dc.date: midnight UTC
    assert result.published_at == datetime(2024, 3, 5, tzinfo=UTC)
    assert result.language == "pl"
    # a wrong hint does not override a clear text
    assert extract_article(fixture("article_pl.html"), language_hint="de").language == "pl"


def test_page_without_article_is_none():
    assert extract_article(fixture("no_article.html"), "https://gazette.example.org/login") is None


# --- dates -----------------------------------------------------------------------------------

def test_future_date_is_clamped_to_now():
    now = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert extract_article(fixture("article_en.html"), URL, now=now).published_at == now
    # the htmldate path (date-only tag) is clamped too
    assert extract_article(fixture("article_pl.html"), now=now).published_at == now


def test_date_within_a_day_ahead_is_kept():
    # 12:30 UTC on the 5th is less than a day past this `now`: clocks and zones differ
    now = datetime(2024, 3, 5, 0, 0, tzinfo=UTC)
    assert extract_article(fixture("article_en.html"), URL, now=now).published_at == datetime(
        2024, 3, 5, 12, 30, tzinfo=UTC)


def test_naive_now_is_taken_as_utc():
    now = datetime(2024, 3, 1, 8, 0)
    assert extract_article(fixture("article_en.html"), URL, now=now).published_at == now.replace(tzinfo=UTC)


def test_placeholder_published_time_falls_through_to_real_one():
    html = fixture("article_en.html").replace(
        '<meta property="article:published_time" content="2024-03-05T14:30:00+02:00">',
        '<meta itemprop="datePublished" content="0001-01-01T00:00:00Z">'
        '<meta content="2024-03-05T10:15:00Z" itemprop="datePublished">')
    assert extract_article(html, URL).published_at == datetime(2024, 3, 5, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize("value, expected", [
    ("2024-03-05T14:30:00+0200", datetime(2024, 3, 5, 12, 30, tzinfo=UTC)),
    ("2024-03-05T14:30:00", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
    ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
    ("2024-02-30", None),          # impossible
    ("2023-13-01T00:00:00", None),  # impossible
    ("1970-01-01", None),          # placeholder-era
    ("2031-01-01", None),          # years ahead: junk, not "now"
    ("yesterday", None),
    ("", None),
    (None, None),
])
def test_parse_date(value, expected):
    assert parse_date(value, now=datetime(2024, 6, 1, tzinfo=UTC)) == expected


# --- hostile input ---------------------------------------------------------------------------

@pytest.mark.parametrize("html", [
    "",
    "   \n\t ",
    "\x00" * 1000,
    "<html><body><p>" + "\ud800 lone surrogates " * 50 + "</p></body></html>",
    random.Random(7).randbytes(200_000).decode("latin-1"),  # one generator: not one byte repeated
    "<div>" * 100_000 + "<p>deep</p>" + "</div>" * 100_000,
    "<html><body><p>" + "<" * 50_000 + "</p></body></html>",
    "<!DOCTYPE html><html><head><meta charset='klingon'><title>",
], ids=["empty", "blank", "nuls", "surrogates", "binary", "deep-nesting", "angle-brackets", "truncated"])
def test_hostile_input_never_raises(html):
    result = extract_article(html, "https://example.org/x")
    assert result is None or isinstance(result, Extracted)


def _binary_in_markup(encoding: str) -> str:
    """A binary file's bytes read as ``encoding`` and wrapped in article markup: trafilatura keeps
    such characters as an article (2,512 of them from this file read as UTF-8)."""
    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(3000))
    text = data.replace(b"<", b" ").replace(b">", b" ").replace(b"&", b" ").decode(encoding, errors="replace")
    paragraphs = "".join(f"<p>{text[i:i + 400]}</p>" for i in range(0, len(text), 400))
    return f"<html><body><article>{paragraphs}</article></body></html>"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_binary_wrapped_in_markup_is_no_article(encoding):
    assert extract_article(_binary_in_markup(encoding), URL) is None
    assert trafilatura_text(_binary_in_markup(encoding))  # what it guards against: trafilatura alone keeps it


def trafilatura_text(html: str) -> str:
    import trafilatura
    return trafilatura.extract(html, favor_precision=True) or ""


def test_real_article_bodies_do_not_look_binary():
    bodies = Path(__file__).resolve().parents[2] / "shared" / "data" / "article-extraction-benchmark" / "ground-truth.json"
    if not bodies.exists():
        pytest.skip(f"the benchmark's hand-checked bodies are not here ({bodies})")
    import json
    texts = [page["articleBody"] for page in json.loads(bodies.read_text(encoding="utf-8")).values()]
    assert len(texts) == 181
    assert not [t[:60] for t in texts if extract_module.looks_like_binary(t)]
    # and the article pages of this file's own fixtures, in every script they use
    assert not extract_module.looks_like_binary(extract_article(fixture("article_en.html"), URL).text)


def test_nul_bytes_are_stripped_not_fatal():
    html = fixture("article_en.html").replace("grain terminal", "grain\x00 terminal").replace("<p>", "<p>\x00")
    result = extract_article(html, URL)
    assert result is not None
    assert "\x00" not in result.text
    assert "northern grain terminal walked out" in result.text


def test_huge_page_is_cut_and_still_yields_the_article():
    padding = ("<p>" + "Padding sentence about nothing in particular. " * 20 + "</p>\n") * 6000
    html = fixture("article_en.html").replace(
        "    </article>", padding + "<p>The closing paragraph sits past the cut.</p>\n    </article>")
    assert len(html) > extract_module.MAX_HTML_CHARS
    result = extract_article(html, URL)
    assert result is not None
    assert "Dock workers at the northern grain terminal" in result.text
    assert "closing paragraph" not in result.text  # it lies beyond MAX_HTML_CHARS


def test_internal_failure_returns_none_and_logs_debug(monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(extract_module.trafilatura, "bare_extraction", boom)
    with caplog.at_level(logging.DEBUG, logger="pipelines.extract"):
        assert extract_article(fixture("article_en.html"), URL) is None
    assert any(r.levelno == logging.DEBUG and URL in r.getMessage() for r in caplog.records)


# --- feed fragments --------------------------------------------------------------------------

def test_fragment_paragraphs_become_blank_lines():
    fragment = (
        "<p>First paragraph with <b>bold</b>\n and a source line break.</p>"
        "<p>Second&nbsp;paragraph &amp; an entity.</p>"
        "<script>alert('x')</script><style>p{color:red}</style><!-- hidden -->"
        "<ul><li>one</li><li>two</li></ul>Line A<br>Line B"
    )
    assert text_from_html_fragment(fragment) == (
        "First paragraph with bold and a source line break.\n\n"
        "Second paragraph & an entity.\n\n"
        "one\n\ntwo\n\nLine A\nLine B"
    )


ESCAPED_BODY = ("&lt;p&gt;Port workers walked out at dawn, and the grain terminal stood still by noon.&lt;/p&gt;"
                "&lt;p&gt;The union said the strike would last until the wage talks resume next week.&lt;/p&gt;"
                "&lt;p&gt;Ship agents expect delays of four days for vessels already waiting offshore.&lt;/p&gt;")


def test_a_page_whose_body_was_escaped_twice_reads_as_paragraphs_not_tags():
    # the CMS escaped its HTML once too often: trafilatura hands back the tags as text
    html = (f"<html><head><title>Port strike</title></head><body><article><h1>Port strike halts grain"
            f"</h1><p>{ESCAPED_BODY * 3}</p></article></body></html>")
    text = extract_article(html, URL).text
    assert "<p>" not in text and "</p>" not in text
    assert "Port workers walked out at dawn, and the grain terminal stood still by noon.\n\n" in text
    assert text.count("The union said the strike") == 3


def test_a_feed_entry_escaped_twice_reads_as_paragraphs():
    text = text_from_html_fragment(f"<div>{ESCAPED_BODY}</div>")
    assert text.split("\n\n") == [
        "Port workers walked out at dawn, and the grain terminal stood still by noon.",
        "The union said the strike would last until the wage talks resume next week.",
        "Ship agents expect delays of four days for vessels already waiting offshore."]


def test_a_text_that_names_a_tag_or_two_keeps_them():
    # an article about markup names its tags: two are words of the text, not markup to read again
    fragment = "<p>Editors wrap each paragraph in &lt;p&gt; and &lt;/p&gt; tags.</p><p>The guide explains why.</p>"
    assert text_from_html_fragment(fragment) == \
        "Editors wrap each paragraph in <p> and </p> tags.\n\nThe guide explains why."


def test_fragment_plain_text_keeps_its_paragraphs():
    text = "Plain summary line.\r\n\r\n\r\n  Second   paragraph.  "
    assert text_from_html_fragment(text) == "Plain summary line.\n\nSecond paragraph."


def test_fragment_entities_in_otherwise_plain_text():
    assert text_from_html_fragment("Tom &amp; Jerry &#8211; a &quot;classic&quot;") == 'Tom & Jerry – a "classic"'


@pytest.mark.parametrize("garbage", [
    "", None, "\x00\x01\x02", "<", "</p>", "<<<>>>&&&;", "a < b and c > d",
    "<![CDATA[x]]><p>y</p>", "<div>" * 5000 + "deep" + "</div>" * 5000,
    os.urandom(4096).decode("latin-1"),
])
def test_fragment_garbage_never_raises(garbage):
    result = text_from_html_fragment(garbage)
    assert isinstance(result, str)
    assert "\x00" not in result


def test_fragment_garbage_keeps_readable_text():
    assert text_from_html_fragment("a < b and c > d") == "a < b and c > d"
    assert text_from_html_fragment("<div>" * 5000 + "deep" + "</div>" * 5000) == "deep"
    assert text_from_html_fragment("<div>" * 5000 + "<script>x()</script>deep" + "</div>" * 5000) == "deep"


# --- language --------------------------------------------------------------------------------

PARAGRAPHS = {
    "en": "The city council voted on Thursday to close the old bridge to lorries after engineers "
          "found cracks in two of its supporting piers during a routine inspection.",
    "pl": "Rada miasta zdecydowała w czwartek o zamknięciu starego mostu dla ciężarówek, gdy "
          "inżynierowie podczas rutynowej kontroli znaleźli pęknięcia w dwóch filarach.",
    "ru": "В четверг городской совет проголосовал за закрытие старого моста для грузовиков после "
          "того, как инженеры обнаружили трещины в двух опорах во время плановой проверки.",
    "ur": "شہر کی کونسل نے جمعرات کو پرانے پل کو ٹرکوں کے لیے بند کرنے کے حق میں ووٹ دیا، جب "
          "انجینئروں کو معمول کے معائنے کے دوران اس کے دو ستونوں میں دراڑیں ملیں۔",
    "de": "Der Stadtrat hat am Donnerstag beschlossen, die alte Brücke für Lastwagen zu sperren, "
          "nachdem Ingenieure bei einer Routineprüfung Risse in zwei Pfeilern gefunden hatten.",
    "fr": "Le conseil municipal a voté jeudi la fermeture du vieux pont aux poids lourds après que "
          "des ingénieurs ont découvert des fissures dans deux de ses piliers lors d'une inspection.",
}


@pytest.mark.parametrize("code", sorted(PARAGRAPHS))
def test_detect_language(code):
    assert detect_language(PARAGRAPHS[code]) == code
    # a wrong hint does not override a clear paragraph
    assert detect_language(PARAGRAPHS[code], hint="fi") == code


@pytest.mark.parametrize("text", ["", "Putin", "Pakistan Russia", "12345 67890 !!!", "   "])
def test_short_or_empty_text_falls_back_to_hint(text):
    assert detect_language(text, hint="ur") == "ur"
    assert detect_language(text) is None


@pytest.mark.parametrize("hint, expected", [("pl-PL", "pl"), ("en_US", "en"), ("DE", "de"), ("", None),
                                            ("x", None), ("123", None)])
def test_hint_is_normalised_to_iso_639_1(hint, expected):
    assert detect_language("", hint=hint) == expected
