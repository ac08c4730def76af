"""Source rows: synced from the configuration, and their health after every poll.

A failing source backs off (interval × 2^failures, capped at a day) instead of being hammered
or disabled for ever; the first success resets it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crawler.config import SourceConfig
from crawler.items import SourcePoll
from pipelines.models import Source

MAX_BACKOFF = timedelta(days=1)


def sync_sources(session: Session, configured: tuple[SourceConfig, ...]) -> dict[str, int]:
    """Create or update a row per configured source; sources gone from the config are disabled."""
    rows = {s.name: s for s in session.scalars(select(Source))}
    for cfg in configured:
        row = rows.get(cfg.name)
        if row is None:
            row = Source(name=cfg.name, consecutive_failures=0, articles_found=0)
            session.add(row)
            rows[cfg.name] = row
        if row.url != cfg.url:  # a new address: old validators mean nothing there
            row.etag = row.last_modified = None
        row.kind, row.url, row.language = cfg.kind, cfg.url, cfg.language
        row.interval_seconds, row.enabled = cfg.interval, cfg.enabled
    names = {cfg.name for cfg in configured}
    for name, row in rows.items():
        if name not in names:
            row.enabled = False
    session.commit()
    return {name: row.id for name, row in rows.items()}


def due_sources(session: Session, now: datetime) -> list[Source]:
    stmt = select(Source).where(
        Source.enabled.is_(True), or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now)
    ).order_by(Source.next_poll_at.is_not(None), Source.next_poll_at)
    return list(session.scalars(stmt))


def validators(session: Session) -> dict[str, tuple[str | None, str | None]]:
    return {s.name: (s.etag, s.last_modified) for s in session.scalars(select(Source))}


def record_poll(session: Session, poll: SourcePoll, now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    row = session.scalar(select(Source).where(Source.name == poll.source))
    if row is None:
        return
    row.last_polled_at = now
    interval = timedelta(seconds=row.interval_seconds)
    if poll.status in ("ok", "not-modified"):
        row.last_success_at = now
        row.consecutive_failures = 0
        if poll.status == "ok":
            row.etag, row.last_modified = poll.etag, poll.last_modified
        row.next_poll_at = now + interval
    else:
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
        row.last_error = (poll.error or "unknown error")[:2000]
        row.last_error_at = now
        row.next_poll_at = now + min(interval * 2 ** min(row.consecutive_failures - 1, 16), max(MAX_BACKOFF, interval))
    session.commit()


def postpone(session: Session, names: list[str], now: datetime) -> None:
    """Push sources' next poll ahead before a crawl starts, so a crawl that dies is not relaunched at once."""
    for row in session.scalars(select(Source).where(Source.name.in_(names))):
        row.next_poll_at = now + timedelta(seconds=row.interval_seconds)
    session.commit()
