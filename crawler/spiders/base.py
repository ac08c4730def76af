"""What the three source spiders share: the entry-point poll and the article fetch.

Each source's entry point (feed, sitemap, listing page) is fetched with the validators of the
last poll; the outcome is one ``SourcePoll``. Candidate articles (``ArticleItem`` with
``html=None``) are then fetched newest first, at most ``source.max_articles``, skipping URLs the
store already has; pages that failed transiently on an earlier poll (``pipelines.refetch``) are
fetched again beside the entry point. A page that cannot be fetched still yields its item, with
``fallback_reason``, so the pipeline can fall back to the feed's own text. Callbacks catch
their own errors: one bad source must never stop the others.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import SourceConfig
from crawler.netguard import url_problem
from pipelines.items import ArticleItem, SourcePoll

logger = logging.getLogger(__name__)

Validators = dict[str, tuple[str | None, str | None]]
HTML_TYPES = ("text/html", "application/xhtml+xml")

# Exception class name → short reason. Names, not classes: Scrapy 2.19's own download errors
# and Twisted's older ones both occur, depending on the download handler.
_REASONS = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "CannotResolveHostError": "DNS lookup failed",
    "DNSLookupError": "DNS lookup failed",
    "DownloadConnectionRefusedError": "connection refused",
    "ConnectionRefusedError": "connection refused",
    "ResponseDataLossError": "connection lost mid-response",
    "ResponseNeverReceived": "no response",
    "ConnectionLost": "connection lost",
    "ConnectionDone": "connection closed",
    "DownloadFailedError": "download failed",
    "DownloadCancelledError": "download cancelled",  # e.g. Content-Length over DOWNLOAD_MAXSIZE
}


def describe_failure(failure: Failure) -> tuple[str, int | None]:
    """A short, clear reason for a failed request, and the HTTP status if there was one."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        location = header(exc.response, "Location")
        if 300 <= status < 400 and location:
            # RedirectMiddleware follows only http(s) and at most REDIRECT_MAX_TIMES hops
            return f"HTTP {status} (redirect to {location[:200]} not followed)", status
        return f"HTTP {status}", status
    name = type(exc).__name__
    if name == "IgnoreRequest":
        return str(exc) or "request ignored", None
    tls = _tls_error(exc)
    if tls:
        return tls, None
    reason = _REASONS.get(name)
    detail = str(exc).strip()
    if reason is None and isinstance(exc, ValueError):
        # A URL that cannot be requested: a redirect's Location that w3lib cannot build a request
        # from ("Port out of range"), or, with netguard off, a host Twisted cannot encode.
        return f"refused: not a valid URL ({detail or name})", None
    if reason:
        return (f"{reason} ({detail})" if detail and reason != "timeout" else reason), None
    return (f"{name}: {detail}" if detail else name), None


