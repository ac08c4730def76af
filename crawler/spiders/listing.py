"""Listing sources: an HTML page (section front, "latest news") whose links lead to articles.

Scrapy's ``LinkExtractor`` finds the links (resolving <base href>, dropping repeats). With
``source.selector`` the CSS selector picks the links (or elements containing them). Without it, a
heuristic: same-host links inside <article>, <main> or headings, outside nav/header/footer/aside,
whose path does not look like a tag, category, author, search or pagination page. Links keep page
order (listings put the newest first); a <time datetime> in the link's <article> or list item
dates it.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.response import get_base_url

from crawler.config import SourceConfig
from crawler.spiders.base import SourceSpider
from pipelines.clock import as_utc
from pipelines.items import ArticleItem
from pipelines.text import one_line

# Links in the content area: inside <article>/<main>/headings and not in page furniture.
_CONTENT_LINKS = (
    "//a[@href][ancestor::article or ancestor::main or ancestor::h1 or ancestor::h2 or ancestor::h3]"
    "[not(ancestor::nav or ancestor::footer or ancestor::header or ancestor::aside)]"
)
_NOT_ARTICLE = re.compile(
    r"/(tags?|category|categories|topics?|section|author|authors|people|search|page|login|"
    r"register|subscribe|newsletter|about|contact|privacy|terms)(/|$)|[?&](page|p)=\d|"
    r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp3|mp4|css|js|xml|rss)$",
    re.I,
)
_HEURISTIC = LinkExtractor(restrict_xpaths=_CONTENT_LINKS, deny=_NOT_ARTICLE)


def listing_links(response: TextResponse, selector: str | None = None) -> list[dict]:
    """Article links on a listing page, in page order: dicts with url, title, date."""
    extractor = LinkExtractor(restrict_css=selector) if selector else _HEURISTIC
    host = urlsplit(response.url).hostname
    dates = _link_dates(response)
    found, seen = [], {_strip_fragment(response.url)}
    for link in extractor.extract_links(response):
        url = _strip_fragment(link.url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or url in seen:
            continue
        if not selector and (parts.hostname != host or parts.path in ("", "/")):
            continue
        seen.add(url)
        found.append({"url": url, "title": one_line(link.text) or None, "date": dates.get(url)})
    return found


def _link_dates(response: TextResponse) -> dict[str, datetime]:
    """Link URL → the <time datetime> of the innermost <article> or <li> holding the link."""
    base, dates = get_base_url(response), {}
    # reverse document order: inner containers come after their ancestors, so they win
    for container in reversed(response.xpath("//article | //li")):
        stamp = _date(container.xpath(".//time/@datetime").get())
        if stamp:
            for href in container.xpath(".//a/@href").getall():
                try:
                    dates.setdefault(_strip_fragment(urljoin(base, href.strip())), stamp)
                except ValueError:  # "http://[::1": LinkExtractor drops such links too
                    pass
    return dates


def _strip_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _date(text: str | None) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00"))) if text else None
    except ValueError:
        return None


class ListingSpider(SourceSpider):
    name = "listing"

    def parse_entry(self, response: Response, source: SourceConfig) -> Iterator:
        if not isinstance(response, TextResponse):
            yield self.poll_error(source, f"{source.url}: not an HTML page", response.status)
            return
        links = listing_links(response, source.selector)
        candidates = [
            ArticleItem(url=link["url"], source=source.name, title=link["title"], published_at=link["date"],
                        language_hint=source.language, discovered_via="listing")
            for link in links
        ]
        # Page order is the listing's own newest-first order; dates, where given, only confirm it.
        fresh, counts = self.select(source, candidates, ordered=False)
        warning = None if links else f"no article links found (selector: {source.selector or 'heuristic'})"
        yield self.poll_ok(source, response, len(candidates), **counts, warning=warning)
        for item in fresh:
            yield self.article_request(item)
