"""One crawl: sync sources, open a crawl-run row, run the spiders with the ingest pipeline, close the row.

The Twisted reactor runs once per process, so this runs once per process too: the daemon starts
each crawl as a child process (``newswatch crawl --due``), which also keeps its memory flat.
"""
from __future__ import annotations

import logging
import os
import socket
import time

from crawler.app import App
from crawler.config import SourceConfig
from crawler.runner import run_spiders
from crawler.settings import build_settings
from pipelines import workers
from pipelines.clock import utcnow
from pipelines.crawl_runs import close_abandoned, open_run
from pipelines.dedup import canonical_url
from pipelines.models import CrawlRun
from pipelines.refetch import due_refetches
from pipelines.sources import due_sources, sync_sources, validators
from pipelines.store import is_known_url

log = logging.getLogger(__name__)


def select_sources(app: App, names: list[str] | None, due_only: bool) -> list[SourceConfig]:
    config = app.config
    chosen = [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    if due_only:
        with app.sessions() as session:
            due = {row.name for row in due_sources(session, utcnow())}
        chosen = [s for s in chosen if s.name in due]
    return chosen


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def crawl(app: App, names: list[str] | None = None, due_only: bool = False) -> CrawlRun | None:
    """Crawl the chosen sources now; returns the finished crawl-run row (None when nothing was due)."""
    with app.sessions() as session:
        sync_sources(session, app.config.sources)
    sources = select_sources(app, names, due_only)
    if not sources:
        return None
    app.targets  # noqa: B018 - a bad alert target is refused here, before anything is fetched
    with app.sessions() as session:
        abandoned = close_abandoned(session, socket.gethostname(), process_alive)
        if abandoned:
            log.warning("crawl runs %s were cut short (their process is gone): marked interrupted",
                        ", ".join(map(str, abandoned)))
        run_id = open_run(session, [s.name for s in sources], socket.gethostname(), os.getpid()).id
        known_validators = validators(session)
        refetch = due_refetches(session, [s.name for s in sources])

    settings = build_settings(app.config.crawl)
    settings["ITEM_PIPELINES"] = {"crawler.ingest_pipeline.IngestPipeline": 300}
    settings["NEWSWATCH_APP"] = app
    settings["NEWSWATCH_RUN_ID"] = run_id
    settings["LOG_LEVEL"] = app.config.daemon.log_level
    settings["STATS_DUMP"] = False  # the crawl-run row and the summary line say what matters

    def is_known(url: str) -> bool:
        # a short session per lookup: one held for the whole crawl would keep a transaction open
        # on PostgreSQL for hours and die with the connection when the server restarts
        with app.sessions() as lookup:
            return is_known_url(lookup, canonical_url(url))

    status, started = "failed", time.monotonic()
    # start the analysis workers before Scrapy: they import trafilatura while the reactor starts
    workers.acquire(app.config.watch_paths(), app.config.crawl.process_workers)
    try:
        run_spiders(settings, sources, known_validators, is_known, install_root_handler=False, refetch=refetch)
        status = "finished"
    finally:
        workers.release()
        with app.sessions() as session:
            row = session.get(CrawlRun, run_id)
            row.finished_at = utcnow()
            if row.status == "running":  # the pipeline marks a crawl stopped by a signal "interrupted"
                row.status = status
            session.commit()
        log.info("crawl %s %s in %.1fs: %s", row.id, row.status, time.monotonic() - started, row.summary())
    return row