def _tls_error(exc: BaseException) -> str | None:
    """A "TLS …" reason when a download failed in the TLS handshake (a bad certificate, mostly).

    Scrapy wraps it twice: DownloadFailedError from Twisted's ResponseFailed, whose ``reasons``
    hold the pyOpenSSL error as a list of (library, function, reason) tuples; shown raw, that is
    unreadable in a source's error column.
    """
    seen, pending = 0, [exc]
    while pending and seen < 20:
        current, seen = pending.pop(), seen + 1
        if type(current).__module__.startswith("OpenSSL") or type(current).__name__ == "SSLError":
            details = current.args[0] if current.args else ""
            if isinstance(details, list):
                details = "; ".join(str(d[-1]) for d in details if isinstance(d, tuple) and d) or str(details)
            details = str(details) or type(current).__name__
            if "certificate" in details.lower():
                return f"TLS certificate not trusted ({details})"
            return f"TLS handshake failed ({details})"
        pending += [r.value for r in getattr(current, "reasons", None) or [] if isinstance(r, Failure)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return None


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None


# Real compressions (IANA registry). HttpCompressionMiddleware removes the header once it has
# decoded the body; one left behind means it could not (zstd without the zstandard package, or
# a layer it does not know). Other values ("utf-8", "none": seen in the wild) sit on plain bodies.
_COMPRESSIONS = {"gzip", "x-gzip", "deflate", "br", "zstd", "compress", "x-compress", "pack200-gzip", "exi",
                 "aes128gcm", "dcb", "dcz"}


def still_encoded(response: Response) -> str | None:
    """The Content-Encoding left undone, if any: then the body is compressed bytes, not a document."""
    value = header(response, "Content-Encoding")
    if value and any(token.strip().lower() in _COMPRESSIONS for token in value.split(",")):
        return value
    return None


def newest_first(items: list[ArticleItem]) -> list[ArticleItem]:
    """Dated items newest first, then undated ones in document order (sort is stable)."""
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(items, key=lambda i: (i.published_at is not None, i.published_at or oldest), reverse=True)


class SourceSpider(scrapy.Spider):
    """Base class; subclasses set ``name`` (= source kind) and implement ``parse_entry``."""

    name = "source"

    def __init__(
        self,
        sources: Iterable[SourceConfig] = (),
        validators: Validators | None = None,
        is_known: Callable[[str], bool] | None = None,
        refetch: Iterable[ArticleItem] = (),
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.sources = [s for s in sources if s.kind == self.name and s.enabled]
        self.validators = validators or {}
        self.is_known = is_known
        self.scheduled: set[str] = set()  # article URLs already requested by this spider
        # stored articles whose pages failed transiently: fetched again with their source's poll
        self.refetch: dict[str, list[ArticleItem]] = {}
        for item in refetch:
            self.refetch.setdefault(item.source, []).append(item)

    async def start(self):
        for source in self.sources:
            yield self.entry_request(source)
            for item in self.refetch.get(source.name, ()):
                self.scheduled.add(item.url)
                yield self.article_request(item)

    # ---- entry point -------------------------------------------------------------------

    def entry_request(self, source: SourceConfig) -> scrapy.Request | SourcePoll:
        """The entry point's request, or the poll's error when its URL cannot be fetched."""
        problem = url_problem(source.url)
        if problem:  # a Request would raise here, and end every source's poll, not only this one
            return self.poll_error(source, f"{source.url}: {problem}")
        etag, modified = self.validators.get(source.name, (None, None))
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        return scrapy.Request(
            source.url,
            headers=headers,
            callback=self._entry_response,
            errback=self._entry_failed,
            cb_kwargs={"source": source},
            meta={"handle_httpstatus_list": [304], "newswatch_source": source.name},
            dont_filter=True,  # two sources may share an entry URL; each must be polled
            priority=10,       # entry points before articles, so every source gets its poll
        )

    def _entry_response(self, response: Response, source: SourceConfig) -> Iterator:
        if response.status == 304:
            etag, modified = self.validators.get(source.name, (None, None))
            yield SourcePoll(source=source.name, status="not-modified", etag=header(response, "ETag") or etag,
                             last_modified=header(response, "Last-Modified") or modified, http_status=304)
            return
        encoding = still_encoded(response)
        if encoding:
            yield self.poll_error(source, f"{source.url}: unsupported Content-Encoding {encoding!r}", response.status)
            return
        try:
            yield from self.parse_entry(response, source)
        except Exception as exc:  # a bug or a pathological document: report it, keep crawling
            logger.exception("parsing %s for source %s failed", response.url, source.name)
            yield self.poll_error(source, f"could not parse {response.url}: {type(exc).__name__}: {exc}",
                                  response.status)

    def _entry_failed(self, failure: Failure) -> Iterator:
        source = failure.request.cb_kwargs["source"]
        reason, status = describe_failure(failure)
        yield self.poll_error(source, f"{source.url}: {reason}", status)

    def parse_entry(self, response: Response, source: SourceConfig) -> Iterator:
        raise NotImplementedError

    def poll_ok(self, source: SourceConfig, response: Response, entries: int, **extra: Any) -> SourcePoll:
        return SourcePoll(source=source.name, status="ok", etag=header(response, "ETag"),
                          last_modified=header(response, "Last-Modified"), entries=entries,
                          http_status=response.status, extra={k: v for k, v in extra.items() if v is not None})

    @staticmethod
    def poll_error(source: SourceConfig, error: str, status: int | None = None) -> SourcePoll:
        return SourcePoll(source=source.name, status="error", error=error, http_status=status)

    # ---- articles ------------------------------------------------------------------------

    def select(self, source: SourceConfig, candidates: list[ArticleItem], ordered: bool = True) -> tuple[list, dict]:
        """The newest ``max_articles`` candidates to fetch, and counts of those left out.

        Left out: URLs the store already has (``is_known``) and URLs another source of this
        spider already requested in this crawl (one fetch per URL; the pipeline dedups anyway).
        """
        seen, unique = set(), []
        for item in newest_first(candidates) if ordered else candidates:
            if item.url not in seen:
                seen.add(item.url)
                unique.append(item)
        chosen = unique[: source.max_articles]
        fresh, known, duplicate = [], 0, 0
        for item in chosen:
            if self.is_known and self.is_known(item.url):
                known += 1
            elif item.url in self.scheduled:
                duplicate += 1
            else:
                self.scheduled.add(item.url)
                fresh.append(item)
        return fresh, {"known": known, "duplicate": duplicate or None, "fetched": len(fresh)}

    def article_request(self, item: ArticleItem) -> scrapy.Request | ArticleItem:
        """The page's request, or the item with the reason when its URL cannot be fetched."""
        problem = url_problem(item.url)
        if problem:
            item.fallback_reason = problem
            return item
        return scrapy.Request(
            item.url,
            callback=self._article_response,
            errback=self._article_failed,
            cb_kwargs={"item": item},
            meta={"newswatch_source": item.source},
            # select() already dedups; the dupefilter would silently drop a redirect to a URL
            # fetched before, and the item with it (no callback, no errback).
            dont_filter=True,
        )

    def _article_response(self, response: Response, item: ArticleItem) -> Iterator[ArticleItem]:
        ctype = (header(response, "Content-Type") or "").split(";")[0].strip().lower()
        encoding = still_encoded(response)
        if encoding:
            item.fallback_reason = f"unsupported Content-Encoding {encoding!r}"
            yield item
            return
        is_html = isinstance(response, TextResponse) and (ctype in HTML_TYPES or (not ctype and b"<html" in response.body[:2048].lower()))
        if not is_html:
            item.fallback_reason = f"not HTML ({ctype or 'no Content-Type'})"
        else:
            try:
                item.html = response.text  # HTTP charset, then BOM, then <meta charset>
                item.url = response.url    # final URL, after redirects
            except Exception as exc:       # undecodable: keep the feed text instead
                item.fallback_reason = f"could not decode page: {exc}"
        yield item

    def _article_failed(self, failure: Failure) -> Iterator[ArticleItem]:
        item = failure.request.cb_kwargs["item"]
        item.fallback_reason, _ = describe_failure(failure)
        yield item
