"""Stopping and killing `newswatch crawl`, `newswatch run` and `newswatch notify` mid-work.

Real processes against a generated local site (tests/generated_site.py, served by
tests/mockserver.py with slow pages so there is something in flight), a real SQLite file and a
real webhook. After every stop or kill the store must be whole (no article without its matches,
no match without its alert rows) and the next start must lose nothing: articles not stored are
fetched again (they are not known, and the feed's validators were not kept), alerts claimed by
a killed notifier are reclaimed once their lease is over — at most one duplicate message.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipelines.clock import utcnow
from pipelines.db import make_engine, session_factory
from pipelines.models import Alert, Article, CrawlRun, Match
from tests.delivery import article_titles
from tests.generated_site import Page, write_site
from tests.mockserver import MockServer
from tests.procinfo import alive, children
from tests.shared_data import PROJECT_ROOT
from tests.waiting import wait_for, wait_for_text

pytestmark = pytest.mark.slow  # signals and kills real newswatch processes mid-crawl

PAGES = 24
FAST = 6  # the newest pages answer at once, the rest slowly: a stop always finds work left


def paced(page: Page) -> float:
    return 0.1 if page.number >= PAGES - FAST else 2.0


# --- helpers ------------------------------------------------------------------------------------

def write_config(path: Path, db_url: str, feed_url: str, targets: list[str], grace: str = "20s",
                 lease: str = "5m", extra: str = "") -> Path:
    path.write_text(f"""
