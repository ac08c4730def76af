"""Source rows: synced from the configuration, claimed for a poll, and their health after it.

Several daemons may share one database: a due source is claimed with a lease (PostgreSQL:
SELECT … FOR UPDATE SKIP LOCKED; SQLite: a guarded UPDATE), so one daemon polls it; the lease
also postpones its next poll, so a source whose crawl died is taken up again when it expires.
A successful poll sets the next one by the source's adaptive interval (pipelines.polling). A
failing source backs off (interval × 2^failures, capped at a day) instead of being hammered or
disabled for ever; the first success resets it.

Operators hear about it twice, never more: once when the source reaches
``notify.source_failure_threshold`` consecutive failed polls ("broken"), once at the first success
after that ("recovered"). Each is a ``SourceEvent`` row plus one outbox row per operator target,
committed with the poll's health update, so the alert is never lost and never sent twice.
``sources.reported_broken_at`` says whether the source is currently reported broken.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Iterable, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from pipelines.clock import utcnow
from pipelines.db import insert_for
from pipelines.items import SourcePoll
from pipelines.models import Source, SourceEvent
from pipelines.outbox import create_source_alerts
from pipelines.polling import default_bounds, next_interval

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)
DEFAULT_FAILURE_THRESHOLD = 3


class SourceSettings(Protocol):
    """What the store needs of a configured source (the application's ``SourceConfig`` has it)."""

    name: str
    kind: str
    url: str
    language: str | None
    interval: float
    enabled: bool
    min_interval: float | None
    max_interval: float | None


def sync_sources(session: Session, configured: Iterable[SourceSettings]) -> dict[str, int]:
    """Create or update a row per configured source; sources gone from the config are disabled.

    New rows go in with INSERT … ON CONFLICT DO NOTHING: daemons starting at once on an empty
    database all sync the same sources, and the second must find them, not fail on them."""
    configured = list(configured)
    known = set(session.scalars(select(Source.name)))
    new = [{"name": cfg.name, "kind": cfg.kind, "url": cfg.url, "interval_seconds": cfg.interval,
            "consecutive_failures": 0, "articles_found": 0, "enabled": cfg.enabled, "created_at": utcnow()}
           for cfg in configured if cfg.name not in known]
    if new:
        # executemany, batched by SQLAlchemy: one VALUES list of 10,000 sources would pass
        # PostgreSQL's limit of 65,535 parameters
        session.execute(insert_for(session)(Source).on_conflict_do_nothing(index_elements=["name"]), new)
    rows = {s.name: s for s in session.scalars(select(Source))}
    for cfg in configured:
        row = rows[cfg.name]
        if row.url != cfg.url:  # a new address: old validators mean nothing there
            row.etag = row.last_modified = None
        row.kind, row.url, row.language = cfg.kind, cfg.url, cfg.language
        if row.interval_seconds != cfg.interval:  # a new setting starts the adaptation afresh
            row.effective_interval = row.interval_reason = None
        row.interval_seconds, row.enabled = cfg.interval, cfg.enabled
        low, high = default_bounds(cfg.interval)
        row.min_interval_seconds = cfg.min_interval or low
        row.max_interval_seconds = cfg.max_interval or high
    names = {cfg.name for cfg in configured}
    for name, row in rows.items():
        if name not in names:
            row.enabled = False
    session.commit()
    return {name: row.id for name, row in rows.items()}


def _due(now: datetime):
    return (Source.enabled.is_(True), or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now),
            or_(Source.leased_until.is_(None), Source.leased_until <= now))


def due_sources(session: Session, now: datetime) -> list[Source]:
    """Enabled sources whose next poll is due and that no daemon holds, soonest first."""
    stmt = select(Source).where(*_due(now)).order_by(Source.next_poll_at.is_not(None), Source.next_poll_at)
    return list(session.scalars(stmt))


def claim_due_sources(session: Session, worker: str, now: datetime, lease: float, limit: int = 1000) -> list[str]:
    """Claim up to ``limit`` due sources for ``worker`` for ``lease`` seconds and commit; returns
    their names. Their next poll moves to the end of the lease: if the crawl dies, they are due
    again then (for any daemon); a finished poll sets it properly (``record_poll``)."""
    query = (select(Source.id).where(*_due(now))
             .order_by(Source.next_poll_at.is_not(None), Source.next_poll_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    until = now + timedelta(seconds=lease)
    claimed = []
    for source_id in list(session.scalars(query)):
        # the guard repeats the due test: on SQLite another process may have claimed it meanwhile
        result = session.execute(update(Source).where(Source.id == source_id, *_due(now))
                                 .values(leased_by=worker, leased_until=until, next_poll_at=until)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append(source_id)
    session.commit()
    if not claimed:
        return []
    return list(session.scalars(select(Source.name).where(Source.id.in_(claimed)).order_by(Source.name)))


def validators(session: Session) -> dict[str, tuple[str | None, str | None]]:
    return {s.name: (s.etag, s.last_modified) for s in session.scalars(select(Source))}


def record_poll(session: Session, poll: SourcePoll, now: datetime | None = None,
                failure_threshold: int = DEFAULT_FAILURE_THRESHOLD, targets=()) -> SourceEvent | None:
    """Update the source's health after a poll and commit. Returns the "broken" or "recovered"
    event this poll caused (queued for ``targets``, the operators'), or None."""
    now = now or utcnow()
    row = session.scalar(select(Source).where(Source.name == poll.source))
    if row is None:
        return None
    row.last_polled_at = now
    row.leased_by = row.leased_until = None
    interval = timedelta(seconds=row.interval_seconds)
    event = None
    if poll.status in ("ok", "not-modified"):
        if row.reported_broken_at is not None:
            event = _event(session, row, "recovered", now, targets)
            row.reported_broken_at = None
        row.last_success_at = now
        row.consecutive_failures = 0
        row.failing_since = None
        if poll.status == "ok":
            row.etag, row.last_modified = poll.etag, poll.last_modified
        new = int(poll.extra.get("fetched") or 0) if poll.status == "ok" else 0
        low, high = default_bounds(row.interval_seconds)
        step = next_interval(row.effective_interval or row.interval_seconds, row.new_per_poll, new,
                             row.min_interval_seconds or low, row.max_interval_seconds or high)
        row.effective_interval, row.new_per_poll, row.interval_reason = step.seconds, step.new_per_poll, step.reason
        row.next_poll_at = now + timedelta(seconds=step.seconds)
    else:
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
        row.failing_since = row.failing_since or now
        row.last_error = (poll.error or "unknown error")[:2000]
        row.last_error_at = now
        row.next_poll_at = now + min(interval * 2 ** min(row.consecutive_failures - 1, 16), max(MAX_BACKOFF, interval))
        if row.consecutive_failures >= failure_threshold and row.reported_broken_at is None:
            event = _event(session, row, "broken", now, targets)
            row.reported_broken_at = now
    session.commit()
    return event


def _event(session: Session, row: Source, kind: str, now: datetime, targets) -> SourceEvent:
    event = SourceEvent(
        source_id=row.id, kind=kind, created_at=now, failing_since=row.failing_since,
        consecutive_failures=row.consecutive_failures, last_error=row.last_error,
        last_success_at=row.last_success_at,
    )
    session.add(event)
    session.flush()
    queued = create_source_alerts(session, event, targets)
    log.log(logging.WARNING if kind == "broken" else logging.INFO,
            "source %s %s after %s failed polls (failing since %s); %s operator alerts queued",
            row.name, kind, row.consecutive_failures, row.failing_since, queued)
    return event
