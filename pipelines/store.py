"""Storing: an article, its matches and their alert rows, in ONE transaction.

Either all of it is committed or none of it: a crash between the article and its alerts cannot
leave a match that never alerts. A second sighting of the same article (same canonical URL or
same content) is a duplicate and writes nothing.

A *near* duplicate — the same story from another site, under another URL with slightly different
text (a dateline, an extra closing sentence, other boilerplate) — is stored, with its matches, and
linked to the story's first article in ``near_duplicates``: analysts see every outlet that carried
it. But it alerts a target about a watch only when no article of the story has alerted that target
about that watch before: one story, one alert per watch and target, however many sites carry it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.clock import utcnow
from pipelines.dedup import (
    NEAR_DUPLICATE_BITS,
    NEAR_DUPLICATE_SIMILARITY,
    NEAR_DUPLICATE_WINDOW,
    SignatureIndex,
    jaccard,
    shingles,
    simhash,
    to_signed64,
)
from pipelines.ingest import ArticleRecord
from pipelines.models import Alert, Article, Match, NearDuplicate
from pipelines.outbox import create_alerts

log = logging.getLogger(__name__)


@dataclass
class StoreOutcome:
    status: str                      # "new" or "duplicate"
    article_id: int | None
    match_ids: list[int] = field(default_factory=list)
    alerts: int = 0
    near_duplicate_of: int | None = None  # "new" but the same story as this earlier article


@dataclass(frozen=True)
class NearMatch:
    original_id: int   # the story's first article
    distance: int      # SimHash bits that differ
    similarity: float  # Jaccard similarity of the word shingles


def find_duplicate(session: Session, canonical_url: str, content_hash: str) -> int | None:
    stmt = select(Article.id).where(
        or_(Article.canonical_url == canonical_url, Article.content_hash == content_hash)
    ).limit(1)
    return session.scalar(stmt)


def is_known_url(session: Session, canonical: str) -> bool:
    return session.scalar(select(Article.id).where(Article.canonical_url == canonical).limit(1)) is not None


class RecentSignatures:
    """The signatures of recent articles, kept in memory by one storing process in a
    ``pipelines.dedup.SignatureIndex``, filled from the indexed (fetched_at, simhash) columns.

    Each look-up first reads only the rows added since the last one (by any process: ids only
    grow), so storing N articles reads each signature once instead of the whole window N times, and
    compares the signature with the window's in one vectorised pass instead of a Python loop. It
    also reads the rows whose text a refetch replaced (``text_replaced_at``) since the look-up
    before, less ``REPLACED_LAG``: a refetch's transaction may commit after a look-up that began
    later than its timestamp, and reading a row twice is harmless.
    """

    REPLACED_LAG = timedelta(minutes=10)  # far longer than one refetch's transaction

    def __init__(self):
        self.index = SignatureIndex()
        self.last_id = 0
        self.replaced_checked: datetime | None = None  # when the last look-up began

    def within(self, session: Session, signature: int, since: datetime,
               exclude: int | None = None) -> list[tuple[int, int]]:
        """(distance, id) of the articles fetched since ``since`` within ``NEAR_DUPLICATE_BITS``,
        nearest first; ``exclude``: the caller's own article, already inserted."""
        began = utcnow()
        if self.replaced_checked is not None:  # the first look-up reads every row as it is now
            replaced = session.execute(
                select(Article.id, Article.simhash, Article.fetched_at)
                .where(Article.text_replaced_at >= self.replaced_checked - self.REPLACED_LAG,
                       Article.id <= self.last_id, Article.fetched_at >= since))
            for article_id, signature, fetched_at in replaced:
                self.replace(article_id, signature, fetched_at)
        self.replaced_checked = began
        fresh = session.execute(
            select(Article.id, Article.simhash, Article.fetched_at)
            .where(Article.id > self.last_id, Article.fetched_at >= since, Article.simhash.is_not(None))
            .order_by(Article.id))
        entries = [(article_id, other, fetched_at.timestamp()) for article_id, other, fetched_at in fresh]
        if entries:
            self.index.extend(entries)
            self.last_id = max(self.last_id, entries[-1][0])
        self.index.remove_before(since.timestamp())
        return self.index.within(signature, NEAR_DUPLICATE_BITS, since.timestamp(), exclude)

    def forget(self, article_id: int) -> None:
        """Drop an article whose transaction rolled back."""
        self.index.remove(article_id)

    def replace(self, article_id: int, signature: int | None, fetched_at: datetime) -> None:
        """An article's text was replaced after it was indexed (``pipelines.refetch``): its new
        signature (None: too short to sign) takes the old one's place."""
        self.index.remove(article_id)
        if signature is not None:
            self.index.add(article_id, signature, fetched_at.timestamp())


