"""Retention: the texts of old unmatched articles are dropped, their rows kept; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select, update

from crawler.app import App
from crawler.cli import main
from crawler.config import ConfigError, from_dict
from crawler.daemon import Daemon
from pipelines.clock import utcnow
from pipelines.ingest import build_article
from pipelines.items import ArticleItem
from pipelines.models import Article, Match
from pipelines.retention import BATCH, prune_unmatched_texts
from pipelines.review import rematch
from pipelines.store import store_article
from pipelines.watch import Matcher, parse_watch

OLD = timedelta(days=200)
TEXT = ("Rain is expected across the north on Friday, with snow on the higher ground and strong winds "
        "along the coast through the weekend, the forecasters said on Thursday evening.")
ALPHA = parse_watch('[watch]\nname = "alpha"\nthreshold = 1\n[groups.a]\nterms = ["alpha"]\n'
                    '[[rules]]\nexpr = "a"\n', "alpha.toml")


def add_article(sessions, n: int, age: timedelta, title: str = "Weather", text: str = TEXT) -> int:
    with sessions() as s:
        article = Article(url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
                          content_hash=f"{n:064x}", title=title, text=f"{text} ({n})",
                          fetched_at=utcnow() - age)
        s.add(article)
        s.commit()
        return article.id


def add_match(sessions, article_id: int) -> None:
    with sessions() as s:
        s.add(Match(article_id=article_id, watch="alpha", score=1.0, threshold=1.0, terms=[], rules=[],
                    snippet="", detail={}))
        s.commit()


def article(sessions, article_id: int) -> Article:
    with sessions() as s:
        return s.get(Article, article_id)


def test_an_old_unmatched_text_is_dropped_and_its_row_kept(sessions):
    old, matched, young = (add_article(sessions, 1, OLD), add_article(sessions, 2, OLD),
                           add_article(sessions, 3, timedelta(days=10)))
    add_match(sessions, matched)
    outcome = prune_unmatched_texts(sessions, timedelta(days=90))
    assert (outcome.articles, outcome.done) == (1, True)
    assert outcome.characters == len(f"{TEXT} (1)")
    pruned = article(sessions, old)
    assert pruned.text == "" and pruned.text_pruned_at is not None
    assert pruned.canonical_url == "https://example.org/1" and pruned.title == "Weather"
    assert article(sessions, matched).text.startswith("Rain") and article(sessions, matched).text_pruned_at is None
    assert article(sessions, young).text.startswith("Rain")
    assert prune_unmatched_texts(sessions, timedelta(days=90)).articles == 0  # once is enough


def test_a_dry_run_counts_and_changes_nothing(sessions):
    first, _ = add_article(sessions, 1, OLD), add_article(sessions, 2, OLD)
    outcome = prune_unmatched_texts(sessions, timedelta(days=90), dry_run=True)
    assert outcome.articles == 2 and outcome.characters == 2 * len(f"{TEXT} (1)")
    assert article(sessions, first).text.startswith("Rain") and article(sessions, first).text_pruned_at is None


def test_texts_younger_than_thirty_days_cannot_be_pruned(sessions):
    with pytest.raises(ValueError, match="at least 30 days"):
        prune_unmatched_texts(sessions, timedelta(days=29))


def test_a_large_backlog_is_pruned_a_batch_at_a_time(sessions):
    long_ago = utcnow() - OLD
    with sessions() as s:
        s.execute(insert(Article), [dict(url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
                                         content_hash=f"{n:064x}", text=TEXT, fetched_at=long_ago)
                                    for n in range(BATCH + 5)])
        s.commit()
    first = prune_unmatched_texts(sessions, timedelta(days=90), limit=BATCH)
    assert (first.articles, first.done) == (BATCH, False)
    rest = prune_unmatched_texts(sessions, timedelta(days=90), limit=BATCH)
    assert (rest.articles, rest.done) == (5, True)
    with sessions() as s:
        assert s.scalar(select(func.count()).where(Article.text == "")) == BATCH + 5


def test_a_pruned_article_seen_again_in_its_feed_is_known_not_new(sessions):
    item = ArticleItem(url="https://example.org/weather", source="wire", title="Weather",
                       feed_summary=f"<p>{TEXT}</p>", fallback_reason="HTTP 503")
    record = build_article(item, utcnow())
    first = store_article(sessions, record, [], [], None)
    with sessions() as s:
        s.execute(update(Article).where(Article.id == first.article_id).values(fetched_at=utcnow() - OLD))
        s.commit()
    assert prune_unmatched_texts(sessions, timedelta(days=90)).articles == 1
    again = store_article(sessions, build_article(item, utcnow()), [], [], None)
    assert again.status == "duplicate" and again.article_id == first.article_id and not again.alerts


def test_rematch_leaves_a_pruned_article_out(sessions):
    """Its title is all that is left: a watch that now finds its title must not match it."""
    kept, pruned = add_article(sessions, 1, OLD, title="alpha"), add_article(sessions, 2, OLD, title="alpha")
    with sessions() as s:
        s.execute(update(Article).where(Article.id == pruned).values(text="", text_pruned_at=utcnow()))
        s.commit()
    report = rematch(sessions, Matcher([ALPHA]), utcnow() - timedelta(days=365), None, [], False)
    assert (report.articles, report.new_matches) == (1, 1)
    with sessions() as s:
        assert s.scalars(select(Match.article_id)).all() == [kept]


# ------------------------------------------------------------------ the command and the daemon

def test_the_prune_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'newswatch.db'}"
    env = {"NEWSWATCH_DATABASE_URL": url}
    runner = CliRunner()
    assert runner.invoke(main, ["status"], env=env).exit_code == 0  # creates the database
    app = App(from_dict({"database": {"url": url}}))
    add_article(app.sessions, 1, OLD)
    dry = runner.invoke(main, ["prune", "--dry-run"], env=env)
    assert dry.exit_code == 0 and dry.output.startswith("1 texts of unmatched articles") and "would be pruned" in dry.output
    young = runner.invoke(main, ["prune", "--older-than", "7d"], env=env)
    assert young.exit_code == 2 and "at least 30 days" in young.output
    done = runner.invoke(main, ["prune", "--older-than", "90d"], env=env)
    assert done.exit_code == 0 and "1 texts" in done.output and " pruned" in done.output
    assert article(app.sessions, 1).text == ""
    assert "0 copies of another outlet's story, 1 texts pruned" in runner.invoke(main, ["status"], env=env).output


def test_the_daemon_prunes_a_batch_a_round_when_asked(tmp_path):
    url = f"sqlite:///{tmp_path / 'newswatch.db'}"
    off = Daemon(App(from_dict({"database": {"url": url}})))
    add_article(off.app.sessions, 1, OLD)
    off._prune_if_due()
    assert article(off.app.sessions, 1).text_pruned_at is None  # not configured: every text kept
    on = Daemon(App(from_dict({"database": {"url": url}, "daemon": {"prune_unmatched_after": "90d"}})))
    on._prune_if_due()
    assert article(on.app.sessions, 1).text == ""
    assert on.next_prune > 0  # nothing left: the next pass is a day away
    add_article(on.app.sessions, 2, OLD)
    on._prune_if_due()
    assert article(on.app.sessions, 2).text_pruned_at is None


@pytest.mark.parametrize("value,problem", [("7d", "at least 30d"), ("soon", "expected a duration")])
def test_the_retention_setting_is_checked(value, problem):
    with pytest.raises(ConfigError, match=problem):
        from_dict({"daemon": {"prune_unmatched_after": value}})
    assert from_dict({}).daemon.prune_unmatched_after is None  # left out: every text kept
    assert from_dict({"daemon": {"prune_unmatched_after": "180d"}}).daemon.prune_unmatched_after == 180 * 86400
