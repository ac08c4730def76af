"""HTML page -> article text and metadata, via trafilatura.

Accuracy is measured by ``bench/extraction_f1.py`` (and asserted by
``tests/test_extraction_benchmark.py``) on 181 real pages of the article-extraction benchmark.
"""
from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import lxml.etree
import lxml.html
import trafilatura
import trafilatura.metadata as tm
from htmldate import find_date
from trafilatura.utils import load_html

from pipelines.clock import as_utc, utcnow
from pipelines.language import detect_language
from pipelines.text import one_line

log = logging.getLogger(__name__)

# Real article pages are well under 2 MB (the benchmark's largest is 1.5 MB). Past this the
# page is cut: the article sits near the top, and parse time grows with size (20 MB ~ 9 s).
MAX_HTML_CHARS = 5_000_000
# On pages with no article trafilatura still returns scraps (a menu line, a cookie notice, a
# headline list); real articles are longer (the benchmark's shortest body is 369 characters).
# The one threshold for "is there an article": below it ingest falls back to the feed's text.
MIN_ARTICLE_CHARS = 200
# A binary file served as text/html (an image, an archive, random bytes) decodes to characters, and
# wrapped in markup trafilatura keeps them as an article. Read as UTF-8 (what most servers declare)
# half of them are U+FFFD; read as a one-byte code page (Latin-1, cp1251) they are letters of both
# cases in random order, with symbols between. Measured on the 181 benchmark articles and 986
# development-set texts against random bytes: U+FFFD none against 0.5 of the characters; letters,
# marks and digits at least 0.79 of the characters (the text extracted from a page of code) against
# 0.30 as UTF-8; a lower-case letter followed by a capital inside a word at most 0.022 per letter
# ("iPhone", "McDonald") against 0.11-0.17 as Latin-1 or cp1251. The first 1,500 characters are
# enough (junk is junk throughout) and cost 0.4 ms a text.
BINARY_SAMPLE_CHARS = 1500
MAX_REPLACEMENT_SHARE = 0.05
MIN_WORD_CHARACTER_SHARE = 0.6
# Shares of letters and case flips say nothing of a few characters ("0." is half punctuation):
# below this many, only the U+FFFD share judges. Ingest asks about 200 characters or more anyway.
MIN_CHARACTERS_TO_JUDGE = 100
MAX_CASE_FLIPS_PER_LETTER = 0.06
# Publication dates: more than a day past `now` is a time-zone slip or a scheduled post, so it is
# clamped to now (the article is fresh either way); more than a year ahead, or before 1995
# (htmldate's own floor; CMS placeholders like 0001-01-01), is junk and dropped. htmldate is
# told the same year-ahead limit, since by default it silently drops any future date.
FUTURE_TOLERANCE = timedelta(days=1)
DATE_LOOKAHEAD = timedelta(days=365)
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=timezone.utc)

# Options chosen on the benchmark by F1 and cost (bench/extraction_options.py; the table is in
# bench/README.md):
# - favor_precision: best F1 there and less boilerplate ("related stories" headlines) reaching
#   the watch filter as false matches;
# - fast first, fallback extractors only when the fast pass finds less than FAST_ENOUGH_CHARS:
#   trafilatura's readability/justext comparison matters on the pages where its own pass finds
#   (almost) nothing; everywhere else it costs a third of the time and changes no text. Fast
#   alone drops recall to .946, fallback always costs 21 ms/page against 15 for this;
# - include_comments=False: readers' comments are not the article;
# - include_tables=True: tables in articles are content (default-mode F1 .960 -> .957 without);
# - deduplicate=False: trafilatura's dedup cache is process-wide, so a page's text would depend
#   on pages seen before; it also cost recall (.961);
# - metadata read here (``_metadata``) from the same parsed tree, as trafilatura does, but without
#   the categories, tags and licence we do not keep (a third of its metadata time), without
#   htmldate when the page states its exact publication time (three pages in four), and with the
#   author from meta tags and JSON-LD only: trafilatura's search of the page body for a byline
#   cost 2.5 ms a page (a tenth of a worker's time) for a column nothing reads; it found 48 more
#   authors on the 181 benchmark pages.
_TRAFILATURA_OPTIONS = dict(
    favor_precision=True,
    include_comments=False,
    include_tables=True,
    deduplicate=False,
)
FAST_ENOUGH_CHARS = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")  # lxml refuses these


