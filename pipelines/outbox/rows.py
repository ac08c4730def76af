"""The life of an alert row: created pending, claimed with a lease, then sent, retried or dead.

pending → (claim) sending → sent | pending again with backoff | dead; a pending row whose match the
article's page, read later, does not bear out is withdrawn (pipelines.refetch).
- A claim is a lease: status "sending", claimed_by, claimed_until. A worker killed mid-send leaves
  the row "sending"; once claimed_until passes, any worker may claim it again.
- PostgreSQL claims with SELECT … FOR UPDATE SKIP LOCKED; SQLite, which has no row locks, with a
  guarded UPDATE per row (the WHERE repeats the "is it due?" test, rowcount says who won). Either
  way the claim is committed before anything is sent.
Database work only: no rendering, no sending (``delivery`` does that).
"""
from __future__ import annotations

import os
import random
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from pipelines.clock import utcnow
from pipelines.db import insert_for
from pipelines.models import Alert, Match, Message, SourceEvent
from pipelines.outbox.retry import RetryPolicy
from pipelines.text import clip

ERROR_MAX = 1000
UNCONFIGURED = "target not configured any more; left pending until it is configured again"
WITHDRAWN = "withdrawn: the article's page, read later, does not fire the watch"  # status "withdrawn"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def create_alerts(session: Session, match: Match, targets, now: datetime | None = None) -> int:
    """One pending row per (match, target); an existing row is left alone. Returns rows added.

    Each row is due when the target's schedule lets it go (at once, at its next digest, after
    its quiet hours). Uses INSERT … ON CONFLICT DO NOTHING on the (match_id, target_key) unique
    constraint, so a repeat never aborts the caller's transaction. Does not commit: the store
    commits article, match and alerts together.
    """
    if match.id is None:
        session.flush()
    return _insert_rows(session, "match_id", match.id, targets, match.score, now)


def create_source_alerts(session: Session, event: SourceEvent, targets) -> int:
    """One pending row per (source event, target), for operators; as ``create_alerts``, queued at
    the event's time (the poll's clock)."""
    if event.id is None:
        session.flush()
    return _insert_rows(session, "source_event_id", event.id, targets, 0.0, event.created_at)


def _insert_rows(session: Session, subject: str, subject_id: int, targets, score: float,
                 now: datetime | None = None) -> int:
    insert = insert_for(session)
    added = 0
    now = now or utcnow()
    for target in targets:
        due, hold = target.schedule.release(now, score)
        stmt = insert(Alert).values(
            {subject: subject_id, "target_key": target.key, "target_label": target.label,
             "status": "pending", "attempts": 0, "next_attempt_at": due, "hold": hold, "created_at": now},
        ).on_conflict_do_nothing(index_elements=[subject, "target_key"]).returning(Alert.id)
        # RETURNING, not rowcount: ORM-enabled INSERTs report rowcount -1 on psycopg.
        added += len(session.execute(stmt).all())
    return added


def _due(now: datetime):
    return or_(
        and_(Alert.status == "pending", Alert.next_attempt_at <= now),
        and_(Alert.status == "sending", Alert.claimed_until < now),
    )


