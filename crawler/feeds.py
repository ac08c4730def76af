"""Feed bytes → entries. Plain Python: no Scrapy, no network.

feedparser is only ever given the downloaded bytes (wrapped in BytesIO: a bare ``str``/``bytes``
that looks like a URL or a path would make it open one) plus the HTTP response headers, so it
can weigh the HTTP charset against the XML declaration the way RFC 3023 says; it falls back to
the declared encoding when the HTTP one cannot decode the bytes (e.g. ``text/xml`` without a
charset → us-ascii → the ISO-8859-2 declaration wins).
"""
from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import feedparser


@dataclass
class FeedEntry:
    link: str | None              # absolute URL (relative links are joined to the feed URL)
    entry_id: str | None          # RSS guid / Atom id
    title: str | None
    published: datetime | None    # UTC-aware
    content: str | None           # content:encoded / Atom <content>, HTML
    summary: str | None           # description / Atom <summary>, HTML
    language: str | None


@dataclass
class ParsedFeed:
    entries: list[FeedEntry] = field(default_factory=list)
    is_feed: bool = False
    error: str | None = None      # why the XML was not well-formed; entries parsed so far are kept
    language: str | None = None
    title: str | None = None
    version: str | None = None    # "rss20", "rss10", "atom10", … as feedparser names them