def bounded_html(html: str) -> str:
    """The page as lxml will take it: cut at MAX_HTML_CHARS, the characters it refuses removed."""
    return _CONTROL.sub("", html[:MAX_HTML_CHARS])


_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([a-zA-Z]{2})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    author: str | None
    published_at: datetime | None  # timezone-aware, UTC
    language: str | None  # ISO 639-1
    sitename: str | None


def extract_article(
    html: str,
    url: str | None = None,
    *,
    language_hint: str | None = None,
    now: datetime | None = None,
    need_title: bool = True,
    need_date: bool = True,
) -> Extracted | None:
    """The article in ``html``, or None when there is none (or the input is unusable).

    ``need_title=False`` / ``need_date=False``: the caller has them already (a feed entry's title
    and date win over the page's), so ``title`` / ``published_at`` are None unless the page's
    meta tags give the title for free, and no time is spent looking for them in the page.
    Never raises: a crawler meets every kind of broken page, and one must not stop the run.
    """
    now = as_utc(now) if now else utcnow()
    try:
        html = bounded_html(html)
        if not html.strip():
            return None
        tree = load_html(html)
        if tree is None:
            return None
        text = _text(tree, url, fast=True)
        if len(text) < FAST_ENOUGH_CHARS:
            text = _text(tree, url, fast=False)  # what trafilatura alone would have given
        text = _read_escaped_markup(text)
        if len(text) < MIN_ARTICLE_CHARS or looks_like_binary(text):
            return None
        meta = _metadata(tree, url, now, need_title)
        lang_match = _HTML_LANG.search(html, 0, 5000)
        published = (_exact_published_time(html, now) or parse_date(meta.date(), now=now)) if need_date else None
        return Extracted(
            text=text,
            title=one_line(meta.title) or None,
            author=one_line(meta.author) or None,
            published_at=published,
            language=detect_language(text, hint=language_hint or (lang_match and lang_match[1])),
            sitename=one_line(meta.sitename) or None,
        )
    except Exception:  # lxml, htmldate, recursion on pathological trees...
        log.debug("extraction failed for %s", url, exc_info=True)
        return None


def looks_like_binary(text: str) -> bool:
    """Whether ``text`` is a binary file's bytes read as characters (see BINARY_SAMPLE_CHARS)."""
    words = text[:BINARY_SAMPLE_CHARS].split()
    characters = sum(map(len, words))
    if not characters:
        return False
    if sum(w.count("\ufffd") for w in words) > MAX_REPLACEMENT_SHARE * characters:
        return True
    if characters < MIN_CHARACTERS_TO_JUDGE:
        return False
    letters = digits_and_marks = flips = 0
    for word in words:
        for previous, c in zip(" " + word, word):
            kind = unicodedata.category(c)[0]
            if kind == "L":
                letters += 1
                flips += previous.islower() and c.isupper()
            elif kind in "MN":
                digits_and_marks += 1
    return (letters + digits_and_marks < MIN_WORD_CHARACTER_SHARE * characters
            or flips > MAX_CASE_FLIPS_PER_LETTER * max(letters, 1))


def _text(tree, url: str | None, *, fast: bool) -> str:
    """trafilatura's text of the page (it works on a copy of ``tree``), or ''."""
    doc = trafilatura.bare_extraction(tree, url=url, fast=fast, **_TRAFILATURA_OPTIONS)
    return (doc.text or "").strip() if doc is not None else ""


