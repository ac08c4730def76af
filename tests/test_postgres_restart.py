"""PostgreSQL restarted under newswatch: connections come back, nothing half-committed remains.

These tests restart the machine's local PostgreSQL cluster (``pg_ctlcluster … restart``, fast
mode: open transactions are rolled back, connections cut). They need root and the cluster that
``NEWSWATCH_TEST_PG`` points at; otherwise they skip and say why. They run after every other
test (tests/run_last.py) and always leave the server running, even when they fail.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Alert, Article, CrawlRun, Match
from tests.conftest import PG_URL
from tests.generated_site import story_text
from tests.test_crash_recovery import (
    PAGES, alert_statuses, check_store, count, newswatch, paced, site, start, titles, wait_for, write_config,
)

pytest_plugins = ["tests.run_last"]
RESTARTS_POSTGRES = True  # tests/run_last.py runs this module after every other test


# --- the cluster --------------------------------------------------------------------------------

def _cluster() -> tuple[str, str] | str:
    """(version, name) of the local cluster serving PG_URL's port, or why there is none."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return "pg_ctlcluster is not installed"
    if os.geteuid() != 0:
        return "restarting PostgreSQL needs root"
    url = urlsplit(PG_URL.replace("postgresql+psycopg://", "postgresql://", 1))
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        return f"PostgreSQL at {url.hostname} is not this machine's"
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        version, name, port, status = line.split()[:4]
        if int(port) == (url.port or 5432) and status == "online":
            return version, name
    return f"no online local cluster on port {url.port or 5432}"


def _connectable() -> bool:
    import psycopg

    try:
        psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://", 1), connect_timeout=2).close()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def cluster():
    found = _cluster()
    if isinstance(found, str):
        pytest.skip(found)
    if not _connectable():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL.split('@')[-1]}")
    version, name = found

    def pg_ctl(action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
                       check=True, capture_output=True, timeout=120)

    def restart(down: float = 0.0) -> float:
        """Restart the cluster (staying down ``down`` seconds in between); returns the seconds it took."""
        started = time.monotonic()
        if down:
            pg_ctl("stop")
            time.sleep(down)
            pg_ctl("start")
        else:
            pg_ctl("restart")
        return time.monotonic() - started

    try:
        yield restart
    finally:  # whatever happened, the machine's PostgreSQL is up again when we leave
        status = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "status"],
                                capture_output=True)
        if status.returncode != 0:
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"],
                           capture_output=True, timeout=120)
        assert wait_for(_connectable, timeout=60), "PostgreSQL did not come back"


@pytest.fixture
def pg_url(cluster):
    """A fresh schema, migrated; dropped afterwards over a new connection (the old ones are cut)."""
    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)
    try:
        yield url
    finally:
        wait_for(_connectable, timeout=60)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# --- a store interrupted by the restart ---------------------------------------------------------

def _record(n: int):
    from pipelines.ingest import ArticleRecord
    from pipelines.watch import Document, Matcher, bundled_watch_paths, load_watches

    title, body = f"Restart article {n}", story_text(n)
    record = ArticleRecord(url=f"https://r.example/{n}", canonical_url=f"https://r.example/{n}",
                           content_hash=f"{n:064d}", source="r", title=title, author=None, text=body,
                           language="en", published_at=None, content_origin="page", fallback_reason=None,
                           entry_id=None, discovered_via="feed")
    results = Matcher(load_watches(bundled_watch_paths())).match(Document(title, body, "en"))
    assert results
    return record, results


def test_a_store_cut_by_a_restart_rolls_back_whole_and_pre_ping_reconnects(pg_url, cluster):
    from pipelines.store import store_article
    from pipelines.targets import load_target

    targets = [load_target("json://127.0.0.1:9/a"), load_target("json://127.0.0.1:9/b")]
    engine = make_engine(pg_url)          # pool_pre_ping
    idle = make_engine(pg_url)            # pool_pre_ping, a pooled connection idle across the restart
    plain = create_engine(pg_url)         # the control: no pre-ping
    for e in (engine, idle, plain):
        with e.connect() as conn:
            conn.execute(text("select 1"))
    sessions = session_factory(engine)

    def restart_before_commit(session):  # the article, its match and alerts are in; COMMIT is next
        event.remove(sessions, "before_commit", restart_before_commit)
        cluster()

    event.listen(sessions, "before_commit", restart_before_commit)
    with pytest.raises(OperationalError):
        store_article(sessions, *_record(0), targets, None)

    check = make_engine(pg_url)
    with session_factory(check)() as session:
        assert [session.scalar(select(func.count()).select_from(t)) for t in (Article, Match, Alert)] == [0, 0, 0]
    check.dispose()

    # without pre-ping the pooled connection is dead and the first use fails; with it, it is replaced
    with pytest.raises(OperationalError):
        with plain.connect() as conn:
            conn.execute(text("select 1"))
    outcome = store_article(session_factory(idle), *_record(1), targets, None)
    assert outcome.status == "new" and outcome.alerts == 2
    for e in (engine, idle, plain):
        e.dispose()


# --- the daemon across a restart ----------------------------------------------------------------

def test_the_daemon_rides_out_restarts_and_nothing_is_lost(tmp_path, pg_url, cluster, webhook):
    with site(tmp_path, slow=lambda p: 0.1 if paced(p) < 1 else 0.7) as (server, pages):
        config = write_config(tmp_path / "nw.toml", pg_url, server.url("/feed.xml"), [webhook.url("/pg")],
                              lease="3s")
        daemon = start(config, "run")
        try:
            # 1. mid-crawl: the crawl child loses the items being stored, keeps going, and finishes
            assert wait_for(lambda: len(webhook.requests) >= 1, timeout=60), "no alert before the restart"
            assert count(pg_url, Article) < PAGES, "the crawl finished before the restart"
            assert cluster() < 30
            assert wait_for(lambda: count(pg_url, CrawlRun) == 1 and _finished(pg_url), timeout=60), \
                "the crawl did not finish after the restart"
            # 2. while the daemon idles: it looks for due sources every tick and finds no server
            assert cluster(down=1.5) < 30
            assert wait_for(lambda: set(alert_statuses(pg_url)) == {"sent"}, timeout=30), alert_statuses(pg_url)
            assert daemon.poll() is None, "the daemon died with the database"
            daemon.send_signal(signal.SIGTERM)
            output, _ = daemon.communicate(timeout=30)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
        assert daemon.returncode == 0, output[-4000:]
        assert "could not look for due sources; will retry" in output, "the idle restart was not noticed"

        # nothing half-stored; what the restart cut off is fetched by the next crawl (not known,
        # and the feed's validators were not kept), and every alert goes out (one duplicate at most)
        check_store(pg_url, pages, targets=1)
        newswatch(config, "crawl")
        newswatch(config, "notify")
        stored = check_store(pg_url, pages, targets=1)
        assert set(stored) == {p.path for p in pages}
        assert alert_statuses(pg_url) == {"sent": sum(p.relevant for p in pages)}
        received = titles(webhook.requests)
        assert len(received) == sum(p.relevant for p in pages)
        assert sum(c - 1 for c in received.values()) <= 1, f"more than one duplicate: {received}"


def _finished(url: str) -> bool:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(CrawlRun.status)) == "finished"
    except Exception:  # noqa: BLE001 - the server may still be coming back
        return False
    finally:
        engine.dispose()
