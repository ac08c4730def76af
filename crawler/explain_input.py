"""The document that `newswatch explain` looks at: a file, a stored article, or a page fetched once.

A URL already in the store is explained from the stored text (what the watch really saw); any
other URL is fetched once, within the crawler's limits: netguard's URL and address checks on
every hop, `crawl.max_redirects`, `crawl.download_timeout` per hop, `crawl.max_response_bytes`,
the crawler's User-Agent.

The name is resolved once per hop and the connection goes to the address that was checked, with
the name in the Host header and in TLS (SNI and certificate check). A client that resolves again
to connect (urllib does) lets a DNS server answer a public address to the check and 127.0.0.1 to
the connection.
"""
from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from w3lib.url import safe_url_string

from crawler.app import SchemaOutOfDate
from crawler.netguard import refusal_for_addresses, resolve_all, url_problem
from pipelines.dedup import canonical_url
from pipelines.extract import extract_article
from pipelines.text import TooLarge, read_at_most
from pipelines.watch import Document
from pipelines.watch.evaluate import MAX_EXAMPLE_BYTES, read_example

log = logging.getLogger(__name__)

_REDIRECTS = (301, 302, 303, 307, 308)


class FetchRefused(ValueError):
    pass


def load_document(app, path_or_url: str) -> Document:
    if path_or_url.startswith(("http://", "https://")):
        problem = url_problem(path_or_url)
        if problem:  # before the store: canonical_url() would raise on it too
            raise FetchRefused(problem)
        stored = _stored(app, path_or_url)
        return stored if stored is not None else _fetch(app, path_or_url)
    return document_from_file(Path(path_or_url))


def document_from_file(path: Path) -> Document:
    """An .html file is extracted; any other file is read as `watch test` reads an example."""
    try:
        if path.suffix.lower() in (".html", ".htm"):
            return document_from_html(read_at_most(path, MAX_EXAMPLE_BYTES).decode("utf-8", errors="replace"), None)
        return read_example(path)
    except TooLarge:
        raise FetchRefused(f"larger than {MAX_EXAMPLE_BYTES // 2**20} MiB: not an article") from None


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
    if article is None or article.text_pruned_at is not None:  # pruned: the page is read instead
        return None
    return Document(title=article.title or "", text=article.text, language=article.language)


def _fetch(app, url: str) -> Document:
    crawl = app.config.crawl
    for hop in range(crawl.max_redirects + 1):
        status, headers, body = _get(url, crawl, hop)
        location = headers.get("Location")
        if status in _REDIRECTS and location:
            try:
                url = urljoin(url, location.strip())
            except ValueError as exc:  # "http://[::1"
                raise FetchRefused(f"refused by netguard: not a valid URL ({exc}) (redirect to {location[:200]})")
            continue
        if status != 200:
            raise FetchRefused(f"HTTP {status}" + (f" (at {url})" if hop else ""))
        charset = headers.get_content_charset() or "utf-8"
        try:
            html = body.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            html = body.decode("utf-8", errors="replace")
        return document_from_html(html, url)
    raise FetchRefused(f"more than {crawl.max_redirects} redirects (crawl.max_redirects)")


def _get(url: str, crawl, hop: int) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One GET, to the address checked for the URL's host. Raises FetchRefused with the reason."""
    where = f" (redirect to {url[:200]})" if hop else ""
    problem = url_problem(url)
    if problem:
        raise FetchRefused(problem + where)
    parts = urlsplit(safe_url_string(url))  # IDNA host, percent-encoded path: what goes on the wire
    host, https = parts.hostname, parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = resolve_all(host, port)
    except (OSError, UnicodeError) as exc:
        raise FetchRefused(f"DNS lookup failed for {host}: {exc}") from None
    if not crawl.allow_private_networks:
        refusal = refusal_for_addresses(host, addresses)
        if refusal:
            raise FetchRefused(f"{refusal}{where} (crawl.allow_private_networks is false)")
    connection = (_PinnedHTTPS if https else _PinnedHTTP)(host, port, addresses[0], crawl.download_timeout)
    # The whole hop, not each read, is bounded: a server sending a byte a second would
    # otherwise reset the socket timeout forever.
    expired = connection.expired
    watchdog = threading.Timer(crawl.download_timeout, _cut, (connection,))
    watchdog.start()
    try:
        connection.request("GET", urlunsplit(("", "", parts.path or "/", parts.query, "")),
                           headers={"User-Agent": crawl.user_agent, "Accept-Encoding": "identity"})
        response = connection.getresponse()
        body = response.read(crawl.max_response_bytes + 1)
    except (OSError, http.client.HTTPException) as exc:
        reason = "timeout" if expired.is_set() or isinstance(exc, TimeoutError) else _describe(exc)
        raise FetchRefused(reason + where) from None
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():  # cut mid-body: what was read is not the page
        raise FetchRefused("timeout" + where)
    if len(body) > crawl.max_response_bytes:
        raise FetchRefused(f"larger than crawl.max_response_bytes ({crawl.max_response_bytes} bytes){where}")
    if response.length:  # Content-Length promised more than came: never parse half a page
        raise FetchRefused("connection lost mid-response" + where)
    return response.status, response.headers, body


def _cut(connection: _PinnedHTTP | _PinnedHTTPS) -> None:
    connection.expired.set()  # set first: connect() looks at it after opening the socket
    try:
        if connection.opened is not None:  # not connection.sock: http.client drops it once the
            connection.opened.shutdown(socket.SHUT_RDWR)  # response owns the socket; this wakes its read
    except OSError:
        pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP response ({type(exc).__name__}: {str(exc)[:200]})"
    return str(exc) or type(exc).__name__


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()  # certificates and host names verified


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to ``address``, the checked one; ``host`` only names the site (Host header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address, self.opened, self.expired = address, None, threading.Event()

    def connect(self) -> None:
        self.sock = self.opened = _open(self)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As _PinnedHTTP, over TLS: SNI and the certificate check use the host name, not the address."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self.address, self.opened, self.expired = address, None, threading.Event()

    def connect(self) -> None:
        self.opened = _open(self)
        self.sock = self._context.wrap_socket(self.opened, server_hostname=self.host)


def _open(connection: _PinnedHTTP | _PinnedHTTPS) -> socket.socket:
    connection.opened = socket.create_connection((connection.address, connection.port), connection.timeout)
    if connection.expired.is_set():  # the watchdog fired while connecting: it could not cut this socket
        raise TimeoutError("timeout")
    return connection.opened
