"""The SQL store: SQLAlchemy 2 typed models. Every change here needs an Alembic revision.

Times are stored as UTC. SQLite keeps no time zone, so ``UTCDateTime`` hands back aware UTC
datetimes on every backend; code never compares naive with aware times.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pipelines.clock import as_utc, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp that goes in and comes out as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = as_utc(value)
        # SQLite compares timestamps as text: store one uniform naive-UTC form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """A configured source and its health. Synced by name from the configuration."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    interval_seconds: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(default=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # first failed poll of the current run of failures; None while the source works
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when operators were told the source is broken; None once it recovered (or was never reported)
    reported_broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    articles_found: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # adaptive polling: the interval in force (between the source's bounds) and why, from a moving
    # average of the new entries each successful poll found
    effective_interval: Mapped[float | None] = mapped_column(Float)
    interval_reason: Mapped[str | None] = mapped_column(Text)
    new_per_poll: Mapped[float | None] = mapped_column(Float)
    min_interval_seconds: Mapped[float | None] = mapped_column(Float)  # the bounds, from the config
    max_interval_seconds: Mapped[float | None] = mapped_column(Float)
    # several daemons on one database: the one polling the source now, until when (a lease)
    leased_by: Mapped[str | None] = mapped_column(String(100))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # "which sources are due" is an index range scan, however many sources there are
        Index("ix_sources_due", "enabled", "next_poll_at"),
    )


class SourceEvent(Base):
    """A source reported broken, or recovered: what operators are alerted about.

    A snapshot taken when it happened, so an alert retried hours later still says what was true then.
    """

    __tablename__ = "source_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # broken | recovered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first failed poll of the run
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # before the failures began

    source: Mapped[Source] = relationship()


class Article(Base):
    """One article, however many times and under however many URLs it was seen."""

    __tablename__ = "articles"
    __table_args__ = (
        # near-duplicate lookup reads the signatures of the last days' articles from the index alone
        Index("ix_articles_recent_simhash", "fetched_at", "simhash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_id: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # where the text came from: "page", "feed-content" or "feed-summary"
    content_origin: Mapped[str] = mapped_column(String(20), default="page")
    # why the page itself was not used (e.g. "HTTP 403", "no article text on the page")
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    discovered_via: Mapped[str] = mapped_column(String(20), default="feed")
    # times the page of an article stored from its feed's text was fetched again after a transient
    # failure (pipelines.refetch); 0 for every other article
    refetch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # 64-bit SimHash of the text's word shingles (pipelines.dedup.simhash), stored signed;
    # None for texts too short to fingerprint
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    # when the page, read later, replaced the feed's text (and the signature) of this article: other
    # storing processes re-read such rows, as they read each new row once (store.RecentSignatures)
    text_replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # when retention dropped the text of this old, unmatched article (pipelines.retention); the row
    # stays so the article is still known
    text_pruned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[Source | None] = relationship()
    matches: Mapped[list[Match]] = relationship(back_populates="article", cascade="all, delete-orphan")


class NearDuplicate(Base):
    """An article that is the same story as an earlier one seen elsewhere (the same wire story on
    another site, with another URL and slightly different text).

    The article and its matches are stored, so analysts see every outlet that carried the story;
    its matches alert no watch that already alerted on the story (see pipelines.store).
    """

    __tablename__ = "near_duplicates"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    # the first article of the story (never itself a near duplicate)
    original_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    distance: Mapped[int] = mapped_column(Integer)      # SimHash bits that differ (of 64)
    similarity: Mapped[float] = mapped_column(Float)    # Jaccard similarity of the word 3-shingles
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Match(Base):
    """An article that a watch flagged, with the evidence."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("article_id", "watch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    watch: Mapped[str] = mapped_column(String(200), index=True)
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    terms: Mapped[list] = mapped_column(JSON)        # [{term, group, form, start, end, field}]
    rules: Mapped[list] = mapped_column(JSON)        # human-readable rules that fired
    snippet: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON)       # MatchResult.to_dict() but its hits (in terms)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # when the article's page, read after this match was made on the feed's text (pipelines.refetch),
    # did not fire the watch: the match and its alerts stay, and its hits point into that feed text,
    # which the page's text replaced; the snippet is all that is left of it
    page_silent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    article: Mapped[Article] = relationship(back_populates="matches")
    alerts: Mapped[list[Alert]] = relationship(back_populates="match", cascade="all, delete-orphan")
    feedback: Mapped[list[Feedback]] = relationship(back_populates="match", cascade="all, delete-orphan")


class Feedback(Base):
    """An analyst's verdict on a match; the newest verdict per match counts in reports."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))  # relevant | irrelevant
    note: Mapped[str | None] = mapped_column(Text)
    # who: the review app's user, the CLI's OS user, or "alert link" (a signed one-click link)
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    match: Mapped[Match] = relationship(back_populates="feedback")


class Alert(Base):
    """The outbox: one row per subject and target. Delivery state lives here, nowhere else.

    The subject is a match (an analyst's alert) or a source event (an operator's alert): exactly
    one of ``match_id`` and ``source_event_id`` is set.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("match_id", "target_key"),
        UniqueConstraint("source_event_id", "target_key"),
        Index("ix_alerts_due", "status", "next_attempt_at"),
        CheckConstraint("(match_id IS NULL) <> (source_event_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    source_event_id: Mapped[int | None] = mapped_column(ForeignKey("source_events.id", ondelete="CASCADE"))
    # why a pending row waits past its creation: "digest" (the target's next digest) or "quiet"
    # (the target's quiet hours); None: due at once, or waiting out a retry
    hold: Mapped[str | None] = mapped_column(String(16))
    # the message that carried it: one alert alone, or a digest of several
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    # stable hash of the target URL: the secret never enters the database
    target_key: Mapped[str] = mapped_column(String(64))
    target_label: Mapped[str] = mapped_column(Text)  # Apprise's privacy form, safe to show
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | dead | withdrawn
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    match: Mapped[Match | None] = relationship(back_populates="alerts")
    source_event: Mapped[SourceEvent | None] = relationship()


class Message(Base):
    """One message sent to one target: a single alert, or a digest carrying several."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_key: Mapped[str] = mapped_column(String(64), index=True)
    target_label: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # alert | digest (a digest too long for the
    alerts: Mapped[int] = mapped_column(Integer)   # channel is split: one message per part)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrawlRun(Base):
    """One crawl: when, which sources, what came of it."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | finished | interrupted | failed
    # the process running it: a "running" row whose process is gone was cut short (SIGKILL, crash)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    matches_new: Mapped[int] = mapped_column(Integer, default=0)
    alerts_new: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)

    def summary(self) -> str:
        return (f"{len(self.sources)} sources, {self.items_seen} items, {self.articles_new} new articles, "
                f"{self.duplicates} duplicates, {self.matches_new} matches, {self.alerts_new} alerts queued, "
                f"{self.errors} errors")


class MissedArticle(Base):
    """An article an analyst says a watch should have caught and did not: a false negative.

    Kept with its text and the explanation of why the watch did not fire when it was reported, so
    ``report`` can give recall and the article can be exported as a labelled example."""

    __tablename__ = "missed_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    watch: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    fired: Mapped[bool] = mapped_column(default=False)  # the watch fired after all when reported
    score: Mapped[float] = mapped_column(Float, default=0.0)
    explanation: Mapped[dict] = mapped_column(JSON)     # MatchResult.to_dict() of the watch on it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
