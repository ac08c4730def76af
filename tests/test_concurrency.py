"""Crawler and notifier processes writing to one database at once: no "database is locked", every
alert sent exactly once.

Four real processes share one SQLite file (WAL, busy timeout) — or one PostgreSQL schema — for a
few seconds: two *writers* store the same stream of matching articles through
``pipelines.store.store_article`` (so they also race on duplicates), two *notifiers* claim and
mark alerts through ``pipelines.outbox.Delivery`` against a real local webhook. Any
exception, any "locked" message, any alert left unsent or sent twice fails the test.

The roles run as ``python -m tests.test_concurrency ROLE …`` (see ``main``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipelines.db import make_engine, session_factory
from pipelines.models import Alert, Article, Match
from tests.delivery import article_titles
from tests.generated_site import story_text
from tests.shared_data import PROJECT_ROOT

pytestmark = pytest.mark.slow  # several writer and notifier processes at once

SECONDS = 7.0          # how long the writers write


# --- the roles (child processes) ----------------------------------------------------------------

def _writer(db_url: str, seconds: float, targets: list[str]) -> dict:
    from crawler.config import bundled_watch_paths
    from pipelines.ingest import ArticleRecord
    from pipelines.store import store_article
    from pipelines.targets import load_target
    from pipelines.watch import Document, Matcher, load_watches

    matcher = Matcher(load_watches(bundled_watch_paths()))
    loaded = [load_target(t) for t in targets]
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        title = f"Stress article {n}"
        text = story_text(n)
        record = ArticleRecord(
            url=f"https://stress.example/a/{n}", canonical_url=f"https://stress.example/a/{n}",
            content_hash=f"{n:064d}", source="stress", title=title, author=None, text=text, language="en",
            published_at=None, content_origin="page", fallback_reason=None, entry_id=None, discovered_via="feed")
        results = matcher.match(Document(title, text, "en"))
        assert results, "the stress article must match the bundled watch"
        outcome = store_article(sessions, record, results, loaded, None)
        counts[outcome.status] += 1
        counts["alerts"] += outcome.alerts
        n += 1
    engine.dispose()
    return dict(counts)


def _notifier(db_url: str, stop_file: str, targets: list[str]) -> dict:
    from crawler.config import NotifyConfig
    from pipelines.targets import load_target
    from tests.delivery import delivery

    config = NotifyConfig(batch_size=10, lease=60.0, min_interval=0, backoff_initial=0.5, backoff_max=1.0)
    loaded = [load_target(t) for t in targets]
    engine = make_engine(db_url)
    worker = delivery(session_factory(engine), loaded, config)
    totals: Counter[str] = Counter()
    while True:
        writers_done = os.path.exists(stop_file)  # checked first: a pass after it sees every row
        report = worker.run_once()
        totals.update(sent=report.sent, failed=report.failed, dead=report.dead)
        if writers_done and report.sent == 0 and report.failed == 0:
            break
        if report.sent == 0:
            time.sleep(0.02)
    engine.dispose()
    return dict(totals)


def main(argv: list[str]) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    role, db_url, arg, targets = argv[0], argv[1], argv[2], json.loads(argv[3])
    result = _writer(db_url, float(arg), targets) if role == "writer" else _notifier(db_url, arg, targets)
    print(json.dumps(result), flush=True)


# --- the test -----------------------------------------------------------------------------------

def _start(role: str, db_url: str, arg: str, targets: list[str], log: Path) -> tuple[subprocess.Popen, Path]:
    out = log.with_suffix(".out")
    proc = subprocess.Popen([sys.executable, "-m", "tests.test_concurrency", role, db_url, arg, json.dumps(targets)],
                            cwd=PROJECT_ROOT, stdout=out.open("w"), stderr=log.open("w"))
    return proc, out


def test_writers_and_notifiers_share_the_database_without_locks_or_double_sends(tmp_path, db_url, webhook):
    targets = [webhook.url("/a"), webhook.url("/b")]
    stop_file = tmp_path / "writers-done"
    procs = {}
    for name in ("notifier1", "notifier2"):
        procs[name] = _start("notifier", db_url, str(stop_file), targets, tmp_path / f"{name}.log")
    for name in ("writer1", "writer2"):
        procs[name] = _start("writer", db_url, str(SECONDS), targets, tmp_path / f"{name}.log")
    try:
        for name in ("writer1", "writer2"):
            procs[name][0].wait(timeout=SECONDS + 40)
        stop_file.touch()
        for name in ("notifier1", "notifier2"):
            procs[name][0].wait(timeout=40)
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    results = {}
    for name, (proc, out) in procs.items():
        log = (tmp_path / f"{name}.log").read_text()
        assert proc.returncode == 0, f"{name} failed:\n{log[-4000:]}"
        assert "locked" not in log.lower(), f"{name}:\n{log[-4000:]}"
        assert "Traceback" not in log and " ERROR " not in log, f"{name}:\n{log[-4000:]}"
        results[name] = json.loads(out.read_text().strip().splitlines()[-1])

    written = Counter()
    for name in ("writer1", "writer2"):
        written.update(results[name])
    sent = sum(results[n].get("sent", 0) for n in ("notifier1", "notifier2"))
    assert written["new"] >= 20, f"too little work to mean anything: {results}"
    assert written["duplicate"] >= 1, "the writers never raced on the same article"

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        articles = session.scalar(select(func.count()).select_from(Article))
        matches = session.scalar(select(func.count()).select_from(Match))
        statuses = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
        alert_rows = session.scalar(select(func.count()).select_from(Alert))
        # no article without its match, no match without one alert per target
        lonely = session.scalar(select(func.count()).select_from(Article)
                                .where(~select(Match.id).where(Match.article_id == Article.id).exists()))
        per_match = set(session.scalars(select(func.count(Alert.id)).group_by(Alert.match_id)))
    engine.dispose()

    assert articles == written["new"] and matches == articles and lonely == 0
    assert per_match == {2} and alert_rows == written["alerts"] == 2 * articles
    assert statuses == {"sent": alert_rows}
    assert sent == alert_rows
    received = Counter((r.path, title) for r in webhook.requests for title in article_titles(r.body))
    assert len(received) == alert_rows, "some alert never reached the webhook"
    assert set(received.values()) == {1}, f"sent twice: {[k for k, v in received.items() if v > 1][:5]}"


if __name__ == "__main__":
    main(sys.argv[1:])
