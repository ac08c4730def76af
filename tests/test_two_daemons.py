"""Two `newswatch run` daemons on one PostgreSQL database against a local site: every article
stored once, every alert sent once, no feed polled by both for the same due time; one killed with
SIGKILL, the other carries on with every source. SQLite takes one daemon and says so."""
from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import func, select

from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Alert, Article
from tests.conftest import postgres_schema
from tests.generated_site import write_feed, write_site
from tests.mockserver import MockServer
from tests.test_crash_recovery import Command, titles
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # two daemons and their crawls against a local site

FEEDS, PER_FEED, INTERVAL = 6, 4, 3.0


@pytest.fixture
def pg_url():
    with postgres_schema() as (url, _conn, _schema):
        upgrade(url)
        yield url


def site_with_feeds(root):
    pages = write_site(root, FEEDS * PER_FEED, relevant_every=2)
    for n in range(FEEDS):
        write_feed(root, pages[n * PER_FEED:(n + 1) * PER_FEED], name=f"feed-{n}.xml")
    return pages


def config(path, db_url, server, hook) -> None:
    sources = "".join(f'[[sources]]\nname = "feed {n}"\nurl = "{server.url(f"/feed-{n}.xml")}"\n'
                      f'interval = "{INTERVAL:g}s"\nmin_interval = "{INTERVAL:g}s"\n' for n in range(FEEDS))
    path.write_text(f"""
[database]
url = "{db_url}"
[crawl]
allow_private_networks = true
download_delay = 0
process_workers = 0
[notify]
targets = ["{hook}"]
min_interval = 0
[daemon]
tick = "200ms"
notify_interval = "300ms"
source_lease = "6s"
shutdown_grace = "10s"
{sources}""")


def polls(server) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for request in server.requests():
        if request["path"].startswith("/feed-"):
            times.setdefault(request["path"], []).append(request["time"])
    return {path: sorted(ts) for path, ts in times.items()}


def test_two_daemons_share_the_sources_and_the_outbox(tmp_path, pg_url, webhook):
    pages = site_with_feeds(tmp_path / "site")
    relevant = sum(p.relevant for p in pages)
    with MockServer(site_dir=tmp_path / "site") as server:
        path = tmp_path / "nw.toml"
        config(path, pg_url, server, webhook.url("/two"))
        first, second = Command(path, "run"), Command(path, "run")
        try:
            engine = make_engine(pg_url)
            sessions = session_factory(engine)

            def count(model) -> int:
                with sessions() as session:
                    return session.scalar(select(func.count()).select_from(model))

            def all_sent() -> bool:
                with sessions() as session:
                    states = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
                return count(Article) == len(pages) and states == {"sent": relevant}

            assert wait_for(all_sent, timeout=120), "the two daemons did not store and send everything"
            # every source polled twice at least, by one daemon at a time
            assert wait_for(lambda: all(len(ts) >= 2 for ts in polls(server).values()) and len(polls(server)) == FEEDS,
                            timeout=60)
            killed_at = time.time()
            os.kill(first.pid, signal.SIGKILL)  # the daemon only: its crawl child may finish its sources
            # the other takes every source, the killed one's too once their leases run out
            assert wait_for(lambda: all(max(ts) > killed_at + 1 for ts in polls(server).values()), timeout=60), \
                "the surviving daemon did not take over every source"
        finally:
            for daemon in (first, second):
                if daemon.poll() is None:
                    daemon.send_signal(signal.SIGTERM)
            for daemon in (first, second):
                try:
                    daemon.communicate(timeout=30)
                except Exception:
                    os.killpg(daemon.pid, signal.SIGKILL)
        for path_, times in polls(server).items():
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert min(gaps) >= INTERVAL * 0.8, f"{path_} polled twice for one due time: {gaps}"
        received = titles(webhook.requests)
        assert len(received) == relevant and set(received.values()) == {1}, received
        assert count(Article) == len(pages)
        logs = first.log.read_text() + second.log.read_text()
        assert "Traceback" not in logs, logs[-3000:]
        engine.dispose()


def test_a_second_daemon_on_one_sqlite_database_is_refused(tmp_path, webhook):
    with MockServer() as server:
        path = tmp_path / "nw.toml"
        config(path, f"sqlite:///{tmp_path / 'nw.db'}", server, webhook.url("/one"))
        first = Command(path, "run")
        try:
            assert wait_for(lambda: "daemon started" in first.log.read_text(), timeout=60)
            second = Command(path, "run")
            output, _ = second.communicate(timeout=60)
            assert second.returncode == 1
            assert "another newswatch daemon runs on" in output and "use PostgreSQL" in output
            assert "Traceback" not in output and len(output.strip().splitlines()) <= 2, output
            assert first.poll() is None
        finally:
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=30)
