"""Storing: an article, its matches and their alert rows, in ONE transaction.

Either all of it is committed or none of it: a crash between the article and its alerts cannot
leave a match that never alerts. A second sighting of the same article (same canonical URL or
same content) is a duplicate and writes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipelines.ingest import ArticleRecord
from pipelines.models import Article, Match
from pipelines.outbox import create_alerts

log = logging.getLogger(__name__)


@dataclass
class StoreOutcome:
    status: str                      # "new" or "duplicate"
    article_id: int | None
    match_ids: list[int] = field(default_factory=list)
    alerts: int = 0


def find_duplicate(session: Session, canonical_url: str, content_hash: str) -> int | None:
    stmt = select(Article.id).where(
        or_(Article.canonical_url == canonical_url, Article.content_hash == content_hash)
    ).limit(1)
    return session.scalar(stmt)


def is_known_url(session: Session, canonical: str) -> bool:
    return session.scalar(select(Article.id).where(Article.canonical_url == canonical).limit(1)) is not None


def add_matches(session: Session, article: Article, results, targets) -> tuple[list[Match], int]:
    """Match rows plus one alert row per match and target; the caller commits."""
    matches, alerts = [], 0
    for result in results:
        data = result.to_dict()
        match = Match(
            article=article,
            watch=result.watch,
            score=result.score,
            threshold=result.threshold,
            terms=[h for h in data.get("hits", [])],
            rules=list(result.rules),
            snippet=result.snippet,
            detail=data,
        )
        session.add(match)
        session.flush()
        alerts += create_alerts(session, match, targets)
        matches.append(match)
    return matches, alerts


def store_article(
    sessions: sessionmaker[Session], record: ArticleRecord, results, targets, source_id: int | None
) -> StoreOutcome:
    with sessions() as session:
        duplicate = find_duplicate(session, record.canonical_url, record.content_hash)
        if duplicate is not None:
            return StoreOutcome("duplicate", duplicate)
        article = Article(
            source_id=source_id,
            url=record.url,
            canonical_url=record.canonical_url,
            content_hash=record.content_hash,
            entry_id=record.entry_id,
            title=record.title,
            author=record.author,
            text=record.text,
            language=record.language,
            published_at=record.published_at,
            content_origin=record.content_origin,
            fallback_reason=record.fallback_reason,
            discovered_via=record.discovered_via,
        )
        session.add(article)
        try:
            session.flush()
            matches, alerts = add_matches(session, article, results, targets)
            session.commit()
        except IntegrityError:
            session.rollback()
            # another process stored the same article between our check and our insert
            existing = find_duplicate(session, record.canonical_url, record.content_hash)
            if existing is None:
                raise  # not a duplicate: a real error, and nothing of this article was committed
            return StoreOutcome("duplicate", existing)
        return StoreOutcome("new", article.id, [m.id for m in matches], alerts)
