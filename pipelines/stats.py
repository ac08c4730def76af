"""Figures over time for the review app's tables and plots: source health with articles per day,
matches per day, precision per day, source failures per day, alert latency.

Rows of the period are read once and counted in Python: the periods are days to months, so the
rows are thousands, and one plain query reads the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.clock import utcnow
from pipelines.models import Alert, Article, CrawlRun, Feedback, Match, Source, SourceEvent
from pipelines.queries import FEED_TEXT_WINDOW, source_health

STATUS_ORDER = {"broken": 0, "failing": 1, "never polled": 2, "ok": 3, "disabled": 4}


def days(since: datetime, now: datetime | None = None) -> list[date]:
    first, last = since.date(), (now or utcnow()).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def sources_overview(session: Session, now: datetime | None = None) -> list[dict]:
    """``queries.source_health``, broken first, with each source's status and its articles per day
    over the same window (``FEED_TEXT_WINDOW``): the review app's page shows what the CLI prints."""
    rows = []
    for row in source_health(session, now):
        if not row["enabled"]:
            status = "disabled"
        elif row["broken_since"]:
            status = "broken"
        elif row["failures"]:
            status = "failing"
        elif row["last_polled_at"] is None:
            status = "never polled"
        else:
            status = "ok"
        rows.append({**row, "status": status,
                     "articles_per_day": round(row["articles_7d"] / FEED_TEXT_WINDOW.days, 1)})
    return sorted(rows, key=lambda r: (STATUS_ORDER[r["status"]], -r["failures"], r["name"].lower()))


def matches_per_day(session: Session, since: datetime, by: str) -> dict[str, Counter]:
    """{watch | language | source: Counter(day → matches)} of the matches since ``since``."""
    column = {"watch": Match.watch, "language": Article.language, "source": Source.name}[by]
    stmt = (select(Match.created_at, column).join(Article, Match.article_id == Article.id)
            .outerjoin(Source, Article.source_id == Source.id).where(Match.created_at >= since))
    series: dict[str, Counter] = defaultdict(Counter)
    for created_at, key in session.execute(stmt):
        series[key or "–"][created_at.date()] += 1
    return dict(series)


def precision_per_day(session: Session, since: datetime) -> dict[str, dict[date, float]]:
    """{watch: {day: precision}} from the newest verdict on each match, by the day it matched."""
    stmt = (select(Match.id, Match.watch, Match.created_at, Feedback.verdict)
            .join(Feedback, Feedback.match_id == Match.id).where(Match.created_at >= since)
            .order_by(Match.id, Feedback.created_at, Feedback.id))
    latest = {}
    for match_id, watch, created_at, verdict in session.execute(stmt):
        latest[match_id] = (watch, created_at.date(), verdict)
    tallies: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for watch, day, verdict in latest.values():
        tallies[watch][day][0 if verdict == "relevant" else 1] += 1
    return {watch: {day: good / (good + bad) for day, (good, bad) in per_day.items()}
            for watch, per_day in tallies.items()}


def failures_per_day(session: Session, since: datetime) -> dict[str, Counter]:
    """{"failed polls": …, "sources reported broken": …}: Counter(day → n). Failed polls are the
    crawl runs' error counts (a source whose feed failed, or a page that failed)."""
    errors, broken = Counter(), Counter()
    for started_at, count in session.execute(select(CrawlRun.started_at, CrawlRun.errors)
                                             .where(CrawlRun.started_at >= since, CrawlRun.errors > 0)):
        errors[started_at.date()] += count
    for (created_at,) in session.execute(select(SourceEvent.created_at).where(
            SourceEvent.created_at >= since, SourceEvent.kind == "broken")):
        broken[created_at.date()] += 1
    return {"crawl errors": errors, "sources reported broken": broken}


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, nearest rank."""
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


def alert_latency_per_day(session: Session, since: datetime) -> dict[str, dict[date, float]]:
    """{"median": {day: seconds}, "95th percentile": …}: from an alert row's creation to its
    delivery, for the analysts' alerts sent since ``since`` (digests and quiet hours included)."""
    per_day: dict[date, list[float]] = defaultdict(list)
    for created_at, sent_at in session.execute(select(Alert.created_at, Alert.sent_at).where(
            Alert.sent_at.is_not(None), Alert.sent_at >= since, Alert.match_id.is_not(None))):
        per_day[sent_at.date()].append(max(0.0, (sent_at - created_at).total_seconds()))
    median, p95 = {}, {}
    for day, values in per_day.items():
        values.sort()
        median[day] = percentile(values, 0.5)
        p95[day] = percentile(values, 0.95)
    return {"median": median, "95th percentile": p95}


def alert_latency_by_target(session: Session, since: datetime) -> list[dict]:
    """Per target, over the alerts created since ``since``: how many were sent, are waiting or
    were given up, and the delivery latency (queued → sent) of the sent ones: median, 95th
    percentile, slowest. Analysts' and operators' alerts alike; digests and quiet hours count
    as the wait they are."""
    sent: dict[str, list[float]] = defaultdict(list)
    other: dict[str, Counter] = defaultdict(Counter)
    for label, status, created_at, sent_at in session.execute(
            select(Alert.target_label, Alert.status, Alert.created_at, Alert.sent_at)
            .where(Alert.created_at >= since)):
        if status == "sent" and sent_at is not None:
            sent[label].append(max(0.0, (sent_at - created_at).total_seconds()))
        else:
            other[label][status] += 1
    rows = []
    for label in sorted(set(sent) | set(other)):
        values = sorted(sent[label])
        rows.append({
            "target": label, "sent": len(values),
            "waiting": other[label]["pending"] + other[label]["sending"], "dead": other[label]["dead"],
            "withdrawn": other[label]["withdrawn"],
            "median_s": round(percentile(values, 0.5), 1) if values else None,
            "p95_s": round(percentile(values, 0.95), 1) if values else None,
            "max_s": round(values[-1], 1) if values else None,
        })
    return rows