def parse_feed(body: bytes, headers: dict[str, str], url: str) -> ParsedFeed:
    """Parse one downloaded feed. Never raises on bad input; see ``ParsedFeed.error``."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    # No Content-Location: feedparser would then rewrite GUIDs into URLs. Relative-URI
    # rewriting inside HTML stays off; entry links are joined to the feed URL below.
    lowered.pop("content-location", None)
    _prefer_declared_charset(body, lowered)
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=lowered, resolve_relative_uris=False, sanitize_html=True
        )
    except Exception as exc:  # feedparser is defensive, but a crawler must not die on one feed
        return ParsedFeed(error=f"feed parser failed: {type(exc).__name__}: {exc}")

    feed_info = parsed.get("feed", {})
    feed_language = _language(feed_info.get("language") or lowered.get("content-language"))
    entries = [_entry(e, url, feed_language) for e in parsed.get("entries", [])]
    # a truncated feed leaves a last, empty entry behind: keep only entries that say something
    entries = [e for e in entries if e.link or e.title or e.content or e.summary]
    version = parsed.get("version") or None
    error = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        error = f"{type(exc).__name__}: {exc}" if exc else "malformed feed"
    # feedparser's loose parser "parses" any HTML page into zero entries and no version:
    # that is not a feed. A feed with a known version but no entries is an empty feed.
    is_feed = bool(version) or bool(entries)
    if not is_feed:
        ctype = lowered.get("content-type", "no Content-Type")
        error = f"not an RSS/Atom feed (Content-Type: {ctype})" + (f"; {error}" if error else "")
    return ParsedFeed(
        entries=entries,
        is_feed=is_feed,
        error=error,
        language=feed_language,
        title=feed_info.get("title") or None,
        version=version,
    )


# Server defaults that decode any byte sequence, so a wrong one cannot be noticed by decoding.
_DEFAULT_CHARSETS = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\s;\"']+)", re.I)


def _prefer_declared_charset(body: bytes, headers: dict[str, str]) -> None:
    """Let the XML declaration's encoding stand when the HTTP charset is absent or a server default.

    RFC 3023 lets the HTTP charset win (and makes ``text/xml`` without one us-ascii), and
    feedparser follows it. But Apache-style defaults (``charset=iso-8859-1``) are often bolted
    onto feeds the CMS wrote in ISO-8859-2 or windows-1251, and a single-byte default decodes
    anything, so the mistake is silent mojibake. The producer's own declaration is the better
    witness there, provided the bytes really decode under it. A UTF-8 (or other specific)
    header is left alone: wrong bytes fail to decode and feedparser falls back by itself.
    """
    declared = _XML_DECL.match(body[:200])
    ctype = headers.get("content-type", "")
    http = _CHARSET.search(ctype)
    if http and _utf8_mislabelled(body, http.group(1), declared):
        headers["content-type"] = f"{_CHARSET.sub('', ctype).strip() or 'application/xml'}; charset=utf-8"
        return
    if not declared:
        return
    decl_cs = declared.group(1).decode("ascii").lower()
    if http and (http.group(1).lower() not in _DEFAULT_CHARSETS or http.group(1).lower() == decl_cs):
        return
    try:
        body.decode(decl_cs)
    except (LookupError, UnicodeDecodeError):
        return
    media_type = _CHARSET.sub("", ctype).strip() or "application/xml"
    headers["content-type"] = f"{media_type}; charset={decl_cs}"


def _utf8_mislabelled(body: bytes, http_charset: str, declared: re.Match | None) -> bool:
    """UTF-8 bytes (declared UTF-8, or undeclared: XML's default) served with another charset.

    A server configured for ``windows-1251`` or ``koi8-r`` in front of a CMS that writes UTF-8
    is common; a single-byte charset decodes any bytes, so feedparser would accept the header
    and every title would be mojibake. Non-ASCII text in a legacy charset is practically never
    valid UTF-8, so valid UTF-8 wins over such a header.
    """
    if http_charset.lower().replace("_", "-").startswith(("utf-", "utf8", "ucs", "iso-10646")):
        return False
    if declared and declared.group(1).decode("ascii").lower().replace("_", "-") not in ("utf-8", "utf8"):
        return False
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _entry(e: dict, feed_url: str, feed_language: str | None) -> FeedEntry:
    link = e.get("link") or _alternate_link(e)
    guid = _no_controls(e.get("id")) or None
    if not link and guid and _is_http(guid):  # RSS guid isPermaLink="true" with no <link>
        link = guid
    link = _absolute_http(feed_url, link)
    content = None
    for part in e.get("content") or []:  # content:encoded and Atom <content>; prefer HTML
        if part.get("value"):
            content = part["value"]
            if "html" in (part.get("type") or ""):
                break
    summary = e.get("summary") or None
    if summary and content and summary.strip() == content.strip():
        summary = None  # feedparser copies content into summary when there is no description
    language = None
    detail = e.get("title_detail") or e.get("summary_detail") or {}
    if isinstance(detail, dict):
        language = _language(detail.get("language"))
    return FeedEntry(
        link=link,
        entry_id=guid,
        title=_no_controls(e.get("title")).strip() or None,
        published=_published(e),
        content=content,
        summary=summary,
        language=language or feed_language,
    )


# C0 controls but tab, LF, CR: feedparser's loose parser passes them through, and a NUL in a title
# or GUID would make PostgreSQL refuse the whole article row ("cannot contain NUL (0x00) bytes").
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _no_controls(value: str | None) -> str:
    return _CONTROLS.sub("", value) if isinstance(value, str) else ""


def _alternate_link(e: dict) -> str | None:
    for link in e.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _published(e: dict) -> datetime | None:
    # feedparser normalises every date format it knows to a UTC struct_time.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(e, key)  # not e.get: feedparser maps a missing updated_parsed to published, warning
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _language(value: str | None) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return value.strip().split("-")[0].split("_")[0].lower() or None


def _absolute_http(feed_url: str, link: str | None) -> str | None:
    """The link joined to the feed URL, if that makes a usable http(s) URL; else None."""
    if not link:
        return None
    try:
        link = urljoin(feed_url, link.strip())
    except ValueError:  # "http://[::1": urlsplit refuses a malformed IPv6 host
        return None
    return link if _is_http(link) else None


def _is_http(url: str) -> bool:
    """An http(s) URL with a host and a valid port: anything else would fail in the downloader.
    A feed writes these, so a malformed one (bad IPv6 host, port 99999) is dropped, not raised."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # .port raises for a port out of range, urlsplit for "[::1"
        return False
