"""The alert outbox: every alert is a row, delivered exactly once or left visibly waiting.

A row's subject is a match (an analyst's alert, one row per match and target) or a source event
(an operator's alert: a source broke or recovered, one row per event and operator target). Split
by job, as procrastinate splits its manager, retry policy and worker:
- ``rows``: the row's life in the database (create, claim with a lease, sent, failed, dead);
- ``retry``: the policy (exponential backoff with jitter, attempts before dead);
- ``messages``: a row's subject → the message for its channel;
- ``delivery``: the loop that claims, sends through the notifier and records each outcome.
"""
from pipelines.outbox.delivery import Delivery, DeliveryReport, DeliverySettings
from pipelines.outbox.retry import RetryPolicy
from pipelines.outbox.rows import (
    UNCONFIGURED,
    claim_due,
    create_alerts,
    create_source_alerts,
    mark_failed,
    mark_sent,
    note_unconfigured,
    release,
    requeue,
)

__all__ = [
    "Delivery", "DeliveryReport", "DeliverySettings", "RetryPolicy", "UNCONFIGURED", "claim_due",
    "create_alerts", "create_source_alerts", "mark_failed", "mark_sent", "note_unconfigured",
    "release", "requeue",
]
