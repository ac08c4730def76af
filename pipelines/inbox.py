"""The review app's read side: the inbox of matches (filters, full-text search, keyset pages) and
one match with everything about it (its article, verdicts, alerts, the other copies of the story).

Pages are keyset pages on ``matches.id`` (ids grow as matches are stored, so the order is the
order they were found, newest first): a page is "the N matches below id X", an index range, as
fast on page 2,000 as on page 1. Rows are plain dicts.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from pipelines.items import read_from_note
from pipelines.models import Alert, Article, Feedback, Match, NearDuplicate, Source
from pipelines.search import matching_articles

VERDICT_FILTERS = ("unreviewed", "relevant", "irrelevant")
PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxFilter:
    watch: str | None = None
    source: str | None = None
    language: str | None = None
    since: datetime | None = None       # matched at or after
    until: datetime | None = None       # matched before
    min_score: float | None = None
    verdict: str | None = None          # unreviewed | relevant | irrelevant (the newest verdict)
    q: str = ""                         # full-text search over the article's title and text

    def active(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}


def latest_verdict():
    """The newest verdict on the outer query's match (None: not reviewed)."""
    return (select(Feedback.verdict).where(Feedback.match_id == Match.id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(1)
            .correlate(Match).scalar_subquery())


def _conditions(session: Session, f: InboxFilter) -> list:
    where = []
    if f.watch:
        where.append(Match.watch == f.watch)
    if f.source:
        where.append(Article.source_id == select(Source.id).where(Source.name == f.source).scalar_subquery())
    if f.language:
        where.append(Article.language == f.language)
    if f.since:
        where.append(Match.created_at >= f.since)
    if f.until:
        where.append(Match.created_at < f.until)
    if f.min_score is not None:
        where.append(Match.score >= f.min_score)
    if f.verdict == "unreviewed":
        where.append(not_(select(Feedback.id).where(Feedback.match_id == Match.id).correlate(Match).exists()))
    elif f.verdict in ("relevant", "irrelevant"):
        where.append(latest_verdict() == f.verdict)
    if f.q:
        found = matching_articles(session, f.q)
        if found is not None:
            where.append(found)
    return where


def _row(match: Match, article: Article, source: str | None, verdict: str | None) -> dict:
    return {"id": match.id, "matched_at": match.created_at, "watch": match.watch, "score": match.score,
            "threshold": match.threshold, "title": article.title, "url": article.url, "source": source,
            "language": article.language, "published_at": article.published_at, "verdict": verdict,
            "snippet": match.snippet, "content_origin": article.content_origin, "page_silent_at": match.page_silent_at,
            "read_from": read_from_note(article.content_origin, article.fallback_reason)}


@dataclass
class Page:
    rows: list[dict]
    older: int | None    # cursor of the next (older) page: ?before=older
    newer: int | None    # cursor of the previous (newer) page: ?after=newer


def inbox(session: Session, f: InboxFilter, before: int | None = None, after: int | None = None,
          limit: int = PAGE_SIZE) -> Page:
    """Matches newest first, filtered: the ``limit`` below id ``before`` (or above ``after``)."""
    stmt = (select(Match, Article, Source.name, latest_verdict())
            .join(Article, Match.article_id == Article.id)
            .outerjoin(Source, Article.source_id == Source.id)
            .where(*_conditions(session, f)))
    if after is not None:
        rows = list(session.execute(stmt.where(Match.id > after).order_by(Match.id.asc()).limit(limit + 1)))
        more_newer = len(rows) > limit
        rows = rows[:limit][::-1]
        more_older = True  # we came from there
    else:
        if before is not None:
            stmt = stmt.where(Match.id < before)
        rows = list(session.execute(stmt.order_by(Match.id.desc()).limit(limit + 1)))
        more_older = len(rows) > limit
        rows = rows[:limit]
        more_newer = before is not None
    result = [_row(*row) for row in rows]
    return Page(result, result[-1]["id"] if result and more_older else None,
                result[0]["id"] if result and more_newer else None)


def neighbours(session: Session, f: InboxFilter, match_id: int) -> tuple[int | None, int | None]:
    """The ids of the match just newer and just older than ``match_id`` in the filtered inbox."""
    base = (select(Match.id).join(Article, Match.article_id == Article.id).where(*_conditions(session, f)))
    newer = session.scalar(base.where(Match.id > match_id).order_by(Match.id.asc()).limit(1))
    older = session.scalar(base.where(Match.id < match_id).order_by(Match.id.desc()).limit(1))
    return newer, older


def facets(session: Session) -> dict[str, list[str]]:
    """The values the filters offer: watches and languages that have matches, configured sources."""
    return {
        "watch": list(session.scalars(select(Match.watch).distinct().order_by(Match.watch))),
        "language": [lang for lang in session.scalars(
            select(Article.language).where(Article.id.in_(select(Match.article_id))).distinct()
            .order_by(Article.language)) if lang],
        "source": list(session.scalars(select(Source.name).order_by(Source.name))),
    }


def match_detail(session: Session, match_id: int) -> dict | None:
    """One match: its article, the verdicts (newest first), the alerts sent for it and to whom
    (target labels only), and the other articles of the same story ("also reported by")."""
    found = session.execute(select(Match, Article, Source.name).join(Article, Match.article_id == Article.id)
                            .outerjoin(Source, Article.source_id == Source.id).where(Match.id == match_id)).first()
    if found is None:
        return None
    match, article, source = found
    verdicts = [{"verdict": f.verdict, "note": f.note, "at": f.created_at, "by": f.author} for f in session.scalars(
        select(Feedback).where(Feedback.match_id == match_id).order_by(Feedback.created_at.desc(), Feedback.id.desc()))]
    alerts = [{"id": a.id, "target": a.target_label, "status": a.status, "attempts": a.attempts,
               "created_at": a.created_at, "sent_at": a.sent_at, "last_error": a.last_error}
              for a in session.scalars(select(Alert).where(Alert.match_id == match_id).order_by(Alert.id))]
    return {"match": match, "article": article, "source": source, "verdicts": verdicts,
            "verdict": verdicts[0]["verdict"] if verdicts else None, "alerts": alerts,
            "copies": story_copies(session, article.id)}


def story_copies(session: Session, article_id: int) -> list[dict]:
    """The other articles of the article's story: its original and the original's near duplicates."""
    original = session.scalar(select(NearDuplicate.original_id).where(NearDuplicate.article_id == article_id))
    story = original or article_id
    members = select(NearDuplicate.article_id).where(NearDuplicate.original_id == story)
    stmt = (select(Article.id, Article.title, Article.url, Article.fetched_at, Source.name,
                   NearDuplicate.similarity, Match.id)
            .outerjoin(Source, Article.source_id == Source.id)
            .outerjoin(NearDuplicate, NearDuplicate.article_id == Article.id)
            .outerjoin(Match, and_(Match.article_id == Article.id))
            .where(or_(Article.id == story, Article.id.in_(members)), Article.id != article_id)
            .order_by(Article.fetched_at, Article.id))
    copies: dict[int, dict] = {}
    for a_id, title, url, fetched_at, source, similarity, m_id in session.execute(stmt):
        copies.setdefault(a_id, {"article_id": a_id, "title": title, "url": url, "fetched_at": fetched_at,
                                 "source": source, "similarity": similarity, "original": a_id == story,
                                 "match_id": m_id})
    return list(copies.values())
