"""A feed that carries the whole article in its content element: no page fetch, the feed's text is
the article (``content_origin`` "feed-content", the reason in ``fallback_reason``); a teaser, an
excerpt or a summary is not the whole article, and the page is fetched as always."""
from __future__ import annotations

from datetime import datetime, timezone
from html import escape

import pytest
import scrapy
from scrapy.http import XmlResponse

from crawler.config import SourceConfig
from crawler.spiders.feed import FeedSpider
from pipelines.ingest import FULL_CONTENT_CHARS, build_article, feed_carries_full_article
from pipelines.items import FULL_CONTENT_REASON
from pipelines.items import ArticleItem, SourcePoll

PARAGRAPH = ("Russian and Pakistani special forces began the Druzhba joint military exercise near Rawalpindi on "
             "Monday, the Inter-Services Public Relations said. The drills focus on counter-terrorism operations "
             "in mountainous terrain, and will last two weeks, the army's media wing added in a statement. ")
FULL = "".join(f"<p>{PARAGRAPH} Paragraph {i}.</p>" for i in range(6))  # ~2,000 characters of text


@pytest.mark.parametrize("content, full", [
    (FULL, True),
    (None, False),
    ("", False),
    (f"<p>{PARAGRAPH}</p>", False),                                       # a teaser: too short
    (FULL[:-4] + " Read more…</p>", False),                               # cut off, however long
    (FULL[:-4] + " […]</p>", False),
    (FULL + "<p>Continue reading →</p>", False),
    (FULL + "<p>The post Druzhba drills begin appeared first on Example News.</p>", True),  # WordPress' footer
    (FULL[:-4] + " […]</p><p>The post Druzhba drills begin appeared first on Example News.</p>", False),
    (FULL[:-10] + "...</p>", False),
    (FULL + "<p>Czytaj dalej</p>", False),
    ("<div>" + "<span></span>" * 400 + "</div>", False),                  # long markup, no text
    (FULL.replace("</p><p>", "</p>\n<p>"), True),
])
def test_what_counts_as_the_full_article(content, full):
    assert feed_carries_full_article(content) is full


def test_the_threshold_is_text_not_markup():
    text = "word " * (FULL_CONTENT_CHARS // 5 - 5)
    assert not feed_carries_full_article(f"<p>{text}</p>")
    assert feed_carries_full_article(f"<p>{text} {text}</p>")


def feed(entries: list[tuple[str, str | None, str]]) -> bytes:
    items = "".join(
        f"<item><title>t{i}</title><link>{link}</link><description>{escape(summary)}</description>"
        + (f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content else "")
        + f"<pubDate>Mon, 0{i + 1} Jan 2024 10:00:00 GMT</pubDate></item>"
        for i, (link, content, summary) in enumerate(entries))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
            f'modules/content/"><channel><title>f</title>{items}</channel></rss>').encode()


def test_the_spider_fetches_only_entries_without_the_full_article():
    source = SourceConfig(name="wire", kind="feed", url="https://news.example/feed.xml", interval=60)
    body = feed([
        ("https://news.example/full", FULL, "A summary."),
        ("https://news.example/teaser", f"<p>{PARAGRAPH}</p>", "A summary."),
        ("https://news.example/summary-only", None, PARAGRAPH * 12),  # a long description is no content element
    ])
    response = XmlResponse(url=source.url, body=body, headers={"Content-Type": "application/rss+xml"})
    out = list(FeedSpider(sources=[source]).parse_entry(response, source))
    poll = [o for o in out if isinstance(o, SourcePoll)]
    assert len(poll) == 1 and poll[0].extra["fetched"] == 3  # every entry is still handled by the pipeline
    items = {o.url: o for o in out if isinstance(o, ArticleItem)}
    requests = {o.url for o in out if isinstance(o, scrapy.Request)}
    assert set(items) == {"https://news.example/full"}
    assert requests == {"https://news.example/teaser", "https://news.example/summary-only"}
    assert items["https://news.example/full"].html is None
    assert items["https://news.example/full"].fallback_reason == FULL_CONTENT_REASON


def test_an_unfetched_full_article_is_stored_from_the_feed_with_its_origin():
    item = ArticleItem(url="https://news.example/full", source="wire", title="Druzhba drills begin",
                       feed_content=FULL, feed_summary="A summary.", fallback_reason=FULL_CONTENT_REASON,
                       published_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    record = build_article(item, datetime(2024, 1, 2, tzinfo=timezone.utc))
    assert record.content_origin == "feed-content" and record.fallback_reason == FULL_CONTENT_REASON
    assert record.text.startswith("Russian and Pakistani special forces") and "Paragraph 5." in record.text
    assert record.language == "en" and record.simhash is not None
