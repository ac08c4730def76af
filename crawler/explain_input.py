"""The document that `newswatch explain` looks at: a file, a stored article, or a page fetched once.

A URL already in the store is explained from the stored text (what the watch really saw); any
other URL is fetched once, within the crawler's size, timeout and network limits.
"""
from __future__ import annotations

import logging
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crawler.app import SchemaOutOfDate
from crawler.netguard import refusal_for_addresses, resolve_all
from pipelines.dedup import canonical_url
from pipelines.extract import extract_article
from pipelines.watch import Document
from pipelines.watch.evaluate import read_example

log = logging.getLogger(__name__)


class FetchRefused(ValueError):
    pass


def load_document(app, path_or_url: str) -> Document:
    if path_or_url.startswith(("http://", "https://")):
        stored = _stored(app, path_or_url)
        return stored if stored is not None else _fetch(app, path_or_url)
    return document_from_file(Path(path_or_url))


def document_from_file(path: Path) -> Document:
    """An .html file is extracted; any other file is read as `watch test` reads an example."""
    if path.suffix.lower() in (".html", ".htm"):
        return document_from_html(path.read_bytes().decode("utf-8", errors="replace"), None)
    return read_example(path)


def document_from_html(html: str, url: str | None) -> Document:
    extracted = extract_article(html, url)
    if extracted is None:
        raise FetchRefused(f"no article text found in {url or 'the file'}")
    return Document(title=extracted.title or "", text=extracted.text, language=extracted.language)


def _stored(app, url: str) -> Document | None:
    """The stored article at this URL; None when there is none or no usable store to look in."""
    from pipelines.models import Article

    try:
        with app.sessions() as session:
            article = session.scalar(select(Article).where(Article.canonical_url == canonical_url(url)))
    except (SchemaOutOfDate, SQLAlchemyError) as exc:  # e.g. PostgreSQL not upgraded or down
        log.info("not looking in the store for %s: %s", url, exc)
        return None
    if article is None:
        return None
    return Document(title=article.title or "", text=article.text, language=article.language)


def _check_address(url: str, allow_private: bool) -> None:
    """Refuse non-public destinations as the crawler's netguard does."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    refusal = refusal_for_addresses(host, resolve_all(host, parts.port or 443))
    if refusal:
        raise FetchRefused(f"{refusal} (crawl.allow_private_networks is false)")


def _guarded_redirects(allow_private: bool) -> type[urllib.request.HTTPRedirectHandler]:
    class GuardedRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            _check_address(newurl, allow_private)  # every hop, not only the first
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return GuardedRedirects


def _fetch(app, url: str) -> Document:
    crawl = app.config.crawl
    _check_address(url, crawl.allow_private_networks)
    request = urllib.request.Request(url, headers={"User-Agent": crawl.user_agent})
    opener = urllib.request.build_opener(_guarded_redirects(crawl.allow_private_networks))
    with opener.open(request, timeout=crawl.download_timeout) as response:
        body = response.read(crawl.max_response_bytes + 1)
        if len(body) > crawl.max_response_bytes:
            raise FetchRefused(f"{url} is larger than crawl.max_response_bytes")
        charset = response.headers.get_content_charset() or "utf-8"
    return document_from_html(body.decode(charset, errors="replace"), url)
