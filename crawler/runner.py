"""Run the spiders for a set of sources in one Scrapy process, blocking until they finish.

One ``CrawlerProcess``, one crawler per source kind present. The Twisted reactor cannot be
restarted, so call this once per process (the daemon runs each poll round in a child process;
tests run each crawl in a subprocess). Scrapy installs its own shutdown handlers: the first
SIGINT/SIGTERM stops the crawl gracefully, a second one forces it.
"""
from __future__ import annotations

import logging
from typing import Callable

# Scrapy loads its HTTP download handler lazily, deep in the reactor's stack, and that module
# builds deprecated aliases with inspect.stack(), whose cost grows with stack depth times loaded
# modules (CPython issue 92041). Under cProfile: 1.78 s of a crawl there, 0.68 s imported up here.
import scrapy.core.downloader.handlers.http11  # noqa: F401
from scrapy.crawler import CrawlerProcess

from crawler.config import SourceConfig
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import SitemapSpider
from pipelines.items import ArticleItem
from pipelines.text import one_line

SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "listing": ListingSpider}


def _robots_unreachable(record: logging.LogRecord) -> bool:
    """Scrapy logs a robots.txt it cannot download as an ERROR with a whole traceback; the site's
    own page request says what is wrong with the site, so one warning line is enough."""
    if record.levelno >= logging.ERROR and str(record.msg).startswith("Error downloading"):
        details = record.args if isinstance(record.args, dict) else {}
        reason = one_line(str(details.get("f_exception") or "error"))[:200]
        record.msg, record.args = "robots.txt not fetched for %s (%s): crawling as if it allowed all", (
            details.get("request"), reason)
        record.levelno, record.levelname, record.exc_info, record.exc_text = logging.WARNING, "WARNING", None, None
    return True


logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_robots_unreachable)


def _quiet_scrapy(record: logging.LogRecord) -> bool:
    """Scrapy's INFO lines are a ~70-line banner (versions, settings, every component) and
    per-spider chatter; the caller logs one line per crawl. Kept: its warnings and errors, and
    "Received SIGTERM, shutting down gracefully", which says a stop is under way."""
    return (not record.name.startswith("scrapy") or record.levelno >= logging.WARNING
            or str(record.msg).startswith("Received "))


def run_spiders(
    settings: dict,
    sources: list[SourceConfig],
    validators: dict[str, tuple[str | None, str | None]] | None = None,
    is_known: Callable[[str], bool] | None = None,
    install_root_handler: bool = True,
    refetch: list[ArticleItem] = (),
) -> None:
    """``install_root_handler=False`` when the caller has set up logging (no doubled lines).
    ``refetch``: stored articles whose pages to fetch again (``pipelines.refetch``)."""
    enabled = [s for s in sources if s.enabled]
    if not enabled:
        return
    if not install_root_handler and logging.getLevelName(settings.get("LOG_LEVEL", "INFO")) > logging.DEBUG:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_scrapy)
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": install_root_handler})
    for kind, spider in SPIDERS.items():
        of_kind = [s for s in enabled if s.kind == kind]
        if of_kind:
            process.crawl(spider, sources=of_kind, validators=validators or {}, is_known=is_known,
                          refetch=refetch)  # each spider takes its own sources' items
    process.start()
