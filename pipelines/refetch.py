"""Fetching a page again after a transient failure, and reading the article from it.

An article whose page timed out or answered 5xx is stored from its feed's text (a summary, most
often: a few lines the watch judges with little evidence) and its URL is then known, so no later
poll would fetch it again. Here the next polls of its source, for a day, fetch the page again, at
most ``ATTEMPTS`` times; when the page yields an article, the stored article takes its text and is
matched again. A watch that now fires gets its match and its alerts; a watch that had already
fired on the feed's text has its match brought up to date and alerts no one a second time (a
match the page no longer bears out stays, marked ``page_silent_at``, for an analyst to judge; its
alerts not yet sent (held for a digest or quiet hours, or waiting to retry) are withdrawn).
Failures that will not pass by waiting (403, 404, not HTML, no article on the page, robots.txt)
are not fetched again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from pipelines.clock import utcnow
from pipelines.dedup import to_signed64
from pipelines.ingest import ArticleRecord
from pipelines.items import FULL_CONTENT_REASON, ArticleItem
from pipelines.models import Alert, Article, NearDuplicate, Source
from pipelines.store import (RecentSignatures, add_matches, link_story, match_columns, signature_of,
                             take_story_lock)

ATTEMPTS = 3                    # fetches after the first one; then the feed's text stays for good
WITHIN = timedelta(days=1)      # a page still failing a day later is not coming back soon
PER_SOURCE = 20                 # a poll fetches at most this many again, beside its new articles

# The reasons crawler.spiders.base.describe_failure gives for failures that pass: the server's
# overload or maintenance (5xx, 429, 408), a timeout, a dropped or refused connection, DNS.
_TRANSIENT = re.compile(
    r"^(HTTP (5\d\d|429|408)\b|timeout\b|DNS lookup failed|connection (refused|lost|closed)"
    r"|no response|download failed)")


def is_transient(reason: str | None) -> bool:
    """Whether a page that failed for this reason may well answer on a later poll."""
    return bool(reason) and reason != FULL_CONTENT_REASON and bool(_TRANSIENT.match(reason))


def due_refetches(session: Session, source_names: list[str], now: datetime | None = None) -> list[ArticleItem]:
    """The items whose pages the next poll of these sources fetches again: articles stored from
    their feed's text after a transient failure, first seen within ``WITHIN``, fetched again fewer
    than ``ATTEMPTS`` times; at most ``PER_SOURCE`` per source, newest first."""
    since = (now or utcnow()) - WITHIN
    rows = session.execute(
        select(Article.id, Article.url, Article.title, Article.published_at, Article.entry_id,
               Article.language, Article.discovered_via, Article.fallback_reason, Source.name)
        .join(Source, Article.source_id == Source.id)
        .where(Source.name.in_(source_names), Article.content_origin != "page",
               Article.refetch_attempts < ATTEMPTS, Article.fetched_at >= since)
        .order_by(Article.fetched_at.desc(), Article.id.desc()))
    items, per_source = [], {}
    for row in rows:
        if not is_transient(row.fallback_reason) or per_source.get(row.name, 0) >= PER_SOURCE:
            continue
        per_source[row.name] = per_source.get(row.name, 0) + 1
        items.append(ArticleItem(url=row.url, source=row.name, title=row.title, published_at=row.published_at,
                                 entry_id=row.entry_id, language_hint=row.language,
                                 discovered_via=row.discovered_via, refetch_of=row.id))
    return items


@dataclass
class RefetchOutcome:
    status: str                      # "read" (the page's article replaced the feed's text),
                                     # "failed" (not this time), "duplicate" or "gone"
    match_ids: list[int] = field(default_factory=list)  # matches made now, each with its alerts
    alerts: int = 0
    updated: int = 0                 # matches made before, on the feed's text, brought up to date
    silent: int = 0                  # matches made before that the page does not bear out (page_silent_at)
    withdrawn: int = 0               # their alerts not yet sent, withdrawn


def apply_refetch(sessions: sessionmaker[Session], article_id: int, record: ArticleRecord | None,
                  reason: str | None, results, targets, recent: RecentSignatures | None = None) -> RefetchOutcome:
    """Count the attempt and, when ``record`` was read from the page, put its article in place of
    the feed's text and store the matches ``results`` made on it, in one transaction.

    ``reason``: why the page failed again (the item's ``fallback_reason``), kept on the article.
    A page whose text is already stored under another article (``content_hash``) is a duplicate:
    the feed's text stays, and the page is not fetched again. ``recent``: the storing process's
    signatures, which then hold the article's new one.
    """
    with sessions() as session:
        read = record is not None and record.content_origin == "page"
        if read:
            # the story lock before the article's row: a transaction storing another article holds
            # the lock while it links its copy to this one, which waits for this row's update
            take_story_lock(session)
        article = session.get(Article, article_id)
        if article is None:  # deleted since the poll listed it
            return RefetchOutcome("gone")
        article.refetch_attempts += 1
        if not read:
            article.fallback_reason = reason or article.fallback_reason
            session.commit()
            return RefetchOutcome("failed")
        clash = session.scalar(select(Article.id).where(Article.content_hash == record.content_hash,
                                                         Article.id != article_id))
        if clash is not None:
            article.refetch_attempts = ATTEMPTS
            session.commit()
            return RefetchOutcome("duplicate")
        signature = signature_of(record)
        article.text, article.content_hash = record.text, record.content_hash
        article.title = article.title or record.title
        article.author, article.language = record.author, record.language or article.language
        article.published_at = article.published_at or record.published_at
        article.content_origin, article.fallback_reason = "page", None
        article.simhash = to_signed64(signature) if signature is not None else None
        article.text_replaced_at = utcnow()
        before = {m.watch: m for m in article.matches}
        fresh, updated = [], 0
        for result in results:
            match = before.pop(result.watch, None)
            if match is None:
                fresh.append(result)
                continue
            for column, value in match_columns(result).items():
                setattr(match, column, value)
            match.page_silent_at = None
            updated += 1
        withdrawn = 0
        for match in before.values():  # made on the feed's text; the page does not fire the watch
            match.page_silent_at = utcnow()
            # an alert not yet claimed would tell a target what the article does not bear out;
            # one being sent or sent already stays as it is (the match page says what happened)
            withdrawn += session.execute(
                update(Alert).where(Alert.match_id == match.id, Alert.status == "pending")
                .values(status="withdrawn")).rowcount
        story_of = session.scalar(select(NearDuplicate.original_id).where(NearDuplicate.article_id == article_id))
        if story_of is None and signature is not None:
            # another outlet's copy stored before: a target alerted about the story is not alerted again
            near = link_story(session, article_id, article.url, record.text, signature, recent)
            story_of = near.original_id if near else None
        matches, alerts = add_matches(session, article, fresh, targets, story_of) if fresh else ([], 0)
        session.commit()
        if recent is not None:
            # a copy stored later by this process finds the story by the page's text, not the summary's
            # at once (other processes see text_replaced_at at their next look-up)
            recent.replace(article_id, article.simhash, article.fetched_at)
        return RefetchOutcome("read", [m.id for m in matches], alerts, updated, len(before), withdrawn)

