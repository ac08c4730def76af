"""Delivery rounds for tests: the daemon's loop (``pipelines.outbox.Delivery``) on a clock the test
controls, with the analysts' targets given and the operators' from the configuration."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from pipelines.clock import utcnow
from pipelines.outbox import Delivery, DeliveryReport
from pipelines.targets import TargetSet, load_targets


class ManualClock:
    """Time that moves only when the test says so."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def delivery(sessions, analysts, config, now: datetime | None = None, clock=None, **options) -> Delivery:
    targets = TargetSet(tuple(analysts), tuple(load_targets(config.operator_targets)))
    clock = clock or (ManualClock(now) if now else utcnow)
    return Delivery(sessions, targets, config.delivery_settings(), clock=clock, **options)


def deliver(sessions, analysts, config, now: datetime | None = None, clock=None, **options) -> DeliveryReport:
    """One round: claim a batch and deliver it."""
    return delivery(sessions, analysts, config, now, clock, **options).run_once()


def article_titles(body: bytes) -> list[str]:
    """The article titles one JSON webhook message carries: one alone, or a digest's entries."""
    payload = json.loads(body)
    if payload["title"].startswith("[newswatch] digest:"):  # entries: "- <title> — <source>, …"
        return [line[2:].split(" — ")[0] for line in payload["message"].splitlines() if line.startswith("- ")]
    return [payload["title"].split(": ", 1)[1]]  # "[newswatch] <watch>: <title>"