def find_near_duplicate(session: Session, text: str, signature: int | None,
                        now: datetime | None = None, recent: RecentSignatures | None = None,
                        exclude: int | None = None) -> NearMatch | None:
    """The first article of the same story fetched in the last ``NEAR_DUPLICATE_WINDOW``, or None.

    Two steps: every recent signature within ``NEAR_DUPLICATE_BITS`` is a candidate (from
    ``recent`` when the caller keeps one, else one indexed range read of (fetched_at, simhash)),
    and a candidate is the same story only when its word shingles overlap the text's by at least
    ``NEAR_DUPLICATE_SIMILARITY`` (Jaccard), which no unrelated article reaches by chance. The
    nearest confirmed candidate wins; its own original, if it has one, is the story's first.
    ``exclude``: the article being stored, when it is already inserted.
    """
    if signature is None:
        return None
    since = (now or utcnow()) - NEAR_DUPLICATE_WINDOW
    candidates = (recent or RecentSignatures()).within(session, signature, since, exclude)
    if not candidates:
        return None
    grams = shingles(text)
    for distance, article_id in candidates[:5]:
        other = session.scalar(select(Article.text).where(Article.id == article_id))
        if other is None:  # gone since (deleted, or another process rolled it back)
            continue
        similarity = jaccard(grams, shingles(other))
        if similarity >= NEAR_DUPLICATE_SIMILARITY:
            original = session.scalar(select(NearDuplicate.original_id)
                                      .where(NearDuplicate.article_id == article_id))
            return NearMatch(original or article_id, distance, round(similarity, 3))
    return None


def already_alerted(session: Session, original_id: int, watch: str) -> set[str]:
    """Target keys already alerted (or queued) about ``watch`` for any article of the story."""
    story = select(NearDuplicate.article_id).where(NearDuplicate.original_id == original_id)
    stmt = (select(Alert.target_key).join(Match, Alert.match_id == Match.id)
            .where(Match.watch == watch,
                   or_(Match.article_id == original_id, Match.article_id.in_(story))))
    return set(session.scalars(stmt))


def signature_of(record: ArticleRecord) -> int | None:
    """The record's near-duplicate signature: computed in the worker processes, else here."""
    return record.simhash if record.simhash is not None else simhash(record.text)


def match_columns(result) -> dict:
    """A match row's columns from a watch's result, but its article and watch."""
    detail = result.to_dict()
    return {"score": result.score, "threshold": result.threshold,
            "terms": detail.pop("hits"),  # stored once, here; detail keeps the rest of the result
            "rules": list(result.rules), "snippet": result.snippet, "detail": detail}


def add_matches(session: Session, article: Article, results, targets,
                story_of: int | None = None) -> tuple[list[Match], int]:
    """Match rows plus one alert row per match and target; the caller commits. ``story_of``: the
    article is a near duplicate of that one, so targets already alerted about a watch for the
    story get no alert row for it again."""
    matches, alerts = [], 0
    for result in results:
        match = Match(article=article, watch=result.watch, **match_columns(result))
        session.add(match)
        session.flush()
        alerts += queue_alerts(session, match, targets, story_of)
        matches.append(match)
    return matches, alerts


