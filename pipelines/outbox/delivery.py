"""The delivery loop: claim a batch of due alert rows, send each, commit each outcome.

- Each outcome is committed right after its send, so one target's failure never re-sends
  another target's alert (there is one row per subject and target).
- A worker stops sending when its lease is about to run out: past that, another worker may
  already have reclaimed the rows, and sending anyway would deliver twice.
- Nothing about one row (a renderer bug, a target that raises) stops the rest of the batch.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from pipelines.clock import utcnow
from pipelines.notifier import Notifier, SendResult
from pipelines.outbox.messages import message_for
from pipelines.outbox.retry import RetryPolicy
from pipelines.outbox.rows import claim_due, default_worker_id, mark_failed, mark_sent, note_unconfigured, release
from pipelines.targets import Target, TargetSet

log = logging.getLogger(__name__)

LEASE_MARGIN = 0.2    # stop sending when less than this share of the lease is left


@dataclass(frozen=True)
class DeliverySettings:
    batch_size: int = 50                 # rows claimed per round
    lease: float = 300.0                 # seconds a claim lasts; then any worker may reclaim
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_interval: float | None = None    # seconds between sends to one target; None: Apprise's own


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0        # failed and rescheduled
    dead: int = 0          # failed for the last time
    unconfigured: int = 0  # due rows newly labelled: their target is not configured (left pending)

    def __iadd__(self, other: "DeliveryReport") -> "DeliveryReport":
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


@dataclass(frozen=True)
class _Claimed:
    id: int
    target_key: str
    match_id: int | None
    source_event_id: int | None
    claimed_until: datetime


_COUNTED = {"sent": "sent", "pending": "failed", "dead": "dead"}  # new row status → report field


class Delivery:
    """One delivery worker: its session factory, targets, settings, worker id, clock and notifier.

    ``clock`` returns the current time (aware UTC); tests pass their own to move time by hand.
    Keep one Delivery for the life of a process: its Notifier keeps Apprise's per-target throttle.
    """

    def __init__(self, sessions: sessionmaker[Session], targets: TargetSet, settings: DeliverySettings, *,
                 notifier: Notifier | None = None, worker_id: str | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.sessions, self.settings, self.clock = sessions, settings, clock
        self.targets: dict[str, Target] = targets.by_key()
        self.notifier = notifier or Notifier(min_interval=settings.min_interval)
        self.worker_id = worker_id or default_worker_id()

    def run_once(self) -> DeliveryReport:
        """Claim one batch and deliver it. Never raises for one row."""
        report = DeliveryReport()
        start = self.clock()
        with self.sessions() as session:
            report.unconfigured = note_unconfigured(session, self.targets, start)
            session.commit()
            batch = [_Claimed(a.id, a.target_key, a.match_id, a.source_event_id, a.claimed_until)
                     for a in claim_due(session, self.worker_id, start, self.settings.batch_size,
                                        self.settings.lease, self.targets)]
        margin = timedelta(seconds=self.settings.lease * LEASE_MARGIN)
        for i, row in enumerate(batch):
            if self.clock() > row.claimed_until - margin:
                self._give_back(batch[i:])
                log.warning("lease nearly over; returned %s unsent alerts to the queue", len(batch) - i)
                break
            self._deliver(row, report)
        return report

    def drain(self) -> DeliveryReport:
        """Batch after batch until one sends nothing: what is left waits for its backoff."""
        total = DeliveryReport()
        while True:
            report = self.run_once()
            total += report
            if report.sent == 0:
                return total

    def _deliver(self, row: _Claimed, report: DeliveryReport) -> None:
        target = self.targets[row.target_key]
        try:
            with self.sessions() as session:
                message = message_for(session, row.match_id, row.source_event_id, target.channel)
            result = self.notifier.send(target, message)
        except Exception as exc:  # a broken row must not stop the rest of the batch
            log.exception("alert %s: delivery failed unexpectedly", row.id)
            result = SendResult(False, target.redact(f"{type(exc).__name__}: {exc}"))
        if result.ok:
            log.info("alert %s sent to %s", row.id, target.label)
        else:
            log.warning("alert %s to %s failed: %s", row.id, target.label, result.error)
        try:
            with self.sessions() as session:
                if result.ok:
                    status = "sent" if mark_sent(session, row.id, self.clock()) else None
                else:
                    status = mark_failed(session, row.id, self.worker_id, self.clock(),
                                         result.error or "failed", self.settings.retry)
                session.commit()
        except Exception:  # the database went away: the lease runs out and the row is retried
            log.exception("alert %s: could not record the outcome", row.id)
            return
        if status in _COUNTED:
            setattr(report, _COUNTED[status], getattr(report, _COUNTED[status]) + 1)

    def _give_back(self, rows: list[_Claimed]) -> None:
        with self.sessions() as session:
            for row in rows:
                release(session, row.id, self.worker_id)
            session.commit()