def claim_due(session: Session, worker_id: str, now: datetime, limit: int, lease: float,
              target_keys=None) -> list[Alert]:
    """Claim up to ``limit`` due rows for ``worker_id`` and commit. ``target_keys`` restricts the
    claim to configured targets (rows for others stay pending, untouched)."""
    query = select(Alert.id).where(_due(now)).order_by(Alert.next_attempt_at, Alert.id)
    if target_keys is not None:
        query = query.where(Alert.target_key.in_(list(target_keys)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    until = now + timedelta(seconds=lease)
    claimed: list[int] = []
    tried: set[int] = set()
    # A few rounds: on SQLite a competing worker may win every row we first picked; the next
    # round looks past those instead of returning empty-handed while rows are still due.
    for _round in range(3):
        candidates = query.where(Alert.id.not_in(tried)) if tried else query
        # SQLite: the first SELECT opens no transaction (pysqlite begins one at the first write),
        # so the first UPDATE starts the write transaction and waits on busy_timeout if needed.
        ids = list(session.execute(candidates.limit(limit - len(claimed))).scalars())
        if not ids:
            break
        for alert_id in ids:
            tried.add(alert_id)
            # The guard repeats the due test: on SQLite another process may have claimed it.
            result = session.execute(
                update(Alert).where(Alert.id == alert_id, _due(now))
                .values(status="sending", claimed_by=worker_id, claimed_until=until)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.append(alert_id)
        if len(claimed) >= limit:
            break
    session.commit()
    if not claimed:
        return []
    rows = session.execute(select(Alert).where(Alert.id.in_(claimed)).order_by(Alert.id)
                           .execution_options(populate_existing=True)).scalars().all()
    return list(rows)


def due_target_keys(session: Session, now: datetime, target_keys) -> list[str]:
    """The configured targets that have rows due now (pending, or left by a dead claimant)."""
    stmt = (select(Alert.target_key).where(_due(now), Alert.target_key.in_(list(target_keys)))
            .group_by(Alert.target_key).order_by(func.min(Alert.next_attempt_at)))
    return list(session.scalars(stmt))


def mark_sent(session: Session, alert_ids: list[int], now: datetime, target, kind: str = "alert") -> int:
    """Record one message to ``target`` carrying these alerts; returns how many were newly marked.
    Applies even if our lease lapsed: the message did go out, and saying so is what stops a
    reclaiming worker's later attempts from sending it again."""
    message = Message(target_key=target.key, target_label=target.label, kind=kind, alerts=len(alert_ids), sent_at=now)
    session.add(message)
    session.flush()
    result = session.execute(
        update(Alert).where(Alert.id.in_(alert_ids), Alert.status != "sent")
        .values(status="sent", sent_at=now, attempts=Alert.attempts + 1, last_error=None,
                claimed_by=None, claimed_until=None, message_id=message.id)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def mark_failed(session: Session, alert_id: int, worker_id: str, now: datetime, error: str,
                policy: RetryPolicy, rng=random) -> str | None:
    """Record a failed attempt: back off, or "dead" when the policy gives up. Only the claimant
    may do this. Returns the new status, or None if the row was not ours any more."""
    mine = (Alert.id == alert_id, Alert.status == "sending", Alert.claimed_by == worker_id)
    row = session.execute(select(Alert.attempts).where(*mine)).first()
    if row is None:
        return None
    attempts = row.attempts + 1
    dead = policy.gives_up(attempts)
    values = dict(attempts=attempts, last_error=clip(error, ERROR_MAX), claimed_by=None, claimed_until=None,
                  status="dead" if dead else "pending")
    if not dead:
        values["next_attempt_at"] = now + timedelta(seconds=policy.delay(attempts, rng))
    result = session.execute(update(Alert).where(*mine).values(**values)
                             .execution_options(synchronize_session=False))
    return values["status"] if result.rowcount == 1 else None


def release(session: Session, alert_id: int, worker_id: str) -> bool:
    """Give a claimed row back untouched (e.g. the lease is nearly over)."""
    result = session.execute(
        update(Alert).where(Alert.id == alert_id, Alert.status == "sending",
                            Alert.claimed_by == worker_id)
        .values(status="pending", claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def requeue(session: Session, ids=None, all_dead: bool = False, now: datetime | None = None) -> int:
    """Make dead (or waiting) rows due now with a fresh attempt budget. Sent rows and rows being
    sent are never touched. Does not commit. Returns the number of rows requeued."""
    if not ids and not all_dead:
        return 0
    now = now or utcnow()
    query = update(Alert).where(Alert.status.in_(["dead", "pending"]))
    if all_dead and not ids:
        query = query.where(Alert.status == "dead")
    if ids:
        query = query.where(Alert.id.in_(list(ids)))
    result = session.execute(query.values(status="pending", attempts=0, next_attempt_at=now,
                                          claimed_by=None, claimed_until=None)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def note_unconfigured(session: Session, configured_keys, now: datetime) -> int:
    """Label due rows whose target is gone, so an operator sees why they wait. Does not commit."""
    result = session.execute(
        update(Alert).where(Alert.status == "pending", Alert.next_attempt_at <= now,
                            Alert.target_key.not_in(list(configured_keys)),
                            or_(Alert.last_error.is_(None), Alert.last_error != UNCONFIGURED))
        .values(last_error=UNCONFIGURED).execution_options(synchronize_session=False))
    return result.rowcount or 0
