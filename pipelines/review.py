"""Analysts' side of the store: re-applying changed watches and recording verdicts.

The read side (precision reports, listings) is in ``pipelines.queries``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.models import Article, Feedback, Match, NearDuplicate
from pipelines.store import add_matches, queue_alerts
from pipelines.watch import Document, Matcher

VERDICTS = ("relevant", "irrelevant")


@dataclass
class RematchReport:
    articles: int = 0
    new_matches: int = 0
    already_matched: int = 0
    alerts: int = 0


def rematch(sessions: sessionmaker[Session], matcher: Matcher, since: datetime, watch: str | None,
            targets: list, alert: bool) -> RematchReport:
    """Run the watches again over articles fetched since ``since``.

    A new match is stored. With ``alert``, every match the watches still make (new, or stored
    earlier without alerting) gets an alert row for each target that has none for it yet, nor
    for its watch on the same story: "never twice" is about alerts, not matches. Each article
    commits on its own.
    """
    report = RematchReport()
    with sessions() as session:
        ids = list(session.scalars(select(Article.id).where(Article.fetched_at >= since).order_by(Article.id)))
    for article_id in ids:
        with sessions() as session:
            article = session.get(Article, article_id)
            existing = {m.watch: m for m in session.scalars(select(Match).where(Match.article_id == article_id))}
            results = [r for r in matcher.match(Document(article.title or "", article.text, article.language))
                       if (watch is None or r.watch == watch)]
            report.articles += 1
            fresh = [r for r in results if r.watch not in existing]
            kept = [existing[r.watch] for r in results if r.watch in existing]
            report.already_matched += len(kept)
            if not fresh and not (alert and kept):
                continue
            story_of = session.scalar(select(NearDuplicate.original_id).where(NearDuplicate.article_id == article_id))
            due = targets if alert else []
            _, alerts = add_matches(session, article, fresh, due, story_of)
            alerts += sum(queue_alerts(session, match, due, story_of) for match in kept)
            session.commit()
            report.new_matches += len(fresh)
            report.alerts += alerts
    return report


def record_feedback(session: Session, match_id: int, verdict: str, note: str | None) -> Feedback:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if session.get(Match, match_id) is None:
        raise LookupError(f"no match with id {match_id}")
    row = Feedback(match_id=match_id, verdict=verdict, note=note)
    session.add(row)
    session.commit()
    return row
