"""Retention: the text of old articles that no watch matched is dropped; their row stays.

Article texts are most of the store, and most articles match nothing: a daemon that polls for
months keeps growing by them. Their row is kept (URL, content hash, title, times, signature), so
a feed that still lists an old article finds it known and does not store it, or alert it, again.
Matched articles keep everything: the review app shows them and analysts' verdicts point at them.
An article reported as missed is safe too: the report holds its own copy of the text.

A pruned article has an empty text and ``text_pruned_at`` set; ``rematch``, the review app's
"try an edit" and ``watch suggest`` leave it out, so a title alone never makes a match.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipelines.clock import utcnow
from pipelines.models import Article, Match

# Not younger than the 30 days in which rematch (its default) and the review app try an edited
# watch on stored text; far past the near-duplicate and refetch windows (7 days, 1 day).
MIN_AGE = timedelta(days=30)
BATCH = 500  # rows per transaction: short locks on a busy database


@dataclass
class PruneOutcome:
    articles: int = 0      # texts dropped (or, with dry_run, that would be)
    characters: int = 0    # their length in all (about, when a match was stored meanwhile)
    done: bool = True      # False: stopped at ``limit``, more are due


def _prunable(cutoff: datetime):
    unmatched = ~exists().where(Match.article_id == Article.id)
    return (Article.fetched_at < cutoff, Article.text_pruned_at.is_(None), unmatched)


def prune_unmatched_texts(sessions: sessionmaker[Session], older_than: timedelta, now: datetime | None = None,
                          dry_run: bool = False, limit: int | None = None) -> PruneOutcome:
    """Drop the text of every article fetched more than ``older_than`` ago that has no match, in
    batches of BATCH rows, each its own transaction; ``limit``: stop after about that many (the
    daemon prunes a little each round). ``dry_run``: count them and change nothing.
    ValueError when ``older_than`` is under MIN_AGE."""
    if older_than < MIN_AGE:
        raise ValueError(f"at least {MIN_AGE.days} days: younger texts are still matched again and tried")
    now = now or utcnow()
    cutoff = now - older_than
    if dry_run:
        with sessions() as session:
            count, length = session.execute(select(func.count(), func.coalesce(func.sum(func.length(Article.text)), 0))
                                            .where(*_prunable(cutoff))).one()
        return PruneOutcome(count, int(length))
    outcome = PruneOutcome()
    while limit is None or outcome.articles < limit:
        with sessions() as session:
            rows = session.execute(select(Article.id, func.length(Article.text)).where(*_prunable(cutoff))
                                   .order_by(Article.id).limit(BATCH)).all()
            if not rows:
                return outcome
            ids = [article_id for article_id, _ in rows]
            # the conditions again: a match stored since the select keeps its article's text
            pruned = session.execute(update(Article).where(Article.id.in_(ids), *_prunable(cutoff))
                                     .values(text="", text_pruned_at=now)
                                     .execution_options(synchronize_session=False)).rowcount
            session.commit()
        outcome.articles += pruned
        outcome.characters += sum(length or 0 for _, length in rows)  # about: a raced row is counted
        if len(rows) < BATCH:
            return outcome
    outcome.done = False
    return outcome
