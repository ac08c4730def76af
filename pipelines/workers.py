"""Extraction and matching in worker processes, so the crawler's reactor never waits on them.

trafilatura and the matcher are CPU-bound Python: in the reactor thread they would stall every
download while they run, and threads would share one core under the GIL. A small process pool
keeps fetching, storing and analysing going at once on a multi-core machine. ``workers = 0``
analyses in-process (simplest to debug).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.ingest import ArticleRecord, build_article
from pipelines.items import ArticleItem
from pipelines.language import detect_language
from pipelines.page_structure import zones_for_item
from pipelines.watch import Document, Matcher, load_watches

_matcher: Matcher | None = None


def _init_worker(watch_paths: list[Path]) -> None:
    global _matcher
    # Ctrl-C reaches the whole process group: the crawler decides how to stop, and shuts the pool
    # down after its in-flight items; a worker dying first would lose them
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _matcher = Matcher(load_watches(watch_paths))
    # Load what the first article would otherwise wait for (py3langid's model: ~0.5 s) now, while
    # the crawler is still starting and polling the feeds and the workers have nothing to do.
    detect_language(_WARM_UP_TEXT)
    build_article(ArticleItem(url="https://warm.example/", source="", html=_WARM_UP_PAGE))


_WARM_UP_TEXT = "The workers load their language model and extraction rules before the first page arrives."
_WARM_UP_PAGE = "<html><body><article><h1>Warm-up</h1>" + f"<p>{_WARM_UP_TEXT}</p>" * 8 + "</article></body></html>"


def analyse(item: ArticleItem, matcher: Matcher | None = None) -> tuple[ArticleRecord | None, list]:
    """Item → (article record, watch results); (None, []) when there is no text."""
    matcher = matcher or _matcher
    record = build_article(item)
    if record is None:
        return None, []
    # page furniture (related headlines, nav, captions) is read only for documents that fired
    document = Document(record.title or "", record.text, record.language)
    return record, matcher.match(document, structure=lambda: zones_for_item(item, record))


class Analyser:
    """Runs ``analyse`` in a process pool (or inline when workers is 0)."""

    def __init__(self, watch_paths: list[Path], workers: int):
        watches = load_watches(watch_paths)  # a bad watch fails here, before anything is fetched
        self.matcher, self.pool = None, None
        if workers == 0:
            self.matcher = Matcher(watches)
        else:
            # spawn, not fork: the parent runs threads (Twisted's resolver) that fork would copy mid-flight
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                            initargs=(list(watch_paths),))
            for _ in range(workers):  # start the workers now: they import while the first pages download
                self.pool.submit(int)

    async def __call__(self, item: ArticleItem):
        if self.pool is None:
            return analyse(item, self.matcher)
        return await asyncio.get_running_loop().run_in_executor(self.pool, analyse, item)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


_shared: Analyser | None = None
_users = 0


def acquire(watch_paths: list[Path], workers: int) -> Analyser:
    """One analyser (one pool) per process, however many crawlers (one per source kind) use it."""
    global _shared, _users
    if _shared is None:
        _shared = Analyser(watch_paths, workers)
    _users += 1
    return _shared


def release() -> None:
    global _shared, _users
    _users -= 1
    if _users == 0 and _shared is not None:
        _shared.close()
        _shared = None
