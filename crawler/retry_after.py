"""Downloader middleware: Scrapy's RetryMiddleware, plus ``Retry-After`` on 429 and 503.

Why: a server that answers 429 (too many requests) or 503 (overloaded, maintenance) with
``Retry-After`` is telling this client when it may come back. Scrapy's RetryMiddleware retries
at once, so a crawler that polls for months would hammer exactly the hosts that asked it to
slow down, and burn its retries before the server is back. So here:

* On 429/503 with ``Retry-After`` (delta-seconds or an HTTP date, RFC 9110 §10.2.3), the host
  (its download slot, so the same key DOWNLOAD_DELAY uses) is paused for
  ``min(Retry-After, NEWSWATCH_RETRY_AFTER_MAX)``: the retry, and every other request to that
  host, waits in ``process_request`` until then. Pausing the host rather than the one request
  is what the header means ("this server", not "this URL"), and is what keeps us polite when
  many articles of one site are in flight.
* The cap (default 10 minutes) bounds what a hostile or broken server can make us do: a
  ``Retry-After: 31536000`` must not park a crawl for a year. A value that does not parse, or is
  zero or in the past, means no pause.
* Everything else (other codes, exceptions, ``RETRY_TIMES``, ``dont_retry``, giving up) is the
  stock RetryMiddleware, unchanged. When retries are exhausted the response goes on as before
  (the item falls back with "HTTP 429"), but the pause still holds for the host's other requests.

Cost, known and accepted: a waiting request still counts towards CONCURRENT_REQUESTS (Scrapy
counts it active), like requests queued behind DOWNLOAD_DELAY do. The wait uses the reactor
(``deferLater``), never ``time.sleep``: other hosts keep crawling meanwhile. It is taken in
steps of a second, and ends when the engine stops: Scrapy's graceful shutdown waits for
in-flight requests, and a SIGTERM must not hang for the rest of a 10-minute pause.

Settings: ``NEWSWATCH_RETRY_AFTER_MAX`` (seconds, default 600). Installed in place of
``scrapy.downloadermiddlewares.retry.RetryMiddleware`` (crawler/settings.py).
"""
from __future__ import annotations

import email.utils
import logging
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import task

from pipelines.clock import as_utc

logger = logging.getLogger(__name__)

DEFAULT_MAX_WAIT = 600.0
HONOURED_STATUSES = (429, 503)


def retry_after_seconds(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when absent, unparsable or not ahead."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        # as_utc: a naive date is GMT, as RFC 9110 dates are
        seconds = as_utc(when).timestamp() - (time.time() if now is None else now)
    return seconds if seconds > 0 else None


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("NEWSWATCH_RETRY_AFTER_MAX", DEFAULT_MAX_WAIT)
        self.resume_at: dict[str, float] = {}  # download slot → time.monotonic() it may go again

    def _slot(self, request) -> str:
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        if downloader is not None:
            return downloader.get_slot_key(request)
        return urlparse_cached(request).hostname or ""

    async def process_request(self, request):
        from twisted.internet import reactor

        slot = self._slot(request)
        while (wait := self.resume_at.get(slot, 0.0) - time.monotonic()) > 0:
            if not self._running():
                break  # shutting down: Scrapy's graceful stop waits for this request, so go now
            await maybe_deferred_to_future(task.deferLater(reactor, min(wait, 1.0), lambda: None))
        else:
            self.resume_at.pop(slot, None)
        return None

    def _running(self) -> bool:
        engine = getattr(self.crawler, "engine", None)
        return engine is None or engine.running

    def process_response(self, request, response):
        if response.status in HONOURED_STATUSES and not request.meta.get("dont_retry", False):
            seconds = retry_after_seconds(response.headers.get("Retry-After"))
            if seconds is not None:
                wait = min(seconds, self.max_wait)
                slot = self._slot(request)
                self.resume_at[slot] = max(self.resume_at.get(slot, 0.0), time.monotonic() + wait)
                logger.info("%s: HTTP %d, Retry-After %r: pausing %s for %.1f s", request.url, response.status,
                            response.headers.get("Retry-After").decode("latin-1"), slot, wait)
        return super().process_response(request, response)
