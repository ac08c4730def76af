"""Two daemons storing two copies of one story at the same instant alert once.

Two processes (two daemons' storing crawls) share one database. For each of ROUNDS stories, each
holds its own site's copy (another dateline, another closing line: a near duplicate, not the same
text), both wait at a barrier and store at once. Without a lock both transactions look for the
story, see nothing (neither has committed), and both alert. With it (a PostgreSQL advisory lock
around each insert, look-up and commit; SQLite's single write lock), exactly one
copy alerts each target and the other is linked to it.
"""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from pipelines.db import make_engine, session_factory
from pipelines.models import Alert, Article, Match, NearDuplicate
from tests.generated_site import story_text

pytestmark = pytest.mark.slow  # two processes

ROUNDS = 12
TARGETS = ["json://127.0.0.1:9/a", "json://127.0.0.1:9/b"]


def copy_of(story: int, site: int) -> tuple[str, str]:
    text = story_text(story)
    if site == 0:
        return f"Russia, Pakistan drills: report {story}", "ISLAMABAD (Reuters) - " + text
    return (f"Russia and Pakistan begin drills (report {story})",
            "Islamabad: " + text + "\nFollow us on Twitter and Facebook for the latest news.")


def store_copies(db_url: str, site: int, barrier, results) -> None:
    from crawler.config import bundled_watch_paths
    from pipelines.dedup import content_hash, simhash
    from pipelines.ingest import ArticleRecord
    from pipelines.store import RecentSignatures, store_article
    from pipelines.targets import load_target
    from pipelines.watch import Document, Matcher, load_watches

    matcher = Matcher(load_watches(bundled_watch_paths()))
    targets = [load_target(t) for t in TARGETS]
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    recent = RecentSignatures()  # one per storing process, as the crawler keeps it
    outcomes = []
    for story in range(ROUNDS):
        title, text = copy_of(story, site)
        url = f"https://site{site}.example/{story}"
        record = ArticleRecord(url=url, canonical_url=url, content_hash=content_hash(title, text), source="s",
                               title=title, author=None, text=text, language="en", published_at=None,
                               content_origin="page", fallback_reason=None, entry_id=None, discovered_via="feed",
                               simhash=simhash(text))
        matched = matcher.match(Document(title, text, "en"))
        assert matched, "each copy must match the bundled watch"
        barrier.wait(timeout=60)
        outcome = store_article(sessions, record, matched, targets, None, recent)
        outcomes.append((story, outcome.status, outcome.alerts, outcome.near_duplicate_of))
    engine.dispose()
    results.put((site, outcomes))


def test_two_copies_of_one_story_stored_at_once_alert_once(db_url):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=store_copies, args=(db_url, site, barrier, results)) for site in (0, 1)]
    for worker in workers:
        worker.start()
    try:
        outcomes = dict(results.get(timeout=120) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert all(w.exitcode == 0 for w in workers)

    for story in range(ROUNDS):
        (_, status0, alerts0, near0), (_, status1, alerts1, near1) = outcomes[0][story], outcomes[1][story]
        assert status0 == status1 == "new", (story, outcomes[0][story], outcomes[1][story])
        # one copy alerted each target once; the other is the same story and alerted nobody
        assert sorted([alerts0, alerts1]) == [0, len(TARGETS)], (story, outcomes[0][story], outcomes[1][story])
        assert (near0 is None) != (near1 is None), (story, outcomes[0][story], outcomes[1][story])

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        articles = session.scalar(select(func.count()).select_from(Article))
        matches = session.scalar(select(func.count()).select_from(Match))
        alerts = session.scalar(select(func.count()).select_from(Alert))
        links = session.scalar(select(func.count()).select_from(NearDuplicate))
    engine.dispose()
    assert (articles, matches, alerts, links) == (2 * ROUNDS, 2 * ROUNDS, len(TARGETS) * ROUNDS, ROUNDS)
