"""Time in one convention: aware datetimes in UTC. A naive datetime from a feed, SQLite or a
caller means UTC; nothing in newswatch compares naive with aware times."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """The same instant as an aware UTC datetime (naive is taken as UTC); None stays None."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
