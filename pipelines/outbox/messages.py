"""Message assembly: an alert row's subject (a match, or a source event) → what the renderers
need → the message for one channel. Reads the store; sends nothing."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from pipelines.digest import SOURCES, DigestItem, render_digest
from pipelines.items import read_from_note
from pipelines.models import Article, Match, NearDuplicate, Source, SourceEvent
from pipelines.render import (
    AlertContent,
    RenderedAlert,
    SourceEventContent,
    find_spans,
    render,
    render_source_event,
)

Links = Callable[[int], dict]  # match id → {verdict: signed one-click link} (pipelines.feedback_links)


def alert_content(match: Match, feedback: dict[str, str] | None = None) -> AlertContent:
    """Match + article + source → an analyst's alert content (``feedback``: verdict → signed link)."""
    article: Article = match.article
    terms = [t for t in (match.terms or []) if isinstance(t, dict)]
    spans = _detail(match).get("snippet_spans")
    if not _valid_spans(spans):
        spans = find_spans(match.snippet or "", [t.get("form") or t.get("term") for t in terms])
    return AlertContent(
        watch=match.watch, title=article.title or "", url=article.url,
        source=article.source.name if article.source else "",
        published_at=article.published_at, language=article.language,
        score=match.score, threshold=match.threshold,
        terms=[{"term": t.get("term"), "form": t.get("form"), "group": t.get("group")} for t in terms],
        snippet=match.snippet or "", snippet_spans=[tuple(s) for s in spans], feedback=feedback or {},
        watch_title=watch_title(match),
        read_from=read_from_note(article.content_origin, article.fallback_reason),
    )


def watch_title(match: Match) -> str:
    """The watch's title as the matcher recorded it ("" for matches stored before it did)."""
    return str(_detail(match).get("watch_title") or "")


def _detail(match: Match) -> dict:
    """The match's stored explanation, or {} when a row holds none (or not a mapping)."""
    return match.detail if isinstance(match.detail, dict) else {}


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
                channel: str, links: Links | None = None) -> RenderedAlert:
    """An alert row's message for ``channel``: an analyst's (match) or an operator's (source event).
    ``links``: match id → {verdict: signed one-click link}, when the review app can take them."""
    if match_id is not None:
        match = session.execute(
            select(Match).where(Match.id == match_id)
            .options(selectinload(Match.article).selectinload(Article.source))).scalar_one()
        feedback = links(match.id) if links else {}
        return replace(render(alert_content(match, feedback), channel),
                       data={"kind": "alert", "alert": match_fields(session, match, feedback)})
    event = session.execute(select(SourceEvent).where(SourceEvent.id == source_event_id)
                            .options(selectinload(SourceEvent.source))).scalar_one()
    return replace(render_source_event(source_event_content(event), channel),
                   data={"kind": "source_event", "source_event": event_fields(event)})


def match_fields(session: Session, match: Match, feedback: dict[str, str] | None = None) -> dict:
    """An analyst's alert as data (a structured webhook's ``alert``): JSON-ready values only."""
    article = match.article
    return {"feedback": feedback or {},
        "match_id": match.id, "watch": match.watch, "watch_title": watch_title(match) or match.watch,
        "score": match.score, "threshold": match.threshold,
        "title": article.title, "url": article.url, "source": article.source.name if article.source else None,
        "language": article.language, "published_at": _iso(article.published_at),
        "terms": [{"term": t.get("term"), "form": t.get("form"), "group": t.get("group")}
                  for t in match.terms or [] if isinstance(t, dict)],
        "snippet": match.snippet, "story_id": story_of(session, article.id),
        "also_reported_by": _other_outlets(session, article),
        # what the watch read: "page", or the feed's "feed-content" / "feed-summary", and why
        "content_origin": article.content_origin, "fallback_reason": article.fallback_reason,
    }


def event_fields(event: SourceEvent) -> dict:
    """An operator's alert as data: a source broke or recovered."""
    return {"source_event_id": event.id, "event": event.kind, "source": event.source.name,
            "url": event.source.url, "at": _iso(event.created_at), "failing_since": _iso(event.failing_since),
            "failures": event.consecutive_failures, "last_error": event.last_error,
            "last_success_at": _iso(event.last_success_at)}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def digest_for(session: Session, rows: list[tuple[int, int | None, int | None]],
               channel: str, links: Links | None = None) -> list[tuple[RenderedAlert, list[int]]]:
    """Alert rows (id, match id, source event id) → a digest for ``channel``, in parts, each with
    the ids of the alerts it carries. Alerts of one story under one watch share an entry."""
    matches = {m.id: m for m in session.scalars(
        select(Match).where(Match.id.in_([m for _, m, _ in rows if m is not None]))
        .options(selectinload(Match.article).selectinload(Article.source)))}
    events = {e.id: e for e in session.scalars(
        select(SourceEvent).where(SourceEvent.id.in_([e for _, _, e in rows if e is not None]))
        .options(selectinload(SourceEvent.source)))}
    entries: dict[tuple, list] = {}
    for alert_id, match_id, event_id in rows:
        if match_id is not None:
            match = matches[match_id]
            key = ("match", match.watch, story_of(session, match.article_id))
        else:
            key = ("event", event_id)
        entries.setdefault(key, []).append((alert_id, matches.get(match_id), events.get(event_id)))
    feedback = {m.id: links(m.id) for m in matches.values()} if links else {}
    items = [_item(session, group, feedback) for group in entries.values()]
    fields = {alert_id: ({"alert": match_fields(session, match, feedback.get(match.id))} if match is not None
                         else {"source_event": event_fields(event)})
              for group in entries.values() for alert_id, match, event in group}
    return [(replace(message, data={"kind": "digest", "alerts": [fields[i] for i in ids]}), ids)
            for message, ids in render_digest(items, channel)]


def story_of(session: Session, article_id: int) -> int:
    """The id of the story's first article (the article's own id when it is the first)."""
    original = session.scalar(select(NearDuplicate.original_id).where(NearDuplicate.article_id == article_id))
    return original or article_id


def _item(session: Session, group: list, feedback: dict[int, dict]) -> DigestItem:
    ids = tuple(alert_id for alert_id, _, _ in group)
    _, match, event = group[0]
    if match is None:
        content = source_event_content(event)
        detail = f"{content.kind}: {content.failures} failed polls; last error: {content.last_error or 'none'}"
        return DigestItem(ids, SOURCES, f"source {content.kind}: {content.source}", content.url, content.source,
                          detail)
    article = match.article
    terms = Counter((t.get("term"), t.get("form")) for t in match.terms or [] if isinstance(t, dict))
    hit = f', hit "{terms.most_common(1)[0][0][1]}" ({terms.most_common(1)[0][0][0]})' if terms else ""
    note = read_from_note(article.content_origin, article.fallback_reason)
    return DigestItem(ids, watch_title(match) or match.watch, article.title or "", article.url,
                      article.source.name if article.source else "",
                      f"score {match.score:g} (threshold {match.threshold:g}){hit}"
                      + (f"; read from {note}" if note else ""),
                      tuple(_other_outlets(session, article)), feedback.get(match.id, {}))


def _other_outlets(session: Session, article: Article) -> list[str]:
    """The other sources that carried the article's story (near duplicates of it)."""
    story = story_of(session, article.id)
    members = select(NearDuplicate.article_id).where(NearDuplicate.original_id == story)
    names = session.scalars(
        select(Source.name).join(Article, Article.source_id == Source.id)
        .where(or_(Article.id == story, Article.id.in_(members)), Article.id != article.id).distinct())
    own = article.source.name if article.source else None
    return sorted(name for name in names if name != own)
