"""Sitemap sources: urlset, sitemap index (children followed, bounded) and Google News sitemaps.

Child sitemaps are fetched one after another, newest (by <lastmod>) first, at most
``MAX_SITEMAPS`` per poll; the URLs of all of them are then ranked newest first together, so
``max_articles`` bounds the whole source, not each child. lxml never expands entities nor
touches the network, and ``recover=True`` keeps the URLs before a truncation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator
from urllib.parse import urljoin

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler.config import SourceConfig
from crawler.netguard import url_problem
from crawler.spiders.base import SourceSpider, describe_failure
from pipelines.clock import as_utc
from pipelines.items import ArticleItem

MAX_SITEMAPS = 10          # sitemap documents fetched per poll, index included
MAX_URLS = 50_000          # per document: the sitemap protocol's own limit


@dataclass
class SitemapDoc:
    kind: str                              # "urlset" | "sitemapindex" | "" (not a sitemap)
    urls: list[dict] = field(default_factory=list)   # loc, lastmod, title, language


def parse_sitemap(body: bytes, base_url: str, max_size: int = 0) -> SitemapDoc:
    """Bytes (plain or gzip) → sitemap entries. Never raises on malformed XML."""
    if body[:3] == b"\x1f\x8b\x08":
        body = gunzip(body, max_size=max_size)  # bounded like HTTP decompression
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, load_dtd=False,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return SitemapDoc(kind="")
    if root is None or not isinstance(root.tag, str):
        return SitemapDoc(kind="")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        return SitemapDoc(kind="")
    doc = SitemapDoc(kind=kind)
    for node in root:
        if not isinstance(node.tag, str) or etree.QName(node).localname not in ("url", "sitemap"):
            continue
        fields = {}
        for el in node.iter():
            if isinstance(el.tag, str) and el.text and el.text.strip():
                fields.setdefault(etree.QName(el).localname, el.text.strip())
        loc = fields.get("loc")
        if not loc:
            continue
        try:
            loc = urljoin(base_url, loc)
        except ValueError:  # "http://[::1": kept as written, refused with the reason when requested
            pass
        doc.urls.append({
            "loc": loc,
            "date": _date(fields.get("publication_date")) or _date(fields.get("lastmod")),
            "title": fields.get("title"),       # news:title
            "language": fields.get("language"),  # news:publication/news:language
        })
        if len(doc.urls) >= MAX_URLS:
            break
    return doc


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


@dataclass
class _Poll:
    """One source's poll across its sitemap documents."""
    source: SourceConfig
    response: Response                      # the entry sitemap's response (validators)
    queue: list[str] = field(default_factory=list)
    fetched: int = 1
    urls: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class SitemapSpider(SourceSpider):
    name = "sitemap"

    def parse_entry(self, response: Response, source: SourceConfig) -> Iterator:
        doc = parse_sitemap(response.body, response.url, self._max_size())
        if not doc.kind:
            yield self.poll_error(source, f"{source.url}: not a sitemap (Content-Type: "
                                  f"{response.headers.get('Content-Type', b'none').decode('latin-1')})", response.status)
            return
        poll = _Poll(source, response)
        self._absorb(poll, doc)
        yield from self._continue(poll)

    def _absorb(self, poll: _Poll, doc: SitemapDoc) -> None:
        if doc.kind == "sitemapindex":
            children = sorted(doc.urls, key=lambda u: u["date"] is not None and u["date"].timestamp() or 0, reverse=True)
            poll.queue.extend(u["loc"] for u in children if u["loc"] not in poll.queue)
        else:
            poll.urls.extend(doc.urls)

    def _continue(self, poll: _Poll) -> Iterator:
        while poll.queue and poll.fetched < MAX_SITEMAPS:
            child = poll.queue.pop(0)
            problem = url_problem(child)
            if problem:
                poll.problems.append(f"{child[:200]}: {problem}")
                continue
            poll.fetched += 1
            yield scrapy.Request(child, callback=self._child, errback=self._child_failed,
                                 cb_kwargs={"poll": poll}, dont_filter=True, priority=10,
                                 meta={"newswatch_source": poll.source.name})
            return
        if poll.queue:
            poll.problems.append(f"{len(poll.queue)} child sitemaps skipped (limit {MAX_SITEMAPS})")
        source = poll.source
        candidates = [
            ArticleItem(url=u["loc"], source=source.name, title=u["title"], published_at=u["date"],
                        language_hint=source.language or u["language"], discovered_via="sitemap")
            for u in poll.urls
        ]
        fresh, counts = self.select(source, candidates)
        yield self.poll_ok(source, poll.response, len(candidates), **counts, sitemaps=poll.fetched, warning="; ".join(poll.problems) or None)
        for item in fresh:
            yield self.article_request(item)

    def _child(self, response: Response, poll: _Poll) -> Iterator:
        try:
            doc = parse_sitemap(response.body, response.url, self._max_size())
            if doc.kind:
                self._absorb(poll, doc)
            else:
                poll.problems.append(f"{response.url}: not a sitemap")
        except Exception as exc:
            poll.problems.append(f"{response.url}: {type(exc).__name__}: {exc}")
        yield from self._continue(poll)

    def _child_failed(self, failure: Failure) -> Iterator:
        poll = failure.request.cb_kwargs["poll"]
        reason, _ = describe_failure(failure)
        poll.problems.append(f"{failure.request.url}: {reason}")
        yield from self._continue(poll)

    def _max_size(self) -> int:
        return self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if getattr(self, "crawler", None) else 0
