"""The store: one transaction per article with its matches and alerts; duplicates write nothing."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from crawler.config import bundled_watch_paths
from pipelines.ingest import build_article
from pipelines.items import ArticleItem
from pipelines.models import Alert, Article, Match
from pipelines.store import store_article
from pipelines.targets import load_target
from pipelines.watch import Document, Matcher, load_watches

BODY = (
    "Russian and Pakistani special forces began the Druzhba joint military exercise near Rawalpindi on "
    "Monday, the Inter-Services Public Relations said. The drills focus on counter-terrorism operations "
    "in mountainous terrain. Moscow and Islamabad signed a defence cooperation agreement in 2014 and "
    "Russia has since delivered Mi-35M attack helicopters to the Pakistan Army.\n"
) * 2


def page(body: str = BODY) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p)
    return f"<html><head><title>Druzhba drills open</title></head><body><article><h1>Druzhba drills open</h1>{paragraphs}</article></body></html>"


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watches(bundled_watch_paths()))


def analysed(matcher, url, html):
    record = build_article(ArticleItem(url=url, source="test", html=html), datetime.now(timezone.utc))
    return record, matcher.match(Document(record.title or "", record.text, record.language))


def counts(sessions):
    with sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Article, Match, Alert))


def test_article_matches_and_alerts_commit_together(sessions, matcher):
    targets = [load_target("json://127.0.0.1:9/a"), load_target("json://127.0.0.1:9/b")]
    record, results = analysed(matcher, "https://example.org/druzhba", page())
    assert results, "the fixture article must match the bundled watch"
    outcome = store_article(sessions, record, results, targets, None)
    assert outcome.status == "new" and outcome.alerts == 2 * len(results)
    assert counts(sessions) == (1, len(results), 2 * len(results))
    with sessions() as s:
        match = s.scalar(select(Match))
        assert match.terms and all({"term", "form", "start", "end"} <= set(t) for t in match.terms)
        assert match.detail["watch"] == match.watch and match.snippet


@pytest.mark.parametrize("second_url, second_body", [
    ("https://www.example.org/druzhba?utm_source=rss#top", BODY + "Updated with a correction.\n"),  # same URL
    ("https://mirror.example.net/wire/druzhba", BODY),                                            # same text
])
def test_the_same_article_is_stored_once(sessions, matcher, second_url, second_body):
    target = [load_target("json://127.0.0.1:9/a")]
    store_article(sessions, *analysed(matcher, "https://example.org/druzhba", page()), target, None)
    before = counts(sessions)
    outcome = store_article(sessions, *analysed(matcher, second_url, page(second_body)), target, None)
    assert outcome.status == "duplicate"
    assert counts(sessions) == before


def test_a_failure_half_way_leaves_nothing_behind(sessions, matcher):
    class Broken:  # a target whose key cannot be stored: the alert insert fails after the article's
        key = None
        label = "broken://"

    record, results = analysed(matcher, "https://example.org/druzhba", page())
    with pytest.raises(Exception):
        store_article(sessions, record, results, [Broken()], None)
    assert counts(sessions) == (0, 0, 0)
