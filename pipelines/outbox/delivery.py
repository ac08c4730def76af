"""The delivery loop: claim the due alert rows of each target, send them, commit each outcome.

- Targets are served at once, each by its own thread: one target's failures, backoff or pace
  never delay another's.
- Each target is paced: at least its pace between two of its messages (Slack's one message a
  second, a mail server's limit), applied here, not by Apprise's fixed per-service throttle.
- More alerts due at once for one target than its ``burst``, or any alert it held for a digest or
  through quiet hours, go out as one digest (several parts when the channel needs it); the
  ``messages`` table records which message carried which alert.
- Each outcome is committed right after its send, so one failure never re-sends another message.
- A worker stops sending when its lease is about to run out: past that, another worker may
  already have reclaimed the rows, and sending anyway would deliver twice.
- Nothing about one row (a renderer bug, a target that raises) stops the rest of the batch.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.alert_policy import pace_for
from pipelines.clock import utcnow
from pipelines.models import Alert
from pipelines.notifier import Notifier, SendResult
from pipelines.outbox.messages import digest_for, message_for
from pipelines.outbox.retry import RetryPolicy
from pipelines.outbox.rows import (
    claim_due,
    default_worker_id,
    due_target_keys,
    mark_failed,
    mark_sent,
    note_unconfigured,
    release,
)
from pipelines.targets import Target, TargetSet

log = logging.getLogger(__name__)

LEASE_MARGIN = 0.2      # stop sending when less than this share of the lease is left
MAX_TARGET_THREADS = 8  # targets served at once


@dataclass(frozen=True)
class DeliverySettings:
    batch_size: int = 50                 # rows claimed per target and round
    lease: float = 300.0                 # seconds a claim lasts; then any worker may reclaim
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_interval: float | None = None    # pace of every target that sets none; None: by channel
    # match id → {verdict: signed one-click link} for the alerts (the review app's); None: no links
    feedback_links: Callable[[int], dict] | None = None


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0        # failed and rescheduled
    dead: int = 0          # failed for the last time
    unconfigured: int = 0  # due rows newly labelled: their target is not configured (left pending)
    messages: int = 0      # messages sent (a digest carries several alerts in one)

    def __iadd__(self, other: "DeliveryReport") -> "DeliveryReport":
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


@dataclass(frozen=True)
class _Claimed:
    id: int
    match_id: int | None
    source_event_id: int | None
    hold: str | None
    claimed_until: datetime


_COUNTED = {"pending": "failed", "dead": "dead"}  # a failed row's new status → report field


class Delivery:
    """One delivery worker: its session factory, targets, settings, worker id, clock and notifier.

    ``clock`` returns the current time (aware UTC), ``ticks`` a monotonic count of seconds that
    pacing measures with, and ``sleep`` waits out a target's pace; tests pass their own. Keep one
    Delivery for the life of a process: it remembers each target's pace.
    """

    def __init__(self, sessions: sessionmaker[Session], targets: TargetSet, settings: DeliverySettings, *,
                 notifier: Notifier | None = None, worker_id: str | None = None,
                 clock: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = time.sleep,
                 ticks: Callable[[], float] = time.monotonic, observer=None):
        self.sessions, self.settings, self.clock, self.sleep = sessions, settings, clock, sleep
        self.ticks = ticks
        # told of each outcome (the daemon's metrics): sent(channel, latencies), failed(channel, count, dead)
        self.observer = observer
        self.targets: dict[str, Target] = targets.by_key()
        self.notifier = notifier or Notifier(min_interval=0)  # we pace, not Apprise
        self.worker_id = worker_id or default_worker_id()
        self._ready_at: dict[str, float] = {}  # target key → ticks() when it may send again
        self._ready_lock = threading.Lock()

    def run_once(self) -> DeliveryReport:
        """One round: every target with due rows is served, at once. Never raises for one row."""
        start = self.clock()
        with self.sessions() as session:
            report = DeliveryReport(unconfigured=note_unconfigured(session, self.targets, start))
            session.commit()
            keys = due_target_keys(session, start, self.targets)
        if len(keys) == 1:
            report += self._serve(keys[0])
        elif keys:
            with ThreadPoolExecutor(min(len(keys), MAX_TARGET_THREADS), thread_name_prefix="deliver") as pool:
                for served in pool.map(self._serve, keys):
                    report += served
        return report

    def drain(self) -> DeliveryReport:
        """Round after round until one sends nothing: what is left waits for its backoff."""
        total = DeliveryReport()
        while True:
            report = self.run_once()
            total += report
            if report.sent == 0:
                return total

    def pace_of(self, target: Target) -> float:
        pace = target.pace if target.pace is not None else self.settings.min_interval
        return pace_for(target.channel, pace)

    # -- one target --------------------------------------------------------------------------

    def _serve(self, key: str) -> DeliveryReport:
        report, target = DeliveryReport(), self.targets[key]
        try:
            with self.sessions() as session:
                rows = [_Claimed(a.id, a.match_id, a.source_event_id, a.hold, a.claimed_until)
                        for a in claim_due(session, self.worker_id, self.clock(), self.settings.batch_size,
                                           self.settings.lease, [key])]
        except Exception:  # the database went away: the next round tries again
            log.exception("could not claim alerts for %s", target.label)
            return report
        if len(rows) > target.burst or any(row.hold for row in rows):
            self._send(target, rows, report, digest=True)
        else:
            for i, row in enumerate(rows):
                if not self._send(target, [row], report, digest=False):
                    self._give_back(rows[i + 1:])
                    break
        return report

    def _send(self, target: Target, rows: list[_Claimed], report: DeliveryReport, digest: bool) -> bool:
        """Send these rows (one alert, or a digest in one or more parts) and record the outcome.
        False when the lease is nearly over: the rows were given back unsent."""
        try:
            with self.sessions() as session:
                if digest:
                    parts = digest_for(session, [(r.id, r.match_id, r.source_event_id) for r in rows], target.channel,
                                       self.settings.feedback_links)
                else:
                    parts = [(message_for(session, rows[0].match_id, rows[0].source_event_id, target.channel,
                                          self.settings.feedback_links), [rows[0].id])]
        except Exception as exc:  # a broken row must not stop the rest of the batch
            log.exception("alerts %s: could not be prepared", [r.id for r in rows])
            self._record_failure(target, [r.id for r in rows], target.redact(f"{type(exc).__name__}: {exc}"), report)
            return True
        margin = timedelta(seconds=self.settings.lease * LEASE_MARGIN)
        deadline = min(r.claimed_until for r in rows) - margin
        for i, (message, ids) in enumerate(parts):
            self._wait_for_pace(target)
            if self.clock() > deadline:
                unsent = {alert_id for _, part in parts[i:] for alert_id in part}
                left = [r for r in rows if r.id in unsent]
                self._give_back(left)
                log.warning("lease nearly over; returned %s unsent alerts to the queue", len(left))
                return False
            try:
                result = self.notifier.send(target, message)
            except Exception as exc:  # a notifier bug is one failed send, not a stopped worker
                log.exception("alerts %s to %s: delivery failed unexpectedly", ids, target.label)
                result = SendResult(False, target.redact(f"{type(exc).__name__}: {exc}"))
            if not result.ok:
                log.warning("alerts %s to %s failed: %s", ids, target.label, result.error)
                unsent = [alert_id for _, part in parts[i:] for alert_id in part]
                self._record_failure(target, unsent, result.error or "failed", report)
                return True
            self._record_sent(target, ids, "digest" if digest else "alert", report)
        return True

    def _wait_for_pace(self, target: Target) -> None:
        with self._ready_lock:
            wait = self._ready_at.get(target.key, 0.0) - self.ticks()
        if wait > 0:
            self.sleep(wait)
        with self._ready_lock:
            self._ready_at[target.key] = self.ticks() + self.pace_of(target)

    def _record_sent(self, target: Target, ids: list[int], kind: str, report: DeliveryReport) -> None:
        log.info("alerts %s sent to %s%s", ids, target.label, " as a digest" if kind == "digest" else "")
        try:
            with self.sessions() as session:
                now = self.clock()
                queued = list(session.scalars(select(Alert.created_at).where(Alert.id.in_(ids))))
                report.sent += mark_sent(session, ids, now, target, kind)
                session.commit()
            report.messages += 1
        except Exception:  # the database went away: the lease runs out and the rows are retried
            log.exception("alerts %s: sent, but the outcome could not be recorded", ids)
            return
        if self.observer:
            self.observer.sent(target.channel, [(now - created).total_seconds() for created in queued])

    def _record_failure(self, target: Target, ids: list[int], error: str, report: DeliveryReport) -> None:
        try:
            with self.sessions() as session:
                statuses = [mark_failed(session, alert_id, self.worker_id, self.clock(), error, self.settings.retry)
                            for alert_id in ids]
                session.commit()
        except Exception:  # as above: the lease runs out and the rows are retried
            log.exception("alerts %s to %s: could not record the failure", ids, target.label)
            return
        for status in statuses:
            if status in _COUNTED:
                setattr(report, _COUNTED[status], getattr(report, _COUNTED[status]) + 1)
        if self.observer:
            self.observer.failed(target.channel, sum(s in _COUNTED for s in statuses), statuses.count("dead"))

    def _give_back(self, rows: list[_Claimed]) -> None:
        if not rows:
            return
        with self.sessions() as session:
            for row in rows:
                release(session, row.id, self.worker_id)
            session.commit()
