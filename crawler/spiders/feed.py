"""RSS/Atom sources: poll the feed conditionally, then fetch the newest entries' pages.

An entry whose content element carries the whole article (``pipelines.ingest.
feed_carries_full_article``) is not fetched: its item goes to the pipeline as it is, stored from the
feed's text with ``content_origin`` "feed-content" and the reason in ``fallback_reason``.
"""
from __future__ import annotations

from typing import Iterator

from scrapy.http import Response

from crawler.config import SourceConfig
from crawler.feeds import parse_feed
from crawler.spiders.base import SourceSpider
from pipelines.ingest import feed_carries_full_article
from pipelines.items import FULL_CONTENT_REASON, ArticleItem


class FeedSpider(SourceSpider):
    name = "feed"

    def parse_entry(self, response: Response, source: SourceConfig) -> Iterator:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        feed = parse_feed(response.body, headers, response.url)
        if not feed.is_feed:
            yield self.poll_error(source, f"{source.url}: {feed.error}", response.status)
            return
        candidates = [
            ArticleItem(
                url=entry.link,
                source=source.name,
                title=entry.title,
                published_at=entry.published,
                feed_content=entry.content,
                feed_summary=entry.summary,
                entry_id=entry.entry_id,
                language_hint=source.language or entry.language,
                discovered_via="feed",
            )
            for entry in feed.entries
            if entry.link  # nothing to fetch or store without a URL
        ]
        fresh, counts = self.select(source, candidates)
        yield self.poll_ok(source, response, len(feed.entries), warning=feed.error, **counts,
                           without_link=len(feed.entries) - len(candidates) or None)
        for item in fresh:
            if feed_carries_full_article(item.feed_content):
                item.fallback_reason = FULL_CONTENT_REASON
                yield item
            else:
                yield self.article_request(item)
