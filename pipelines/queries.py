"""The read side of the store: what operators and analysts list (CLI now, the web app next).

Each query returns plain rows (dicts of str, number, datetime, list, None), ready for any output.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from pipelines.alert_policy import HOLD_DIGEST, HOLD_QUIET
from pipelines.clock import utcnow
from pipelines.items import FULL_CONTENT_REASON
from pipelines.models import Alert, Article, Feedback, Match, Message, MissedArticle, Source, SourceEvent
from pipelines.outbox.rows import UNCONFIGURED, WITHDRAWN

ALERT_STATES = ("pending", "sending", "sent", "dead", "withdrawn")
WAITING = ("pending", "sending", "dead")  # what an operator looks at by default


def recent_matches(session: Session, since: datetime, watch: str | None = None, limit: int = 200) -> list[dict]:
    """Matches newest first: article, watch, score, the forms that fired, the snippet."""
    stmt = (
        select(Match, Article, Source.name)
        .join(Article, Match.article_id == Article.id)
        .outerjoin(Source, Article.source_id == Source.id)
        .where(Match.created_at >= since)
        .order_by(Match.created_at.desc(), Match.id.desc())
        .limit(limit)
    )
    if watch:
        stmt = stmt.where(Match.watch == watch)
    return [
        {"id": match.id, "matched_at": match.created_at, "watch": match.watch, "score": match.score,
         "title": article.title, "url": article.url, "source": source, "language": article.language,
         "published_at": article.published_at, "terms": sorted({t["form"] for t in match.terms}),
         "snippet": match.snippet, "content_origin": article.content_origin,
         "fallback_reason": article.fallback_reason, "page_silent_at": match.page_silent_at}
        for match, article, source in session.execute(stmt)
    ]


# how far back `newswatch sources` counts a source's articles, and those stored from its feed's text
FEED_TEXT_WINDOW = timedelta(days=7)


def feed_text_counts(session: Session, now: datetime | None = None) -> dict[int, tuple[int, int, str | None, int]]:
    """{source id: (articles stored in the last FEED_TEXT_WINDOW, how many of them from the feed's
    own text because the page could not be used, the commonest reason, how many were read from
    their page on a later poll after it had failed (pipelines.refetch))}. A source whose pages are
    blocked or empty still brings articles, matched on the feed's text, often only a summary a few
    lines long: the watches' evidence is then a brief's, which operators should know."""
    since = (now or utcnow()) - FEED_TEXT_WINDOW
    recent = (Article.fetched_at >= since, Article.source_id.is_not(None))
    # not a feed that carries whole articles: its pages are not fetched because they are not needed
    fed = and_(Article.content_origin != "page",
               or_(Article.fallback_reason.is_(None), Article.fallback_reason != FULL_CONTENT_REASON))
    read_later = and_(Article.content_origin == "page", Article.refetch_attempts > 0)
    counts = {sid: [n, int(from_feed or 0), None, int(later or 0)] for sid, n, from_feed, later in session.execute(
        select(Article.source_id, func.count(), func.sum(case((fed, 1), else_=0)),
               func.sum(case((read_later, 1), else_=0)))
        .where(*recent).group_by(Article.source_id))}
    # each source's reasons, the commonest first (ties: the first by name): the first one stays
    for sid, reason in session.execute(
            select(Article.source_id, Article.fallback_reason)
            .where(*recent, fed, Article.fallback_reason.is_not(None))
            .group_by(Article.source_id, Article.fallback_reason)
            .order_by(Article.source_id, func.count().desc(), Article.fallback_reason)):
        counts[sid][2] = counts[sid][2] or reason
    return {sid: tuple(c) for sid, c in counts.items()}


def source_health(session: Session, now: datetime | None = None) -> list[dict]:
    """Each source's health: reported broken since, last success, failures, last error, next poll;
    and its articles of the last 7 days, with how many were stored from the feed's text and how
    many were read from their page on a later poll."""
    recent = feed_text_counts(session, now)
    rows = []
    for s in session.scalars(select(Source).order_by(Source.name)):
        articles, from_feed, reason, read_later = recent.get(s.id, (0, 0, None, 0))
        rows.append(
            {"name": s.name, "kind": s.kind, "enabled": s.enabled, "url": s.url,
             "interval_s": int(s.interval_seconds),
             "effective_interval_s": int(s.effective_interval or s.interval_seconds),
             "interval_reason": s.interval_reason or "configured interval (no successful poll yet)",
             "leased_by": s.leased_by, "broken_since": s.reported_broken_at, "last_polled_at": s.last_polled_at,
             "last_success_at": s.last_success_at, "failures": s.consecutive_failures,
             "failing_since": s.failing_since, "last_error": s.last_error,
             "last_error_at": s.last_error_at, "next_poll_at": s.next_poll_at,
             "articles_7d": articles, "feed_text_7d": from_feed, "feed_text_reason": reason,
             "read_later_7d": read_later})
    return rows


def outbox(session: Session, states=WAITING, now: datetime | None = None,
           paces: dict[str, float] | None = None) -> list[dict]:
    """Alert rows in these states, oldest first: analysts' (a match) and operators' (a source
    event), each with why it waits. ``paces``: seconds between two messages, by target key."""
    now = now or utcnow()
    stmt = (select(Alert, Match, Article, SourceEvent, Source)
            .outerjoin(Match, Alert.match_id == Match.id).outerjoin(Article, Match.article_id == Article.id)
            .outerjoin(SourceEvent, Alert.source_event_id == SourceEvent.id)
            .outerjoin(Source, SourceEvent.source_id == Source.id)
            .where(Alert.status.in_(list(states))).order_by(Alert.id))
    last_sent = dict(session.execute(select(Message.target_key, func.max(Message.sent_at)).group_by(Message.target_key)).all())
    return [
        {"id": a.id, "status": a.status, "target": a.target_label, "attempts": a.attempts,
         "next_attempt_at": a.next_attempt_at, "sent_at": a.sent_at,
         "watch": m.watch if m else None,
         "title": art.title if art else f"source {event.kind}: {src.name}",
         "waiting": waiting(a, now, last_sent.get(a.target_key), (paces or {}).get(a.target_key)),
         "last_error": a.last_error}
        for a, m, art, event, src in session.execute(stmt)
    ]


def waiting(alert: Alert, now: datetime, last_sent: datetime | None, pace: float | None) -> str:
    """Why an alert has not gone yet, in a few words ("" once it is sent)."""
    def at(when: datetime) -> str:
        return when.strftime("%Y-%m-%d %H:%M UTC")

    if alert.status == "sent":
        return ""
    if alert.status == "dead":
        return f"given up after {alert.attempts} attempts (newswatch alerts retry)"
    if alert.status == "withdrawn":
        return WITHDRAWN
    if alert.status == "sending":
        return f"being sent (claimed until {at(alert.claimed_until)})" if alert.claimed_until else "being sent"
    if alert.next_attempt_at > now:
        if alert.attempts:
            return f"retry at {at(alert.next_attempt_at)}"
        return {HOLD_DIGEST: "digest due at ", HOLD_QUIET: "quiet hours until "}.get(
            alert.hold, "due at ") + at(alert.next_attempt_at)
    if alert.last_error == UNCONFIGURED:
        return "target not configured"
    if pace and last_sent and (last_sent - now).total_seconds() + pace > 0:
        return f"paced: the target's last message was {(now - last_sent).total_seconds():.0f} s ago"
    return "due now"


def status_summary(session: Session, now: datetime | None = None) -> dict:
    """The state of the whole system at a glance (``newswatch status``, ``/metrics``, ``/healthz``)."""
    from pipelines.models import CrawlRun, NearDuplicate
    from pipelines.sources import due_sources

    now = now or utcnow()
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    last = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
    enabled = Source.enabled.is_(True)
    return {
        "sources": count(Source),
        "sources_enabled": session.scalar(select(func.count()).where(enabled)),
        "sources_due": len(due_sources(session, now)),
        "sources_broken": session.scalar(select(func.count()).where(enabled, Source.reported_broken_at.is_not(None))),
        "sources_leased": dict(session.execute(select(Source.leased_by, func.count()).where(
            Source.leased_until > now).group_by(Source.leased_by)).all()),
        "next_poll_at": session.scalar(select(func.min(Source.next_poll_at)).where(enabled)),
        "longest_interval": session.scalar(select(func.max(func.coalesce(Source.effective_interval,
                                                                          Source.interval_seconds))).where(enabled)),
        "outbox": {status: n for status, n in session.execute(
            select(Alert.status, func.count()).group_by(Alert.status)).all()},
        "articles": count(Article),
        "near_duplicates": count(NearDuplicate),
        "texts_pruned": session.scalar(select(func.count()).where(Article.text_pruned_at.is_not(None))),
        "duplicates": session.scalar(select(func.coalesce(func.sum(CrawlRun.duplicates), 0))),
        "matches_by_watch": dict(session.execute(select(Match.watch, func.count()).group_by(Match.watch)).all()),
        "last_crawl_started": last.started_at if last else None,
        "last_crawl": f"{last.status} at {last.started_at:%Y-%m-%d %H:%M UTC}: {last.summary()}" if last else "none yet",
    }


def precision_report(session: Session, since: datetime) -> list[dict]:
    """Precision from the newest verdict on each match, by watch, by source and by language; with
    recall where articles the watches missed were reported (pipelines.review.report_missed): each
    missed article of the period is a false negative, recall = relevant / (relevant + missed)."""
    stmt = (
        select(Match.id, Match.watch, Source.name, Article.language, Feedback.verdict, Feedback.created_at)
        .join(Article, Match.article_id == Article.id)
        .outerjoin(Source, Article.source_id == Source.id)
        .outerjoin(Feedback, Feedback.match_id == Match.id)
        .where(Match.created_at >= since)
        .order_by(Match.id, Feedback.created_at)
    )
    latest: dict[int, tuple] = {}
    for match_id, watch, source, language, verdict, _ in session.execute(stmt):
        previous = latest.get(match_id)
        latest[match_id] = (watch, source or "-", language or "-", verdict or (previous[3] if previous else None))
    # relevant, irrelevant, unjudged, missed
    tallies: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for watch, source, language, verdict in latest.values():
        column = {"relevant": 0, "irrelevant": 1}.get(verdict, 2)
        for dimension, value in (("watch", watch), ("source", source), ("language", language)):
            tallies[(dimension, value)][column] += 1
    missed = session.execute(
        select(MissedArticle.watch, Source.name, MissedArticle.language)
        .outerjoin(Article, MissedArticle.article_id == Article.id)
        .outerjoin(Source, Article.source_id == Source.id)
        .where(MissedArticle.created_at >= since)).all()
    for watch, source, language in missed:
        for dimension, value in (("watch", watch), ("source", source or "-"), ("language", language or "-")):
            tallies[(dimension, value)][3] += 1
    rows = []
    for (dimension, value), (good, bad, unjudged, fn) in sorted(tallies.items()):
        judged = good + bad
        rows.append({"by": dimension, "value": value, "matches": judged + unjudged, "judged": judged,
                     "relevant": good, "irrelevant": bad,
                     "precision": round(good / judged, 3) if judged else None,
                     "missed": fn, "recall": round(good / (good + fn), 3) if missed and good + fn else None})
    return rows


_ID_BATCH = 500  # ids per IN list: SQLite caps the bound parameters of a statement


def judged_matches(session: Session, watch: str, limit: int | None = None) -> Iterator[tuple[int, Feedback, Article]]:
    """(match id, its newest verdict, its article) for each match of ``watch`` an analyst judged,
    the newest match first; ``limit``: only the newest that many."""
    newest: dict[int, Feedback] = {}  # rows come oldest first: the last one per match stays
    for row in session.scalars(select(Feedback).join(Match, Feedback.match_id == Match.id)
                               .where(Match.watch == watch).order_by(Feedback.created_at, Feedback.id)):
        newest[row.match_id] = row
    judged = sorted(newest, reverse=True)[:limit]
    for start in range(0, len(judged), _ID_BATCH):
        rows = session.execute(select(Match.id, Article).join(Article, Match.article_id == Article.id)
                               .where(Match.id.in_(judged[start:start + _ID_BATCH])).order_by(Match.id.desc()))
        for match_id, article in rows:
            yield match_id, newest[match_id], article


def missed_reports(session: Session, watch: str, limit: int | None = None) -> Iterator[tuple[MissedArticle, str | None]]:
    """(report, the stored article's canonical URL or None) for each article reported missed for
    ``watch``, the newest first; ``limit``: only the newest that many."""
    stmt = (select(MissedArticle, Article.canonical_url)
            .outerjoin(Article, MissedArticle.article_id == Article.id)
            .where(MissedArticle.watch == watch).order_by(MissedArticle.id.desc()).limit(limit))
    for report, canonical_url in session.execute(stmt):
        yield report, canonical_url
