"""The Scrapy item pipeline: a thin adapter from items to the domain stages.

extract (pipelines.ingest) → match (pipelines.watch), in worker processes (pipelines.workers) →
store (pipelines.store), plus source health from ``SourcePoll`` items. Configuration enters in one
place, ``from_crawler``: ``crawler.crawl`` puts the ``App`` (configuration, sessions, targets) and
the crawl-run id into the crawler settings.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import select, update

from pipelines import workers
from pipelines.ingest import fallback_reason_of
from pipelines.items import ArticleItem, SourcePoll
from pipelines.models import CrawlRun, Source
from pipelines.refetch import apply_refetch
from pipelines.sources import record_poll
from pipelines.store import RecentSignatures, store_article

log = logging.getLogger(__name__)


class IngestPipeline:
    def __init__(self, app, run_id: int | None):
        self.app, self.config, self.run_id = app, app.config, run_id
        self.counts: Counter[str] = Counter()
        # source → [etag, last_modified, articles still to handle]: see _record_poll
        self.held: dict[str, list] = {}

    @classmethod
    def from_crawler(cls, crawler):
        app = crawler.settings.get("NEWSWATCH_APP")
        if app is None:
            raise NotConfigured("NEWSWATCH_APP is not set: run crawls through `newswatch crawl`")
        pipeline = cls(app, crawler.settings.get("NEWSWATCH_RUN_ID"))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_closed(self, spider, reason: str) -> None:
        """A crawl stopped by a signal (reason "shutdown") or an error is not a finished crawl."""
        if self.run_id is not None and reason != "finished":
            with self.sessions() as session:
                session.execute(update(CrawlRun).where(CrawlRun.id == self.run_id).values(status="interrupted"))
                session.commit()

    def open_spider(self, spider=None):
        self.sessions = self.app.sessions
        self.analyser = workers.acquire(self.config.watch_paths(), self.config.crawl.process_workers)
        self.targets = self.app.targets
        self.recent = RecentSignatures()
        # Articles are stored in one thread of their own, one after the other (so the signature
        # index and SQLite's single writer see one store at a time): while the database works
        # (SQLite and psycopg release the GIL), the reactor keeps downloading and handing pages
        # to the analysis workers instead of waiting on each commit.
        self.store_thread = ThreadPoolExecutor(1, thread_name_prefix="newswatch-store")
        with self.sessions() as session:
            self.source_ids = dict(session.execute(select(Source.name, Source.id)).all())

    async def process_item(self, item, spider=None):
        try:
            if isinstance(item, SourcePoll):
                self._record_poll(item)
            elif isinstance(item, ArticleItem) and item.refetch_of is not None:
                await self._refetch(item)  # not one of its poll's entries: the validators wait for none
            elif isinstance(item, ArticleItem):
                await self._ingest(item)
                self._handled(item.source)
        except Exception:  # one bad item must not stop the crawl; it is logged and counted
            log.exception("failed to process %r", getattr(item, "url", item))
            self.counts["errors"] += 1
            if isinstance(item, ArticleItem):  # not stored: the next poll must list it again
                self.held.pop(item.source, None)
        return item

    def _record_poll(self, poll: SourcePoll) -> None:
        # The new validators vouch for every entry of this poll. Keep them back until each article
        # fetched for it is handled: a crawl stopped (SIGTERM, SIGKILL, crash) or failing half-way
        # then polls in full next time instead of getting a 304 and never seeing the rest.
        fetched = int(poll.extra.get("fetched") or 0) if poll.status == "ok" else 0
        if fetched:
            self.held[poll.source] = [poll.etag, poll.last_modified, fetched]
            poll = replace(poll, etag=None, last_modified=None)
        with self.sessions() as session:
            record_poll(session, poll, failure_threshold=self.config.notify.source_failure_threshold,
                        targets=self.targets.operators)
        if poll.status == "error":
            self.counts["errors"] += 1
            log.warning("source %s failed: %s", poll.source, poll.error)

    def _handled(self, source: str) -> None:
        held = self.held.get(source)
        if held is None:
            return
        held[2] -= 1
        if held[2] <= 0:
            del self.held[source]
            with self.sessions() as session:
                session.execute(update(Source).where(Source.name == source)
                                .values(etag=held[0], last_modified=held[1]))
                session.commit()

    async def _ingest(self, item: ArticleItem) -> None:
        self.counts["items_seen"] += 1
        record, results = await self.analyser(item)
        if record is None:
            log.warning("no text for %s (%s)", item.url, item.fallback_reason or "empty page and feed entry")
            self.counts["errors"] += 1
            return
        outcome = await asyncio.get_running_loop().run_in_executor(self.store_thread, partial(
            store_article, self.sessions, record, results, self.targets.analysts,
            self.source_ids.get(record.source), self.recent))
        if outcome.status == "duplicate":
            self.counts["duplicates"] += 1
            return
        self.counts["articles_new"] += 1
        self.counts["matches_new"] += len(outcome.match_ids)
        self.counts["alerts_new"] += outcome.alerts
        for result in results:
            log.debug("MATCH %s score %.1f: %s <%s>", result.watch, result.score, record.title, record.url)

    async def _refetch(self, item: ArticleItem) -> None:
        """A stored article's page fetched again (pipelines.refetch): read it and match it, or
        count the attempt."""
        self.counts["items_seen"] += 1
        record, results = await self.analyser(item)
        reason = fallback_reason_of(item)
        outcome = await asyncio.get_running_loop().run_in_executor(self.store_thread, partial(
            apply_refetch, self.sessions, item.refetch_of, record, reason, results, self.targets.analysts,
            self.recent))
        self.counts["matches_new"] += len(outcome.match_ids)
        self.counts["alerts_new"] += outcome.alerts
        if outcome.status == "read":
            log.info("page read on a later poll: %s (%d new matches, %d brought up to date, %d not borne out, "
                     "%d alerts withdrawn)", item.url, len(outcome.match_ids), outcome.updated, outcome.silent,
                     outcome.withdrawn)
        else:
            log.info("page fetched again, %s: %s (%s)", outcome.status, item.url, reason)

    def close_spider(self, spider=None):
        self.store_thread.shutdown(wait=True)  # every item is handled by now: nothing is waiting
        if self.run_id is not None and self.counts:
            columns = ("items_seen", "articles_new", "duplicates", "matches_new", "alerts_new", "errors")
            values = {c: getattr(CrawlRun, c) + self.counts[c] for c in columns}
            with self.sessions() as session:
                session.execute(update(CrawlRun).where(CrawlRun.id == self.run_id).values(**values))
                session.commit()
        workers.release()
