"""The alert outbox: claim due rows, send each, record the outcome — never lost, never sent twice.

A row's subject is a match (an analyst's alert, one row per match and target) or a source event
(an operator's alert: a source broke or recovered, one row per event and operator target). Both go
through the same claim, lease, backoff and dead-letter code below; only the rendering differs.

Life of a row: pending → (claim) sending → sent | pending again with backoff | dead.
- A claim is a lease: status "sending", claimed_by, claimed_until. A worker killed mid-send leaves
  the row "sending"; once claimed_until passes, any worker may claim it again.
- PostgreSQL claims with SELECT … FOR UPDATE SKIP LOCKED; SQLite, which has no row locks, with a
  guarded UPDATE per row (the WHERE repeats the "is it due?" test, rowcount says who won). Either
  way the claim is committed before anything is sent.
- Each outcome is committed right after its send, so one target's failure never re-sends
  another target's alert (one row per match and target).
- A worker stops sending when its lease is about to run out: past that, another worker may
  already have reclaimed the rows, and sending anyway would deliver twice.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, selectinload

from pipelines.models import Alert, Article, Match, SourceEvent
from pipelines.notifier import Notifier
from pipelines.render import (
    AlertContent,
    RenderedAlert,
    SourceEventContent,
    find_spans,
    render,
    render_source_event,
)
from pipelines.targets import CONSOLE, Target, load_target

log = logging.getLogger(__name__)

JITTER = 0.1          # ±10 % on each backoff, so a burst of failures does not retry in lockstep
LEASE_MARGIN = 0.2    # stop sending when less than this share of the lease is left
ERROR_MAX = 1000
UNCONFIGURED = "target not configured any more; left pending until it is configured again"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0       # failed and rescheduled
    dead: int = 0         # failed for the last time
    unconfigured: int = 0  # due rows newly labelled: their target is not configured (left pending)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- rows ---------------------------------------------------------------------------------------

def create_alerts(session: Session, match: Match, targets) -> int:
    """One pending row per (match, target); an existing row is left alone. Returns rows added.

    Uses INSERT … ON CONFLICT DO NOTHING on the (match_id, target_key) unique constraint, so a
    repeat never aborts the caller's transaction. Does not commit: the store commits article,
    match and alerts together.
    """
    if match.id is None:
        session.flush()
    return _insert_rows(session, "match_id", match.id, targets)


def create_source_alerts(session: Session, event: SourceEvent, targets) -> int:
    """One pending row per (source event, target), for operators; as ``create_alerts``."""
    if event.id is None:
        session.flush()
    return _insert_rows(session, "source_event_id", event.id, targets)


def _insert_rows(session: Session, subject: str, subject_id: int, targets) -> int:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database: {dialect}")
    added = 0
    now = utcnow()
    for target in targets:
        stmt = insert(Alert).values(
            {subject: subject_id, "target_key": target.key, "target_label": target.label,
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now},
        ).on_conflict_do_nothing(index_elements=[subject, "target_key"]).returning(Alert.id)
        # RETURNING, not rowcount: ORM-enabled INSERTs report rowcount -1 on psycopg.
        added += len(session.execute(stmt).all())
    return added


def operator_targets(notify) -> list[Target]:
    """Where operators' alerts go: ``notify.operator_targets``, plus the console when alerts are
    printed (``NotifyConfig.print_to_console``)."""
    targets = [_load_cached(url) for url in getattr(notify, "operator_targets", ())]
    return targets + ([CONSOLE] if notify.print_to_console else [])


_TARGETS: dict[str, Target] = {}


def _load_cached(url: str) -> Target:
    if url not in _TARGETS:
        _TARGETS[url] = load_target(url)
    return _TARGETS[url]


def delivery_targets(targets, notify) -> list[Target]:
    """The targets given (the analysts', and the console when it prints) plus the operators' from
    ``notify.operator_targets``, each key once: every caller of ``deliver_pending`` delivers both
    kinds of alert without knowing about the second."""
    by_key = {t.key: t for t in targets}
    for url in getattr(notify, "operator_targets", ()):
        target = _load_cached(url)
        by_key.setdefault(target.key, target)
    return list(by_key.values())


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


def mark_sent(session: Session, alert_id: int, now: datetime) -> bool:
    """Record a delivery. Applies even if our lease lapsed: the message did go out, and saying so
    is what stops a reclaiming worker's later attempts from sending it again."""
    result = session.execute(
        update(Alert).where(Alert.id == alert_id, Alert.status != "sent")
        .values(status="sent", sent_at=now, attempts=Alert.attempts + 1, last_error=None,
                claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def backoff_delay(attempts: int, initial: float, maximum: float, rng=random) -> float:
    """initial × 2^(attempts-1), capped at maximum, with ±JITTER (never above maximum)."""
    base = min(maximum, initial * (2 ** max(0, attempts - 1)))
    return min(maximum, base * (1 + rng.uniform(-JITTER, JITTER)))


def mark_failed(session: Session, alert_id: int, worker_id: str, now: datetime, error: str,
                config, rng=random) -> str | None:
    """Record a failed attempt: back off, or "dead" after ``config.max_attempts``. Only the
    claimant may do this. Returns the new status, or None if the row was not ours any more."""
    row = session.execute(select(Alert.attempts).where(
        Alert.id == alert_id, Alert.status == "sending", Alert.claimed_by == worker_id)).first()
    if row is None:
        return None
    attempts = row.attempts + 1
    dead = attempts >= config.max_attempts
    values = dict(attempts=attempts, last_error=_clip(error), claimed_by=None, claimed_until=None,
                  status="dead" if dead else "pending")
    if not dead:
        delay = backoff_delay(attempts, config.backoff_initial, config.backoff_max, rng)
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    result = session.execute(
        update(Alert).where(Alert.id == alert_id, Alert.status == "sending",
                            Alert.claimed_by == worker_id)
        .values(**values).execution_options(synchronize_session=False))
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


# --- content ------------------------------------------------------------------------------------

def alert_content(match: Match) -> AlertContent:
    """Match + article + source → what the renderers need."""
    article: Article = match.article
    terms = [t for t in (match.terms or []) if isinstance(t, dict)]
    spans = (match.detail or {}).get("snippet_spans") if isinstance(match.detail, dict) else None
    if not _valid_spans(spans):
        spans = find_spans(match.snippet or "", [t.get("form") or t.get("term") for t in terms])
    return AlertContent(
        watch=match.watch, title=article.title or "", url=article.url,
        source=article.source.name if article.source else "",
        published_at=article.published_at, language=article.language,
        score=match.score, threshold=match.threshold,
        terms=[{"term": t.get("term"), "form": t.get("form"), "group": t.get("group")} for t in terms],
        snippet=match.snippet or "", snippet_spans=[tuple(s) for s in spans],
    )


def _valid_spans(spans) -> bool:
    return isinstance(spans, list) and all(
        isinstance(s, (list, tuple)) and len(s) == 2 and all(isinstance(i, int) for i in s)
        for s in spans)


def load_content(session: Session, match_id: int) -> AlertContent:
    match = session.execute(
        select(Match).where(Match.id == match_id)
        .options(selectinload(Match.article).selectinload(Article.source))).scalar_one()
    return alert_content(match)


def source_event_content(event: SourceEvent) -> SourceEventContent:
    source = event.source
    return SourceEventContent(
        kind=event.kind, source=source.name, url=source.url, at=event.created_at,
        failing_since=event.failing_since, failures=event.consecutive_failures,
        last_error=event.last_error, last_success_at=event.last_success_at,
    )


def rendered(session: Session, match_id: int | None, source_event_id: int | None,
             channel: str) -> RenderedAlert:
    """An alert row's message: an analyst's (match) or an operator's (source event)."""
    if match_id is not None:
        return render(load_content(session, match_id), channel)
    event = session.execute(select(SourceEvent).where(SourceEvent.id == source_event_id)
                            .options(selectinload(SourceEvent.source))).scalar_one()
    return render_source_event(source_event_content(event), channel)


# --- the loop -----------------------------------------------------------------------------------

def deliver_pending(session_factory, targets: list[Target], config, now: datetime | None = None,
                    worker_id: str | None = None, notifier: Notifier | None = None) -> DeliveryReport:
    """One pass: claim a batch, send each row, commit each outcome. Never raises for one row."""
    worker_id = worker_id or default_worker_id()
    notifier = notifier or Notifier(min_interval=getattr(config, "min_interval", None))
    by_key = {t.key: t for t in delivery_targets(targets, config)}
    # ``now`` may be given (tests, catch-up); time still moves on from it while we send.
    start, t0 = now or utcnow(), time.monotonic()
    clock = lambda: start + timedelta(seconds=time.monotonic() - t0)  # noqa: E731
    report = DeliveryReport()

    with session_factory() as session:
        report.unconfigured = note_unconfigured(session, by_key, start)
        session.commit()
        batch = [(a.id, a.target_key, (a.match_id, a.source_event_id), a.claimed_until) for a in
                 claim_due(session, worker_id, start, config.batch_size, config.lease, by_key)]

    for i, (alert_id, key, subject, claimed_until) in enumerate(batch):
        if clock() > claimed_until - timedelta(seconds=config.lease * LEASE_MARGIN):
            rest = [row[0] for row in batch[i:]]
            _give_back(session_factory, rest, worker_id)
            log.warning("lease nearly over; returned %s unsent alerts to the queue", len(rest))
            break
        try:
            _deliver_one(session_factory, by_key[key], alert_id, subject, worker_id, config,
                         clock, notifier, report)
        except Exception as exc:  # a broken row must not stop the rest of the batch
            log.exception("alert %s: delivery failed unexpectedly", alert_id)
            _record_failure(session_factory, alert_id, worker_id, clock(),
                            by_key[key].redact(f"{type(exc).__name__}: {exc}"), config, report)
    return report


def _deliver_one(session_factory, target: Target, alert_id, subject, worker_id, config, clock,
                 notifier, report) -> None:
    with session_factory() as session:
        message = rendered(session, *subject, target.channel)
    result = notifier.send(target, message)
    if result.ok:
        with session_factory() as session:
            mark_sent(session, alert_id, clock())
            session.commit()
        report.sent += 1
        log.info("alert %s sent to %s", alert_id, target.label)
    else:
        log.warning("alert %s to %s failed: %s", alert_id, target.label, result.error)
        _record_failure(session_factory, alert_id, worker_id, clock(), result.error or "failed",
                        config, report)


def _record_failure(session_factory, alert_id, worker_id, now, error, config, report) -> None:
    try:
        with session_factory() as session:
            status = mark_failed(session, alert_id, worker_id, now, error, config)
            session.commit()
    except Exception:
        log.exception("alert %s: could not record the failure", alert_id)
        return
    if status == "dead":
        report.dead += 1
    elif status == "pending":
        report.failed += 1


def _give_back(session_factory, ids, worker_id) -> None:
    with session_factory() as session:
        for alert_id in ids:
            release(session, alert_id, worker_id)
        session.commit()


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"
