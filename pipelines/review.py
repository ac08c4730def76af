"""Analysts' side of the store: re-applying changed watches, recording verdicts, reporting
articles a watch missed (false negatives) and exporting them as labelled examples.

The read side (precision reports, listings) is in ``pipelines.queries``."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.labelled_export import example_content, example_name
from pipelines.models import Article, Feedback, Match, MissedArticle, NearDuplicate
from pipelines.render import clean
from pipelines.store import add_matches, queue_alerts
from pipelines.text import clip
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
        # a pruned article (pipelines.retention) has its title only: no evidence to match on
        ids = list(session.scalars(select(Article.id).where(Article.fetched_at >= since, Article.text_pruned_at.is_(None))
                                   .order_by(Article.id)))
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


_NOTE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # a note keeps its line breaks and tabs


def record_feedback(session: Session, match_id: int, verdict: str, note: str | None,
                    author: str | None = None) -> Feedback:
    """Store a verdict; ``author`` says who gave it (a user name, or where it came from)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if session.get(Match, match_id) is None:
        raise LookupError(f"no match with id {match_id}")
    # NUL and other control characters: PostgreSQL refuses the first, a page showing the rest misleads
    note = _NOTE_CONTROL.sub("", note) if note else note
    row = Feedback(match_id=match_id, verdict=verdict, note=note, author=clip(clean(author), 200) or None)
    session.add(row)
    session.commit()
    return row


def highlighted(text: str, hits: list[dict], field: str) -> list[tuple[str, str | None]]:
    """``text`` cut into (piece, group) around the stored hits of ``field`` ("title" or "text"):
    group is None between hits. Offsets are a match's stored ``start``/``end`` in the NFC form of
    the field (as ``Document`` holds it); overlapping hits are shown as one, out-of-range ones not."""
    spans = sorted((h["start"], h["end"], h["group"]) for h in hits
                   if h.get("field") == field and 0 <= h["start"] < h["end"] <= len(text))
    parts, at = [], 0
    for start, end, group in spans:
        if start < at:  # overlaps the previous hit
            if end > at:
                parts[-1] = (parts[-1][0] + text[at:end], parts[-1][1])
                at = end
            continue
        if start > at:
            parts.append((text[at:start], None))
        parts.append((text[start:end], group))
        at = end
    if at < len(text):
        parts.append((text[at:], None))
    return parts


# ---------------------------------------------------------------------------- missed articles

def report_missed(session: Session, matcher: Matcher, watch: str, document: Document, url: str | None = None,
                  note: str | None = None, article_id: int | None = None) -> MissedArticle:
    """Store an article the watch should have caught, with the watch's explanation of it now
    (why it did not fire). Commits. ``LookupError`` when the matcher has no such watch."""
    result = next((r for r in matcher.explain(document) if r.watch == watch), None)
    if result is None:
        raise LookupError(f"no watch named {watch!r}")
    if article_id is None and url:
        from pipelines.dedup import canonical_url

        try:
            article_id = session.scalar(select(Article.id).where(Article.canonical_url == canonical_url(url)))
        except ValueError:
            article_id = None
    row = MissedArticle(watch=watch, url=url, article_id=article_id, title=document.title, text=document.text,
                        language=document.language, note=note, fired=result.fired, score=result.score,
                        explanation=result.to_dict())
    session.add(row)
    session.commit()
    return row


def example_file(missed: MissedArticle) -> tuple[str, str]:
    """(file name, content) of a missed article as a labelled example for `watch test`: put it in
    ``EXAMPLES/relevant/``. The first line is ``# title``; the language code is in the name. The
    same name and content as ``newswatch watch export`` writes for it."""
    return (example_name("missed", missed.id, missed.title, missed.language),
            example_content(missed.title, missed.text))