@dataclass
class _Meta:
    title: str | None
    author: str | None
    sitename: str | None
    date: Callable[[], str | None]  # htmldate's date, asked for only when the page has no exact time


# trafilatura's metadata steps are module functions, not its documented API: should a release
# rename one, ``_metadata`` falls back to the documented ``extract_metadata`` (slower, same fields).
_METADATA_STEPS = all(hasattr(tm, name) for name in (
    "examine_meta", "extract_meta_json", "extract_title", "extract_url", "extract_sitename", "META_URL"))


def _metadata(tree, url: str | None, now: datetime, need_title: bool = True) -> _Meta:
    """Title and site name as ``trafilatura.extract_metadata`` finds them (the same steps, in its
    order), the author from meta tags and JSON-LD, the date as htmldate finds it, lazily."""
    date_params = {
        "original_date": True,  # publication date, not last-modified
        "extensive_search": True,
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",  # keep the time and offset
        "max_date": (now + DATE_LOOKAHEAD).strftime("%Y-%m-%d"),
    }
    if not _METADATA_STEPS:  # another trafilatura
        doc = tm.extract_metadata(tree, url, date_params)
        return _Meta(doc.title, doc.author, doc.sitename, lambda: doc.date)
    meta = tm.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # as trafilatura: a single word is a handle, not a name
    try:
        meta = tm.extract_meta_json(tree, meta)
    except Exception:  # bugs in trafilatura's json_metadata.py
        log.debug("JSON-LD metadata failed for %s", url, exc_info=True)
    if need_title:
        meta.title = meta.title or tm.extract_title(tree)
    meta.url = meta.url or tm.extract_url(tree, url)
    sitename = meta.sitename or tm.extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif meta.url and (found := tm.META_URL.match(meta.url)):
        sitename = found[1]
    meta.sitename = sitename
    meta.clean_and_trim()
    return _Meta(meta.title, meta.author, meta.sitename, lambda: find_date(tree, url=meta.url, **date_params))


# Tags that carry the exact publication time. htmldate (via trafilatura) prefers the day found
# in the URL or in a date-only tag over these, so NYT and CNN pages in the benchmark came out
# as midnight (CNN's even as the wrong day); we read these first and keep htmldate as fallback.
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_META_ATTR = re.compile(r"""\b(property|name|itemprop|content)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)
# Not dateCreated: some CMSs fill it with the draft's creation time or with 0001-01-01.
_PUBLISHED_KEYS = {"article:published_time", "article:published", "og:pubdate", "pubdate",
                   "datepublished"}
_JSONLD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"')


def _exact_published_time(html: str, now: datetime) -> datetime | None:
    """First plausible timestamp with time and offset in publication-time meta tags or JSON-LD."""
    head = html[:300_000]
    candidates = []
    for tag in _META_TAG.findall(head):
        attrs = {k.lower(): v.strip("\"'") for k, v in _META_ATTR.findall(tag)}
        keys = {attrs.get("property", "").lower(), attrs.get("name", "").lower()}
        keys.update(attrs.get("itemprop", "").lower().split())
        if keys & _PUBLISHED_KEYS and "content" in attrs:
            candidates.append(attrs["content"].strip())
    candidates += _JSONLD_PUBLISHED.findall(head)
    for value in candidates:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            continue
        if parsed.tzinfo is not None and len(value) > 10:  # a bare date is no better than htmldate's
            if (plausible := _plausible(parsed, now)) is not None:
                return plausible
    return None


def parse_date(value: str | None, *, now: datetime) -> datetime | None:
    """htmldate's ISO output -> aware UTC datetime (naive means UTC), or None if implausible."""
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return _plausible(datetime.strptime(value or "", fmt), now)
        except ValueError:
            continue
    return None


def _plausible(value: datetime, now: datetime) -> datetime | None:
    """In UTC; None if before 1995 or over a year ahead; clamped to now if over a day ahead."""
    value = as_utc(value)
    if value < EARLIEST_DATE or value > now + DATE_LOOKAHEAD:
        return None
    return now if value > now + FUTURE_TOLERANCE else value


# --- feed fragments -------------------------------------------------------------------------

_LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][^>]*>|&[#a-zA-Z0-9]+;")
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "svg", "head")
# Elements that end a paragraph; <br> only ends a line.
_BLOCKS = {
    "p", "div", "section", "article", "aside", "header", "footer", "blockquote", "pre",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "figure", "figcaption", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "address", "main", "nav",
}
# Break markers: private-use characters, removed from the input first so they can't collide.
_PARAGRAPH, _LINE = "\ue000", "\ue001"


