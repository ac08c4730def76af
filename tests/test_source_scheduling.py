"""Sources shared by several daemons (claimed with a lease) and polled at an adaptive interval."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from crawler.config import SourceConfig
from pipelines.db import make_engine, session_factory
from pipelines.items import SourcePoll
from pipelines.models import Source
from pipelines.polling import default_bounds, next_interval
from pipelines.sources import claim_due_sources, due_sources, record_poll, sync_sources
from tests.conftest import at_the_same_instant

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def feeds(count: int, interval: float = 1800, **extra) -> list[SourceConfig]:
    return [SourceConfig(name=f"feed {n:02d}", kind="feed", url=f"https://news{n}.example/feed", interval=interval,
                         **extra) for n in range(count)]


def test_two_daemons_claim_disjoint_sources_at_the_same_instant(db_url, sessions):
    with sessions() as session:
        sync_sources(session, feeds(20))
    claimed = at_the_same_instant(db_url, ["d0", "d1"],
                                  lambda session, name: claim_due_sources(session, name, T0, lease=600))
    assert not set(claimed["d0"]) & set(claimed["d1"])
    assert len(claimed["d0"]) + len(claimed["d1"]) == 20


def test_daemons_starting_together_sync_the_same_sources_without_failing(db_url, sessions):
    barrier, errors = threading.Barrier(3), []

    def start():
        engine = make_engine(db_url)
        try:
            with session_factory(engine)() as session:
                barrier.wait()
                sync_sources(session, feeds(300))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with sessions() as session:
        assert len(session.scalars(select(Source)).all()) == 300


def test_a_lease_holds_a_source_until_it_ends_or_the_poll_is_recorded(sessions):
    with sessions() as session:
        sync_sources(session, feeds(2))
        assert claim_due_sources(session, "a", T0, lease=600) == ["feed 00", "feed 01"]
        assert claim_due_sources(session, "b", T0 + timedelta(seconds=599), lease=600) == []
        # feed 00 polled: free, due again after its interval; feed 01's daemon died: free when the lease ends
        record_poll(session, SourcePoll(source="feed 00", status="ok", extra={"fetched": 2}), T0 + timedelta(seconds=30))
        row = session.scalar(select(Source).where(Source.name == "feed 00"))
        assert (row.leased_by, row.leased_until) == (None, None)
        assert claim_due_sources(session, "b", T0 + timedelta(seconds=601), lease=600) == ["feed 01"]
        assert due_sources(session, T0 + timedelta(seconds=1200)) == []  # b's lease holds feed 01
        # then feed 01 (b's crawl never reported: its lease ran out), then feed 00 (its interval)
        assert [s.name for s in due_sources(session, T0 + timedelta(seconds=30 + 1800))] == ["feed 01", "feed 00"]


def test_quiet_sources_slow_down_and_busy_ones_speed_up_within_bounds():
    low, high = default_bounds(1800)
    assert (low, high) == (450, 14400)
    interval, average = 1800.0, None
    for _ in range(20):  # a feed that never has anything new
        step = next_interval(interval, average, 0, low, high)
        assert step.seconds >= interval and step.seconds <= high
        interval, average = step.seconds, step.new_per_poll
    assert interval == high and "quiet" in step.reason and "maximum" in step.reason
    for _ in range(20):  # then a burst of news: ten new entries a poll
        step = next_interval(interval, average, 10, low, high)
        interval, average = step.seconds, step.new_per_poll
    assert interval == low and "busy" in step.reason
    assert next_interval(1800, 2.0, 2, low, high).seconds == 1800  # steady: unchanged
    assert default_bounds(1) == (1, 8)  # short test intervals keep their own floor


def test_record_poll_follows_the_publishing_rate_and_sources_show_why(sessions):
    with sessions() as session:
        sync_sources(session, feeds(1, interval=3600, min_interval=1200, max_interval=7200))
        now = T0
        for _ in range(6):
            record_poll(session, SourcePoll(source="feed 00", status="not-modified"), now)
            row = session.scalar(select(Source))
            now = row.next_poll_at
        assert row.effective_interval == 7200 and row.interval_reason.startswith("quiet")
        assert now - T0 > timedelta(hours=6 * 1.5)  # the gaps grew
        for _ in range(8):
            record_poll(session, SourcePoll(source="feed 00", status="ok", extra={"fetched": 12}), now)
            row = session.scalar(select(Source))
            now = row.next_poll_at
        assert row.effective_interval == 1200 and row.interval_reason.startswith("busy")
        # a changed interval in the configuration starts afresh
        sync_sources(session, feeds(1, interval=600))
        row = session.scalar(select(Source))
        assert row.effective_interval is None and (row.min_interval_seconds, row.max_interval_seconds) == (150, 4800)


def test_an_sqlite_database_takes_one_daemon(tmp_path):
    from crawler.daemon import DaemonError, single_daemon_lock

    url = f"sqlite:///{tmp_path / 'nw.db'}"
    first = single_daemon_lock(url)
    try:
        with pytest.raises(DaemonError, match="another newswatch daemon runs on .*use PostgreSQL"):
            single_daemon_lock(url)
    finally:
        first.close()
    single_daemon_lock(url).close()  # free again once the first one is gone
