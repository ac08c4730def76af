"""Article pages that are hostile or broken, through a real crawl and then ``build_article``.

One crawl of a feed whose entries point at tests/hostile_server.py pages: absurd nesting, NUL
bytes, binary served as text/html, and dates that are missing, impossible, far off or in the
future. Each item then goes through ``pipelines.ingest.build_article``, as the store pipeline
would: nothing may raise, text must be clean, dates UTC, future dates no later than now.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from crawler.config import SourceConfig
from pipelines.ingest import build_article
from pipelines.items import ArticleItem
from tests import crawl_once
from tests.hostile_server import HostileServer, rss

pytestmark = pytest.mark.slow  # real Scrapy crawls against misbehaving servers

PARAGRAPHS = "".join(
    f"<p>Paragraph {i}: Russian and Pakistani officers met in Rawalpindi to discuss counter-terrorism "
    f"drills, helicopter deliveries and intelligence sharing along the Afghan border.</p>" for i in range(6))


def page(head: str = "", body: str = PARAGRAPHS, title: str = "Hostile page") -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><main><article><h1>{title}</h1>{body}</article></main></body></html>")


def published_meta(value: str) -> str:
    return f'<meta property="article:published_time" content="{value}">'


NOW = datetime.now(timezone.utc)
IN_A_MONTH = (NOW + timedelta(days=30)).astimezone(timezone(timedelta(hours=5))).isoformat(timespec="seconds")
NESTING = 100_000


def hostile_pages(tmp) -> dict[str, dict]:
    """name → (route spec, feed entry extras)."""
    def binary(name: str, data: bytes) -> dict:
        (tmp / name).write_bytes(data)
        return {"body_file": str(tmp / name), "headers": {"Content-Type": "text/html; charset=utf-8"}}

    nested = "<div>" * NESTING + "deep text" + "</div>" * NESTING
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(50_000)
    return {
        "nested": {"body": page(body=nested)},
        "nested-after-article": {"body": page(body=PARAGRAPHS + "<section>" * NESTING + "x")},  # never closed
        "nul-bytes": {"body": page(body=PARAGRAPHS.replace("Rawalpindi", "Rawal\x00pindi").replace("<p>", "<p>\x00"))},
        "binary": binary("binary", os.urandom(200_000)),
        "png-as-html": binary("png", png),
        "date-missing": {"body": page()},
        "date-impossible": {"body": page(published_meta("2019-02-30T10:00:00+05:00")
                                         + '<meta name="date" content="0000-00-00">')},
        "date-far-future": {"body": page(published_meta("2999-01-01T00:00:00+00:00"))},
        "date-future-page": {"body": page(published_meta(IN_A_MONTH))},
        "date-future-feed": {"body": page()},
        "date-offset": {"body": page(published_meta("2018-10-22T08:00:00+05:00"))},
        "date-impossible-feed": {"body": page()},
    }


FEED_DATES = {
    "date-future-feed": format_datetime(NOW + timedelta(days=10), usegmt=True),
    "date-impossible-feed": "Mon, 31 Feb 2019 25:61:00 GMT",
}


def crawl_articles(source: SourceConfig, **crawl_config) -> tuple[list[dict], str]:
    result = crawl_once.crawl([source], **crawl_config)
    return result.articles, result.log


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    pages = hostile_pages(tmp_path_factory.mktemp("pages"))
    entries = []
    for name in pages:
        e = {"title": name, "link": f"/{name}", "description": f"{name}: feed summary of the story."}
        if name in FEED_DATES:
            e["pubDate"] = FEED_DATES[name]
        entries.append(e)
    routes = {f"/{name}": spec for name, spec in pages.items()}
    routes["/feed.xml"] = {"body": rss(entries), "headers": {"Content-Type": "application/rss+xml"}}
    with HostileServer(routes=routes) as srv:
        articles, log = crawl_articles(SourceConfig(name="pages", kind="feed", url=srv.url("/feed.xml"), interval=60),
                                       download_timeout=5)
    now = datetime.now(timezone.utc)
    out = {}
    for a in articles:
        item = ArticleItem(**{k: v for k, v in a.items()})
        if item.published_at:
            item.published_at = datetime.fromisoformat(item.published_at)
        started = time.monotonic()
        record = build_article(item, now=now)  # must not raise
        out[item.title] = {"item": a, "record": record, "seconds": time.monotonic() - started, "now": now}
    assert set(out) == set(pages), log[-3000:]
    return out


@pytest.mark.parametrize("name", ["nested", "nested-after-article"])
def test_absurdly_nested_pages_are_handled(records, name):
    got = records[name]
    assert got["item"]["html"] and got["item"]["html"].count("<div>" if name == "nested" else "<section>") == NESTING
    record = got["record"]
    assert record is not None and "\x00" not in record.text
    if name == "nested":  # nothing usable on the page: the feed stands in, saying why
        assert record.content_origin == "feed-summary" and record.fallback_reason == "no article text on the page"
    else:
        assert record.content_origin in ("page", "feed-summary")
    assert got["seconds"] < 15, got["seconds"]


def test_nul_bytes_are_cleaned(records):
    got = records["nul-bytes"]
    assert "\x00" in got["item"]["html"]  # served and decoded as is
    record = got["record"]
    assert record.content_origin == "page" and "\x00" not in record.text and "Rawalpindi" in record.text


@pytest.mark.parametrize("name", ["binary", "png-as-html"])
def test_binary_served_as_html_falls_back_to_the_feed(records, name):
    record = records[name]["record"]
    assert record is not None
    # what was stored instead, should this fail again. It failed once in CI on 2026-11-30 (stored
    # as 'page'): random bytes can read as an article once markup-like bytes wrap them, which
    # extract.looks_like_binary now refuses (test_extract: binary wrapped in markup)
    seen = (record.content_origin, record.fallback_reason, record.text[:200])
    assert record.content_origin == "feed-summary" and record.text == f"{name}: feed summary of the story.", seen
    assert record.fallback_reason == "no article text on the page"


def test_missing_and_impossible_dates_are_none(records):
    for name in ("date-missing", "date-far-future", "date-impossible-feed"):
        record = records[name]["record"]
        assert record.content_origin == "page", name
        assert record.published_at is None, (name, record.published_at)


def test_impossible_page_date_is_at_most_approximated(records):
    # 2019-02-30 cannot be parsed; htmldate (extensive search) keeps what it can read of it,
    # the month, as 2019-02-01. Never the impossible day, never a crash, always UTC.
    published = records["date-impossible"]["record"].published_at
    assert published is None or (published.utcoffset() == timedelta(0) and (published.year, published.month) == (2019, 2))


def test_dates_are_stored_in_utc(records):
    record = records["date-offset"]["record"]
    assert record.published_at == datetime(2018, 10, 22, 3, 0, tzinfo=timezone.utc)
    assert record.published_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("name", ["date-future-page", "date-future-feed"])
def test_future_dates_are_clamped_to_now(records, name):
    got = records[name]
    assert got["record"].published_at == got["now"]
    assert got["record"].published_at.utcoffset() == timedelta(0)