[database]
url = "{db_url}"
[crawl]
allow_private_networks = true
download_delay = 0
concurrent_requests_per_host = 4
retry_times = 0
process_workers = 0
[notify]
targets = {json.dumps(targets)}
min_interval = 0
backoff_initial = "1s"
lease = "{lease}"
[daemon]
tick = "200ms"
notify_interval = "300ms"
shutdown_grace = "{grace}"
{extra}
[[sources]]
name = "Generated news"
url = "{feed_url}"
interval = "1h"
""")
    return path


class Command:
    """A newswatch command in its own session (so a kill can take its whole group); its output
    goes to a file (a pipe nobody reads while it runs would fill up and block it)."""

    def __init__(self, config: Path, *args: str):
        env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
        env.pop("NEWSWATCH_DATABASE_URL", None)
        self.log = config.with_name(f"{args[0]}-{time.monotonic_ns()}.log")
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], env=env, cwd=PROJECT_ROOT,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def poll(self):
        return self.proc.poll()

    @property
    def returncode(self):
        return self.proc.returncode

    def send_signal(self, signum) -> None:
        self.proc.send_signal(signum)

    def communicate(self, timeout: float) -> tuple[str, None]:
        self.proc.wait(timeout=timeout)
        return self.log.read_text(errors="replace"), None


start = Command


def newswatch(config: Path, *args: str, timeout: float = 120) -> str:
    proc = start(config, *args)
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"newswatch {' '.join(args)} failed:\n{output[-4000:]}"
    return output




def count(db_url: str, table) -> int:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(table))
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def check_store(db_url: str, pages: list[Page], targets: int) -> dict[str, int]:
    """The store is whole; returns {page path: article id} of what is stored."""
    relevant = {p.path for p in pages if p.relevant}
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        stored = {}
        for article in session.scalars(select(Article)):
            path = "/articles/" + article.url.rsplit("/articles/", 1)[1]
            assert path not in stored, f"{path} stored twice"
            stored[path] = article.id
            matches = list(session.scalars(select(Match).where(Match.article_id == article.id)))
            assert len(matches) == (1 if path in relevant else 0), f"{path}: {len(matches)} matches"
            for match in matches:
                alerts = session.scalar(select(func.count()).select_from(Alert).where(Alert.match_id == match.id))
                assert alerts == targets, f"{path}: match without its {targets} alert rows ({alerts})"
    engine.dispose()
    return stored


def alert_statuses(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        result = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
    engine.dispose()
    return result


def crawl_statuses(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        result = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    engine.dispose()
    return result


def leases_expired(db_url: str) -> bool:
    """Every claim left by a killed worker has run out: another worker may take the rows now."""
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        leased = session.scalar(select(func.count()).select_from(Alert).where(
            Alert.status == "sending", Alert.claimed_until >= utcnow()))
    engine.dispose()
    return leased == 0


def titles(requests) -> Counter:
    """How often each article reached the webhook: alone, or as an entry of a digest."""
    return Counter(title for request in requests for title in article_titles(request.body))


@contextmanager
def site(tmp_path: Path, slow, pages: int = PAGES):
    generated = write_site(tmp_path / "site", pages, relevant_every=3, slow=slow)
    with MockServer(site_dir=tmp_path / "site") as server:
        yield server, generated


def finish_and_check(config: Path, db_url: str, pages: list[Page], webhook) -> None:
    """The next start: a crawl gets every page not stored yet, notify sends every alert once."""
    # the slow pages left over are fetched all at once this time, not four by four
    config.write_text(config.read_text().replace("concurrent_requests_per_host = 4", "concurrent_requests_per_host = 32"))
    newswatch(config, "crawl")
    stored = check_store(db_url, pages, targets=1)
    assert set(stored) == {p.path for p in pages}, f"lost: {sorted({p.path for p in pages} - set(stored))}"
    newswatch(config, "notify")
    assert alert_statuses(db_url) == {"sent": sum(p.relevant for p in pages)}
    received = titles(webhook.requests)
    assert set(received.values()) == {1}, f"sent twice: {received}"
    assert len(received) == sum(p.relevant for p in pages)


# --- newswatch crawl ----------------------------------------------------------------------------

def test_sigterm_during_a_crawl_finishes_in_flight_items_and_the_next_crawl_gets_the_rest(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with site(tmp_path, slow=paced) as (server, pages):
        config = write_config(tmp_path / "nw.toml", db_url, server.url("/feed.xml"), [webhook.url("/c")])
        crawl = start(config, "crawl")
        try:
            assert wait_for(lambda: count(db_url, Article) >= 3, timeout=60), "the crawl stored nothing"
            signalled = time.monotonic()
            crawl.send_signal(signal.SIGTERM)
            output, _ = crawl.communicate(timeout=30)
            elapsed = time.monotonic() - signalled
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
        assert elapsed < 10, f"took {elapsed:.1f}s to stop after SIGTERM"
        assert "Traceback" not in output, output[-4000:]
        stored = check_store(db_url, pages, targets=1)
        assert 3 <= len(stored) < PAGES, "the crawl was not interrupted"
        assert count(db_url, CrawlRun) == 1
        assert crawl.returncode == 1 and "interrupted" in output  # not reported as a finished crawl
        engine = make_engine(db_url)
        with session_factory(engine)() as session:
            run = session.scalar(select(CrawlRun))
            assert run.status == "interrupted" and run.finished_at is not None
        engine.dispose()
        finish_and_check(config, db_url, pages, webhook)


def test_a_second_sigterm_stops_a_crawl_at_once(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with site(tmp_path, slow=30, pages=6) as (server, pages):  # pages that take far too long
        config = write_config(tmp_path / "nw.toml", db_url, server.url("/feed.xml"), [webhook.url("/c")])
        crawl = start(config, "crawl")
        try:
            assert wait_for(lambda: any(r["path"].startswith("/__slow/") for r in server.requests()), timeout=60)
            crawl.send_signal(signal.SIGTERM)
            assert wait_for_text(crawl.log, "shutting down gracefully"), "the first signal was not taken"
            assert crawl.poll() is None, "a page in flight should hold the graceful stop"
            signalled = time.monotonic()
            crawl.send_signal(signal.SIGTERM)
            output, _ = crawl.communicate(timeout=20)
            elapsed = time.monotonic() - signalled
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
        assert elapsed < 5, f"took {elapsed:.1f}s to stop after the second signal"
        assert "Traceback" not in output, output[-4000:]
        check_store(db_url, pages, targets=1)


def test_sigkill_of_a_crawl_loses_no_article_match_or_alert(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with site(tmp_path, slow=paced) as (server, pages):
        config = write_config(tmp_path / "nw.toml", db_url, server.url("/feed.xml"), [webhook.url("/k")])
        crawl = start(config, "crawl")
        try:
            assert wait_for(lambda: count(db_url, Article) >= 3, timeout=60), "the crawl stored nothing"
        finally:
            os.killpg(crawl.pid, signal.SIGKILL)  # the crawl and any worker processes
            crawl.communicate(timeout=10)
        stored = check_store(db_url, pages, targets=1)
        assert len(stored) < PAGES, "the crawl was not interrupted"
        assert crawl_statuses(db_url) == ["running"]  # nobody could close it
        finish_and_check(config, db_url, pages, webhook)
        # the feed was fetched in full again, not answered 304 with the rest of it unseen
        assert server.requests("/feed.xml")[1]["headers"].get("if-none-match") is None
        # and the next crawl closed the killed one's row
        assert crawl_statuses(db_url) == ["interrupted", "finished"]


# --- newswatch run ------------------------------------------------------------------------------

def test_sigterm_to_the_daemon_mid_crawl_stops_within_the_grace_period_with_the_outbox_committed(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with site(tmp_path, slow=paced) as (server, pages):
        config = write_config(tmp_path / "nw.toml", db_url, server.url("/feed.xml"), [webhook.url("/r")], grace="10s")
        daemon = start(config, "run")
        try:
            assert wait_for(lambda: len(webhook.requests) >= 1, timeout=60), "no alert during the crawl"
            signalled = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            output, _ = daemon.communicate(timeout=30)
            elapsed = time.monotonic() - signalled
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
        assert daemon.returncode == 0, output[-4000:]
        assert elapsed < 10, f"took {elapsed:.1f}s to stop (grace 10s)"
        assert "daemon stopped" in output and "did not stop within" not in output
        stored = check_store(db_url, pages, targets=1)
        assert len(stored) < PAGES, "the crawl was not interrupted"
        # nothing half-claimed: every alert row is sent or waiting for the next start
        assert set(alert_statuses(db_url)) <= {"sent", "pending"}
        finish_and_check(config, db_url, pages, webhook)


def test_a_second_signal_to_the_daemon_exits_at_once_and_takes_the_crawl_with_it(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with site(tmp_path, slow=30, pages=6) as (server, pages):
        config = write_config(tmp_path / "nw.toml", db_url, server.url("/feed.xml"), [webhook.url("/r")], grace="60s")
        daemon = start(config, "run")
        try:
            assert wait_for(lambda: any(r["path"].startswith("/__slow/") for r in server.requests()), timeout=60)
            crawl_pids = children(daemon.pid)
            assert crawl_pids, "no crawl child"
            daemon.send_signal(signal.SIGTERM)
            assert wait_for_text(daemon.log, "shutting down gracefully"), "the crawl was not asked to stop"
            assert daemon.poll() is None, "the crawl's page in flight should hold the graceful stop"
            signalled = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            output, _ = daemon.communicate(timeout=20)
            elapsed = time.monotonic() - signalled
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
        assert elapsed < 3, f"took {elapsed:.1f}s to exit after the second signal"
        assert daemon.returncode != 0 and "second signal" in output
        assert wait_for(lambda: not any(alive(pid) for pid in crawl_pids), timeout=5), "the crawl outlived the daemon"
        check_store(db_url, pages, targets=1)


# --- newswatch notify ---------------------------------------------------------------------------

@contextmanager
def slow_webhook(delay: float):
    """A webhook that records each request when it arrives, then answers after ``delay``."""
    received: list = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received.append(type("Request", (), {"body": body})())
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{httpd.server_address[1]}/slow", received
    finally:
        httpd.shutdown()
        httpd.server_close()


def seed_alerts(db_url: str, target_url: str, n: int) -> None:
    from crawler.config import bundled_watch_paths
    from pipelines.db import upgrade
    from pipelines.ingest import ArticleRecord
    from pipelines.store import store_article
    from pipelines.targets import load_target
    from pipelines.watch import Document, Matcher, load_watches
    from tests.generated_site import story_text

    upgrade(db_url)
    matcher = Matcher(load_watches(bundled_watch_paths()))
    engine = make_engine(db_url)
    for i in range(n):
        title, text = f"Alert article {i}", story_text(i)
        record = ArticleRecord(url=f"https://x.example/{i}", canonical_url=f"https://x.example/{i}",
                               content_hash=f"{i:064d}", source="x", title=title, author=None, text=text,
                               language="en", published_at=None, content_origin="page", fallback_reason=None,
                               entry_id=None, discovered_via="feed")
        store_article(session_factory(engine), record, matcher.match(Document(title, text, "en")),
                      [load_target(target_url)], None)
    engine.dispose()


def test_sigkill_of_notify_mid_delivery_reclaims_after_the_lease_with_at_most_one_duplicate(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    lease = 4.0
    with slow_webhook(delay=0.4) as (url, received):
        seed_alerts(db_url, url, 5)  # five: one message each (more would go out as a digest)
        config = write_config(tmp_path / "nw.toml", db_url, "http://127.0.0.1:9/feed.xml", [url], lease=f"{lease:g}s")
        notify = start(config, "notify")
        try:
            assert wait_for(lambda: len(received) >= 2, timeout=60, step=0.02), "notify sent nothing"
        finally:
            os.killpg(notify.pid, signal.SIGKILL)  # mid-send: the second message is in flight
            notify.communicate(timeout=10)
        statuses = alert_statuses(db_url)
        assert statuses.get("sending"), f"nothing was left claimed: {statuses}"

        # at once: the killed worker's claims are still leased, so nothing is sent and it returns
        started = time.monotonic()
        output = newswatch(config, "notify")
        assert "alerts: 0 sent" in output and time.monotonic() - started < 30
        assert alert_statuses(db_url).get("sending") == statuses["sending"]

        # after the lease: reclaimed and delivered; a further run finds nothing to do
        assert wait_for(lambda: leases_expired(db_url), timeout=lease + 30), "the claims never expired"
        newswatch(config, "notify")
        assert "alerts: 0 sent" in newswatch(config, "notify")
        assert alert_statuses(db_url) == {"sent": 5}
        counts = titles(received)
        assert len(counts) == 5, f"an alert never arrived: {counts}"
        assert sum(c - 1 for c in counts.values()) <= 1, f"more than one duplicate: {counts}"
