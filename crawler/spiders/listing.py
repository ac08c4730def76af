"""Listing sources: an HTML page (section front, "latest news") whose links lead to articles.

With ``source.selector`` the CSS selector picks the links (or elements containing them).
Without it, a heuristic: same-host links inside <article>, <main> or headings, outside
nav/header/footer/aside, whose path does not look like a tag, category, author, search or
pagination page. Links keep page order (listings put the newest first); a <time datetime> in
the link's <article> or list item dates it.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator
from urllib.parse import urljoin, urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.config import SourceConfig
from crawler.items import ArticleItem
from crawler.spiders.base import SourceSpider, as_utc

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


def listing_links(html: str, page_url: str, selector: str | None = None) -> list[dict]:
    """Article links on a listing page, in page order: dicts with url, title, date."""
    page = Selector(text=html)
    base = page.xpath("//base/@href").get()
    base_url = urljoin(page_url, base) if base else page_url
    if selector:
        nodes = []
        for node in page.css(selector):
            nodes.extend([node] if node.root.tag == "a" else node.xpath(".//a[@href]"))
    else:
        nodes = page.xpath(_CONTENT_LINKS)
    host = urlsplit(page_url).hostname
    found, seen = [], {_strip_fragment(page_url)}
    for a in nodes:
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = _strip_fragment(urljoin(base_url, href))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or url in seen:
            continue
        if not selector and (parts.hostname != host or parts.path in ("", "/") or _NOT_ARTICLE.search(url)):
            continue
        seen.add(url)
        title = " ".join(" ".join(a.xpath(".//text()").getall()).split()) or a.attrib.get("title")
        stamp = a.xpath("(ancestor::article[1] | ancestor::li[1])[last()]//time/@datetime").get()
        found.append({"url": url, "title": title or None, "date": _date(stamp)})
    return found


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
        links = listing_links(response.text, response.url, source.selector)
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
