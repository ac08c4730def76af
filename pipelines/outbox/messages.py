"""Message assembly: an alert row's subject (a match, or a source event) → what the renderers
need → the message for one channel. Reads the store; sends nothing."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pipelines.models import Article, Match, SourceEvent
from pipelines.render import (
    AlertContent,
    RenderedAlert,
    SourceEventContent,
    find_spans,
    render,
    render_source_event,
)


def alert_content(match: Match) -> AlertContent:
    """Match + article + source → an analyst's alert content."""
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


def source_event_content(event: SourceEvent) -> SourceEventContent:
    """A source event (with its source) → an operator's alert content, as it was when it happened."""
    source = event.source
    return SourceEventContent(
        kind=event.kind, source=source.name, url=source.url, at=event.created_at,
        failing_since=event.failing_since, failures=event.consecutive_failures,
        last_error=event.last_error, last_success_at=event.last_success_at,
    )


def message_for(session: Session, match_id: int | None, source_event_id: int | None,
                channel: str) -> RenderedAlert:
    """An alert row's message for ``channel``: an analyst's (match) or an operator's (source event)."""
    if match_id is not None:
        match = session.execute(
            select(Match).where(Match.id == match_id)
            .options(selectinload(Match.article).selectinload(Article.source))).scalar_one()
        return render(alert_content(match), channel)
    event = session.execute(select(SourceEvent).where(SourceEvent.id == source_event_id)
                            .options(selectinload(SourceEvent.source))).scalar_one()
    return render_source_event(source_event_content(event), channel)