def queue_alerts(session: Session, match: Match, targets, story_of: int | None = None) -> int:
    """Alert rows for the targets whose route takes this match and that have no row for it, nor
    for its watch on the story ``story_of`` (the article is a near duplicate of it). Returns rows
    added; the caller commits."""
    article = match.article
    source = article.source.name if article.source_id and any(t.route.sources for t in targets) else None
    due = [t for t in targets if t.route.accepts(match.watch, match.score, article.language, source)]
    if story_of is not None and due:
        done = already_alerted(session, story_of, match.watch)
        due = [t for t in due if t.key not in done]
    return create_alerts(session, match, due)


# PostgreSQL advisory lock taken by every transaction storing an article with a signature, from
# before its insert to its commit: two daemons storing two copies of one story at the same instant
# take turns, so the second sees the first (its near-duplicate link, its alerts) and does not alert
# again. It also keeps ``RecentSignatures`` exact across daemons: signed articles get their ids
# (one sequence) and commit in the lock's order, so none can commit later with an id below one a
# look-up has already seen ("ids above the last one seen" would skip it for good, and a later copy
# of its story would start a second story and alert again). The lock is held for one insert, the
# look-up and the commit (a few ms); texts too short for a signature take none. SQLite needs no
# lock: the insert comes first and takes the database's single write lock until the commit.
STORY_LOCK = 0x6E65_7773_7374_6F72  # "newsstor"


def take_story_lock(session: Session) -> None:
    """STORY_LOCK, until the transaction ends (PostgreSQL; SQLite's single writer needs none)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(STORY_LOCK)))


def link_story(session: Session, article_id: int, url: str, text: str, signature: int | None,
               recent: RecentSignatures | None = None) -> NearMatch | None:
    """Link the article to the story its text belongs to (``find_near_duplicate``), if any; the
    caller holds the story lock and commits."""
    near = find_near_duplicate(session, text, signature, recent=recent, exclude=article_id)
    if near is not None:
        session.execute(insert(NearDuplicate).values(
            article_id=article_id, original_id=near.original_id, distance=near.distance,
            similarity=near.similarity))
        log.debug("%s is the same story as article %s (%s bits apart, similarity %.2f)",
                  url, near.original_id, near.distance, near.similarity)
    return near


def _insert_article(session: Session, values: dict) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None when the canonical URL
    or the content hash is already stored (committed, or committed meanwhile by another process)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = Article.__table__
    return session.scalar(insert(table).values(values).on_conflict_do_nothing().returning(table.c.id))


def store_article(
    sessions: sessionmaker[Session], record: ArticleRecord, results, targets, source_id: int | None,
    recent: RecentSignatures | None = None,
) -> StoreOutcome:
    """Store the article, its matches and their alert rows in one transaction (see the module doc).

    Optimistic: the article row is inserted first, through SQLAlchemy Core; a conflict on the
    canonical URL or the content hash means a duplicate (nothing is written). Then the
    near-duplicate look-up, the link, the matches and the alerts, and one commit; any failure rolls
    all of it back.
    """
    signature = signature_of(record)
    recent = recent if recent is not None else RecentSignatures()
    with sessions() as session:
        if signature is not None:
            take_story_lock(session)
        article_id = _insert_article(session, dict(
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
            simhash=to_signed64(signature) if signature is not None else None,
        ))
        if article_id is None:
            session.rollback()
            existing = find_duplicate(session, record.canonical_url, record.content_hash)
            if existing is None:  # the conflicting row vanished (deleted) before we could read it
                raise RuntimeError(f"{record.url}: conflict with an article that is gone; store it again")
            return StoreOutcome("duplicate", existing)
        try:
            near = link_story(session, article_id, record.url, record.text, signature, recent)
            matches, alerts = [], 0
            if results:
                article = session.get(Article, article_id)
                matches, alerts = add_matches(session, article, results, targets,
                                              near.original_id if near else None)
            session.commit()
        except BaseException:
            recent.forget(article_id)  # in the index since the look-up read it back; never committed
            raise
        return StoreOutcome("new", article_id, [m.id for m in matches], alerts,
                            near.original_id if near else None)