def text_from_html_fragment(fragment: str) -> str:
    """Plain text of a feed's HTML snippet; paragraphs separated by one blank line.

    Feeds carry whole articles in ``content:encoded``, so this keeps all text (no boilerplate
    removal, unlike extract_article). Plain-text input passes through with its line breaks.
    """
    return _read_escaped_markup(_fragment_text(fragment))


# A CMS that escapes its body twice (or a JSON-LD articleBody holding HTML) leaves the tags in the
# text: "<p>Moscow has sent…</p>.<p>Lavrov…". The page then reads as one paragraph, and every
# "in one paragraph" rule of a watch holds across it. Three or more such tags are markup, not an
# article about HTML that names a tag.
_LITERAL_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|section|article|figure|figcaption|table|tr|td)\b[^<>\n]{0,300}>",
    re.IGNORECASE)
ESCAPED_MARKUP_TAGS = 3


def _read_escaped_markup(text: str) -> str:
    """``text`` with markup left in it read once more as HTML, else as is. Its own line breaks stay
    paragraph breaks (in blank-line form, the form the tags' paragraphs take)."""
    if len(_LITERAL_BLOCK_TAG.findall(text, 0, 200_000)) < ESCAPED_MARKUP_TAGS:
        return text
    return _fragment_text(text.replace("\n", "<br><br>")) or text


def _fragment_text(fragment: str) -> str:
    try:
        fragment = _CONTROL.sub("", fragment or "").replace(_PARAGRAPH, "").replace(_LINE, "")
        if not _LOOKS_LIKE_HTML.search(fragment):
            return _normalise(fragment.replace("\r\n", "\n"))
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        for el in list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction, *_DROP)):
            el.drop_tree()  # keeps the tail text, which belongs to the parent
        for el in root.iter():
            tag = el.tag.lower()
            if tag == "br":
                el.tail = _LINE + (el.tail or "")
            elif tag in _BLOCKS:
                el.text = _PARAGRAPH + (el.text or "")
                el.tail = _PARAGRAPH + (el.tail or "")
            elif tag in ("td", "th"):
                el.tail = " " + (el.tail or "")
        # Source newlines inside HTML are just spaces; only our markers make breaks.
        raw = re.sub(r"\s+", " ", "".join(root.itertext()))
        raw = raw.replace(_LINE, "\n").replace(_PARAGRAPH, "\n\n")
        # libxml2 silently drops everything below ~256 levels of nesting: fall back then too.
        return _normalise(raw) or _strip_tags(fragment)
    except Exception:
        log.debug("could not parse feed fragment", exc_info=True)
        return _strip_tags(fragment or "")


_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _strip_tags(fragment: str) -> str:
    """Last resort when lxml can't make sense of the fragment: drop tags, keep the words."""
    text = re.sub(r"<[^>]*>", " ", _SCRIPT_OR_STYLE.sub(" ", fragment))
    return _normalise(html_lib.unescape(text))


def _normalise(text: str) -> str:
    """Trim each line, squeeze spaces, at most one blank line between paragraphs."""
    lines = [one_line(line) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
