"""`newswatch sources`: each source's articles of the last week and how many came from its feed's
own text, on real SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from crawler.cli import main
from crawler.config import SourceConfig
from pipelines.db import make_engine, session_factory
from pipelines.items import FULL_CONTENT_REASON
from pipelines.models import Article, Source
from pipelines.queries import source_health
from pipelines.sources import sync_sources

NOW = datetime(2030, 1, 8, 12, 0, tzinfo=timezone.utc)
DAWN = SourceConfig(name="Dawn", kind="feed", url="https://www.dawn.com/feeds/home", interval=1800)
TASS = SourceConfig(name="TASS", kind="feed", url="https://tass.com/rss/v2.xml", interval=1800)
QUIET = SourceConfig(name="Quiet", kind="feed", url="https://example.org/feed", interval=1800)


def _article(n: int, source: Source, days_ago: float, origin: str = "page", reason: str | None = None,
             refetched: int = 0) -> Article:
    return Article(source_id=source.id, url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
                   content_hash=f"{n:064x}", text="text", fetched_at=NOW - timedelta(days=days_ago),
                   content_origin=origin, fallback_reason=reason, refetch_attempts=refetched)


def test_sources_count_the_weeks_articles_and_those_from_the_feeds_text(db_url):
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        sync_sources(session, (DAWN, TASS, QUIET))
        by_name = {s.name: s for s in session.query(Source)}
        dawn, tass = by_name["Dawn"], by_name["TASS"]
        session.add_all([
            _article(1, dawn, 1), _article(2, dawn, 2, "feed-summary", "HTTP 403"),
            _article(3, dawn, 3, "feed-summary", "HTTP 403"),
            _article(4, dawn, 4, "feed-content", "no article text on the page"),
            _article(5, dawn, 8, "feed-summary", "timeout"),  # older than the week: not counted
            _article(6, tass, 0.5), _article(7, tass, 6.9),
            # a feed that carries whole articles: its pages were not needed, so none failed
            _article(8, tass, 1, "feed-content", FULL_CONTENT_REASON),
            # read from its page on a later poll (pipelines.refetch); and one still failing after one more try
            _article(9, tass, 2, refetched=1), _article(10, tass, 2, "feed-summary", "HTTP 503", refetched=1),
        ])
        session.commit()
        rows = {r["name"]: r for r in source_health(session, NOW)}
    engine.dispose()
    assert (rows["Dawn"]["articles_7d"], rows["Dawn"]["feed_text_7d"], rows["Dawn"]["feed_text_reason"]) == (
        4, 3, "HTTP 403")
    assert (rows["TASS"]["articles_7d"], rows["TASS"]["feed_text_7d"], rows["TASS"]["feed_text_reason"]) == (
        5, 1, "HTTP 503")
    assert (rows["Dawn"]["read_later_7d"], rows["TASS"]["read_later_7d"], rows["Quiet"]["read_later_7d"]) == (0, 1, 0)
    assert (rows["Quiet"]["articles_7d"], rows["Quiet"]["feed_text_7d"], rows["Quiet"]["feed_text_reason"]) == (
        0, 0, None)


def test_the_sources_command_shows_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'nw.db'}"
    config = tmp_path / "newswatch.toml"
    config.write_text(f'[database]\nurl = "{url}"\n\n[[sources]]\nname = "Dawn"\nurl = "{DAWN.url}"\n',
                      encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(config), "sources"]).exit_code == 0  # makes the source
    engine = make_engine(url)
    with session_factory(engine)() as session:
        dawn = session.query(Source).one()
        now = datetime.now(timezone.utc)
        session.add(Article(source_id=dawn.id, url="https://x.org/1", canonical_url="https://x.org/1",
                            content_hash="1" * 64, text="t", fetched_at=now - timedelta(hours=1),
                            content_origin="feed-summary", fallback_reason="HTTP 403"))
        session.commit()
    engine.dispose()
    [row] = json.loads(runner.invoke(main, ["--config", str(config), "sources", "--format", "json"]).output)
    assert (row["articles_7d"], row["feed_text_7d"], row["feed_text_reason"]) == (1, 1, "HTTP 403")
    header = runner.invoke(main, ["--config", str(config), "sources"]).output.splitlines()[0]
    assert "articles_7d" in header and "feed_text_7d" in header and "read_later_7d" in header
