"""The contract between the spiders and the domain.

The spiders (crawler/) yield these; ingest, the workers and the store (pipelines/) consume them.
It lives here because imports go one way: crawler/ imports pipelines/, never the reverse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipelines.text import clip, one_line

# The fallback_reason of an article stored from a feed that carries the whole article: the page
# was not fetched because it was not needed, not because it failed (pipelines.ingest)
FULL_CONTENT_REASON = "the feed carries the full article (page not fetched)"
READ_FROM_REASON_MAX = 120  # characters of a fallback reason shown to people (read_from_note)


def read_from_note(content_origin: str | None, fallback_reason: str | None) -> str:
    """What an article's stored text was read from, for people, or "" when it is the article as
    published (its page, or a feed that carries the whole article). A match on a feed's summary
    rests on a few lines, so an analyst reading its alert should know."""
    # the reason can carry a server's own words ("not HTML (<its Content-Type>)"): one short line
    reason = clip(one_line(fallback_reason), READ_FROM_REASON_MAX)
    reason = f" ({reason})" if reason else ""
    if content_origin == "feed-summary":
        return f"the feed's summary only; the page was not used{reason}"
    if content_origin == "feed-content" and fallback_reason != FULL_CONTENT_REASON:
        return f"the feed's copy of the article; the page was not used{reason}"
    return ""


@dataclass
class ArticleItem:
    """One candidate article, as found by a spider.

    ``html`` is the fetched page, decoded to text, or None when the page could not be
    fetched; then ``fallback_reason`` says why and the feed's own ``feed_content`` /
    ``feed_summary`` stand in for the page.
    """

    url: str                      # the article URL (final URL after redirects when fetched)
    source: str                   # source name, as in the config
    html: str | None = None       # page HTML as text
    title: str | None = None      # title from the feed / sitemap / listing, if any
    published_at: datetime | None = None  # date from the feed / sitemap (UTC), if any
    feed_content: str | None = None   # full content from the feed (content:encoded, Atom content), HTML
    feed_summary: str | None = None   # summary / description from the feed, HTML
    entry_id: str | None = None       # feed GUID / Atom id
    language_hint: str | None = None  # from the source config or feed
    fallback_reason: str | None = None  # why html is None ("HTTP 403", "timeout", ...)
    discovered_via: str = "feed"      # feed | sitemap | listing
    refetch_of: int | None = None     # the stored article whose page this fetches again (pipelines.refetch)


@dataclass
class SourcePoll:
    """The outcome of polling one source's entry point (feed, sitemap, listing page).

    ``status`` is "ok", "not-modified" (HTTP 304) or "error"; ``error`` says what went wrong.
    ``etag`` / ``last_modified`` are the validators to send on the next poll.
    """

    source: str
    status: str
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    entries: int = 0
    http_status: int | None = None
    extra: dict = field(default_factory=dict)
