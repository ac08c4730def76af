"""Pages that failed transiently are fetched again on later polls, and their article replaces the
feed's text (pipelines.refetch): in the store, on real SQLite and PostgreSQL, and through
`newswatch crawl` and `newswatch notify` against a real HTTP server and a real SMTP server."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.config import bundled_watch_paths
from pipelines.clock import utcnow
from pipelines.ingest import build_article
from pipelines.items import FULL_CONTENT_REASON, ArticleItem
from pipelines.models import Alert, Article, Match, NearDuplicate, Source
from pipelines.queries import outbox
from pipelines.refetch import ATTEMPTS, apply_refetch, due_refetches, is_transient
from pipelines.store import RecentSignatures, store_article
from pipelines.targets import load_target
from pipelines.watch import Document, Matcher, load_watches
from tests.mockserver import MockServer
from tests.test_end_to_end import newswatch  # `newswatch ARGS` as from a shell, NEWSWATCH_CONFIG set

SITE = Path(__file__).resolve().parent / "site"
BODY = (
    "Russian and Pakistani special forces began the Druzhba joint military exercise near Rawalpindi on "
    "Monday, the Inter-Services Public Relations said. The drills focus on counter-terrorism operations "
    "in mountainous terrain. Moscow and Islamabad signed a defence cooperation agreement in 2014 and "
    "Russia has since delivered Mi-35M attack helicopters to the Pakistan Army.\n") * 2
SUMMARY_SILENT = "<p>Army delegations met this week; details to follow.</p>"
SUMMARY_FIRING = ("<p>Russia and Pakistan agreed to share intelligence on militant groups in Afghanistan and to "
                  "hold more joint counter-terrorism drills, officials in Moscow and Islamabad said.</p>")


@pytest.mark.parametrize("reason, transient", [
    ("HTTP 503", True), ("HTTP 500", True), ("HTTP 429", True), ("HTTP 408", True), ("timeout", True),
    ("connection refused (Connection was refused by other side)", True), ("connection lost", True),
    ("no response (...)", True), ("DNS lookup failed (example.invalid)", True), ("download failed (x)", True),
    ("HTTP 403", False), ("HTTP 404", False), ("HTTP 410", False), ("not HTML (application/pdf)", False),
    ("no article text on the page", False), ("Forbidden by robots.txt", False), (FULL_CONTENT_REASON, False),
    ("TLS certificate not trusted (x)", False), ("download cancelled", False), (None, False), ("", False),
    ("HTTP 5030", False),
])
def test_only_failures_that_pass_are_fetched_again(reason, transient):
    assert is_transient(reason) is transient


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watches(bundled_watch_paths()))


def page(body: str = BODY) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p)
    return f"<html><head><title>Druzhba drills open</title></head><body><article><h1>Druzhba drills open</h1>{paragraphs}</article></body></html>"


def analysed(matcher, item: ArticleItem):
    record = build_article(item, utcnow())
    if record is None:
        return None, []
    return record, matcher.match(Document(record.title or "", record.text, record.language))


def stored_from_summary(sessions, matcher, targets, summary: str, reason: str = "HTTP 503",
                        url: str = "https://example.org/druzhba") -> int:
    """An article stored from its feed's summary because its page failed for ``reason``."""
    with sessions() as s:
        source = s.scalar(select(Source).where(Source.name == "wire"))
        if source is None:
            source = Source(name="wire", kind="feed", url="https://example.org/feed", interval_seconds=900)
            s.add(source)
            s.commit()
        source_id = source.id
    item = ArticleItem(url=url, source="wire", title="Druzhba drills open", feed_summary=summary,
                       fallback_reason=reason)
    outcome = store_article(sessions, *analysed(matcher, item), targets, source_id)
    assert outcome.status == "new"
    return outcome.article_id


def page_item(article_id: int, url: str = "https://example.org/druzhba", html: str | None = None,
              reason: str | None = None) -> ArticleItem:
    return ArticleItem(url=url, source="wire", title="Druzhba drills open", html=html, fallback_reason=reason,
                       refetch_of=article_id)


def due(sessions, names: list[str]) -> list[ArticleItem]:
    with sessions() as s:  # closed at once: an open transaction would hold PostgreSQL's locks
        return due_refetches(s, names)


def alerts(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Alert))


def test_the_page_read_later_gets_its_match_and_its_alerts(sessions, matcher):
    targets = [load_target("json://127.0.0.1:9/a"), load_target("json://127.0.0.1:9/b")]
    article_id = stored_from_summary(sessions, matcher, targets, SUMMARY_SILENT)
    assert alerts(sessions) == 0  # a few lines about a meeting: no match
    [item] = due(sessions, ["wire"])
    assert item.refetch_of == article_id and item.url == "https://example.org/druzhba"

    record, results = analysed(matcher, page_item(article_id, html=page()))
    assert results, "the page's article must match the bundled watch"
    outcome = apply_refetch(sessions, article_id, record, None, results, targets)
    assert outcome.status == "read" and len(outcome.match_ids) == len(results)
    assert outcome.alerts == 2 * len(results) == alerts(sessions)
    with sessions() as s:
        article = s.get(Article, article_id)
        assert article.content_origin == "page" and article.fallback_reason is None
        assert "Rawalpindi" in article.text and article.refetch_attempts == 1
    assert due(sessions, ["wire"]) == []  # read: never fetched again


def test_a_match_made_on_the_summary_is_brought_up_to_date_and_alerts_no_one_again(sessions, matcher):
    targets = [load_target("json://127.0.0.1:9/a")]
    article_id = stored_from_summary(sessions, matcher, targets, SUMMARY_FIRING)
    assert alerts(sessions) == 1
    with sessions() as s:
        before = s.scalar(select(Match).where(Match.article_id == article_id))
        before_id, before_score = before.id, before.score

    record, results = analysed(matcher, page_item(article_id, html=page()))
    outcome = apply_refetch(sessions, article_id, record, None, results, targets)
    assert outcome.status == "read" and outcome.match_ids == [] and outcome.updated == 1
    assert alerts(sessions) == 1
    with sessions() as s:
        [match] = s.scalars(select(Match).where(Match.article_id == article_id))
        assert match.id == before_id and match.score != before_score and match.page_silent_at is None
        assert any(t["form"] == "Rawalpindi" for t in match.terms)


def test_a_match_the_page_does_not_bear_out_stays_and_is_marked(sessions, matcher):
    """The summary fired; the page, read later, is about something else. The match stays, marked
    for the analyst; the alert already sent stays sent, the one not yet sent (held for a digest,
    say) is withdrawn, and nobody is alerted again."""
    targets = [load_target("json://127.0.0.1:9/a"), load_target("json://127.0.0.1:9/b")]
    article_id = stored_from_summary(sessions, matcher, targets, SUMMARY_FIRING)
    with sessions() as s:
        first, second = s.scalars(select(Alert).order_by(Alert.id))
        first.status, first.sent_at = "sent", utcnow()
        s.commit()
        sent_id, held_id = first.id, second.id
    other = page("The city council approved a new budget for road repairs and school buildings on Monday.\n"
                 "Councillors argued for three hours about the cost of resurfacing the ring road before the vote.\n"
                 "The mayor said the work would begin in spring and that most schools would get new roofs.\n"
                 "Residents of the northern districts asked for more buses, which the budget does not fund.\n"
                 "Opposition members said the plan relied on a loan the city has not yet been granted.\n")
    record, results = analysed(matcher, page_item(article_id, html=other))
    assert results == []
    outcome = apply_refetch(sessions, article_id, record, None, results, targets)
    assert outcome.status == "read" and outcome.match_ids == [] and outcome.updated == 0 and outcome.silent == 1
    assert outcome.withdrawn == 1 and alerts(sessions) == 2
    with sessions() as s:
        [match] = s.scalars(select(Match).where(Match.article_id == article_id))
        assert match.page_silent_at is not None and "Islamabad" in match.snippet
        assert "road repairs" in s.get(Article, article_id).text
        assert s.get(Alert, sent_id).status == "sent"
        assert s.get(Alert, held_id).status == "withdrawn"
    with sessions() as s:
        [row] = [r for r in outbox(s, ("withdrawn",)) if r["id"] == held_id]
    assert "does not fire" in row["waiting"] and row["last_error"] is None


def test_a_page_failing_again_is_tried_a_few_times_then_left(sessions, matcher):
    targets = [load_target("json://127.0.0.1:9/a")]
    article_id = stored_from_summary(sessions, matcher, targets, SUMMARY_SILENT, reason="timeout")
    for _ in range(ATTEMPTS):
        [item] = due(sessions, ["wire"])
        record, _results = analysed(matcher, page_item(item.refetch_of, reason="HTTP 502"))
        assert record is None  # no page, and the item carries no feed text: nothing to read
        assert apply_refetch(sessions, article_id, record, "HTTP 502", [], targets).status == "failed"
    assert due(sessions, ["wire"]) == []
    with sessions() as s:
        article = s.get(Article, article_id)
        assert article.refetch_attempts == ATTEMPTS and article.fallback_reason == "HTTP 502"
        assert article.content_origin == "feed-summary"


def test_what_is_not_fetched_again(sessions, matcher):
    targets = [load_target("json://127.0.0.1:9/a")]
    stored_from_summary(sessions, matcher, targets, SUMMARY_SILENT, reason="HTTP 403", url="https://example.org/a")
    old = stored_from_summary(sessions, matcher, targets, SUMMARY_SILENT + "<p>Older.</p>", url="https://example.org/b")
    with sessions() as s:
        s.get(Article, old).fetched_at = utcnow() - timedelta(days=2)
        s.commit()
    assert due(sessions, ["wire"]) == []  # a 403 stays; a day later it is given up
    assert due(sessions, ["another source"]) == []
    fresh = stored_from_summary(sessions, matcher, targets, SUMMARY_SILENT + "<p>New.</p>", url="https://example.org/c")
    assert [i.refetch_of for i in due(sessions, ["wire"])] == [fresh]


def test_a_page_whose_text_is_stored_already_is_a_duplicate(sessions, matcher):
    targets = [load_target("json://127.0.0.1:9/a")]
    article_id = stored_from_summary(sessions, matcher, targets, SUMMARY_SILENT)
    elsewhere = store_article(sessions, *analysed(matcher, ArticleItem(url="https://mirror.example.net/d", source="wire",
                                                                        title="Druzhba drills open", html=page())),
                              targets, None)
    assert elsewhere.status == "new"
    before = alerts(sessions)
    record, results = analysed(matcher, page_item(article_id, html=page()))
    assert apply_refetch(sessions, article_id, record, None, results, targets).status == "duplicate"
    assert alerts(sessions) == before
    assert due(sessions, ["wire"]) == []
    with sessions() as s:
        assert s.get(Article, article_id).content_origin == "feed-summary"


def test_a_page_that_is_another_outlets_copy_joins_its_story_and_alerts_no_one_again(sessions, matcher):
    target = [load_target("json://127.0.0.1:9/a")]
    first = store_article(sessions, *analysed(matcher, ArticleItem(url="https://wire.example.net/druzhba", source="wire",
                                                                    title="Druzhba drills open", html=page())),
                          target, None)
    assert first.alerts == 1
    article_id = stored_from_summary(sessions, matcher, target, SUMMARY_SILENT)
    copy = page(BODY + "This report was updated with the ministry's statement.\n")
    record, results = analysed(matcher, page_item(article_id, html=copy))
    outcome = apply_refetch(sessions, article_id, record, None, results, target)
    assert outcome.status == "read" and len(outcome.match_ids) == len(results) and outcome.alerts == 0
    with sessions() as s:
        original = s.scalar(select(NearDuplicate.original_id).where(NearDuplicate.article_id == article_id))
    assert original == first.article_id


def long_silent_summary() -> ArticleItem:
    """A feed entry whose page failed, its summary long enough to sign and silent for the watch."""
    summary = ("<p>Army delegations of the two countries met in the capital this week to review the training "
               "programme agreed last year; a statement with the details of the visit is expected later. The "
               "visitors also toured a museum, attended a reception given by the embassy and laid a wreath, "
               "the organisers said in a short note sent to reporters on Tuesday evening.</p>")
    return ArticleItem(url="https://example.org/druzhba", source="wire", title="Druzhba drills open",
                       feed_summary=summary, fallback_reason="HTTP 503")


def assert_a_copy_of_the_page_joins_the_story(sessions, matcher, target, recent, article_id: int) -> None:
    """Another outlet's copy of the page read for ``article_id``, stored with ``recent``: it matches,
    alerts no one, and is linked to that article's story."""
    copy = ArticleItem(url="https://mirror.example.net/druzhba", source="wire", title="Druzhba drills open",
                       html=page(BODY + "This report was updated with the ministry's statement.\n"))
    outcome = store_article(sessions, *analysed(matcher, copy), target, None, recent)
    assert outcome.status == "new" and outcome.match_ids and outcome.alerts == 0
    with sessions() as s:
        original = s.scalar(select(NearDuplicate.original_id).where(NearDuplicate.article_id == outcome.article_id))
    assert original == article_id


def test_a_copy_stored_after_the_page_was_read_joins_the_story_in_the_same_process(sessions, matcher):
    """The storing process indexes signatures once per article (RecentSignatures reads only rows added
    since): the page read later must replace the summary's signature there, or another outlet's
    copy of the page, stored by the same crawl, starts a story of its own and alerts again."""
    target = [load_target("json://127.0.0.1:9/a")]
    recent = RecentSignatures()
    record, results = analysed(matcher, long_silent_summary())
    assert record.simhash is not None and not results  # signed and indexed, and silent
    article_id = store_article(sessions, record, results, target, None, recent).article_id
    record, results = analysed(matcher, page_item(article_id, html=page()))
    assert apply_refetch(sessions, article_id, record, None, results, target, recent).alerts == 1
    assert_a_copy_of_the_page_joins_the_story(sessions, matcher, target, recent, article_id)


def test_a_copy_stored_by_another_process_after_the_page_was_read_joins_the_story(sessions, matcher):
    """Another storing process indexed the summary's signature before the refetch: at its next
    look-up it must re-read the article's new signature (text_replaced_at), or the copy of the page
    it stores starts a story of its own and alerts again."""
    target = [load_target("json://127.0.0.1:9/a")]
    refetching, other = RecentSignatures(), RecentSignatures()  # one per storing process
    article_id = store_article(sessions, *analysed(matcher, long_silent_summary()), target, None,
                               refetching).article_id
    unrelated = ArticleItem(url="https://example.org/weather", source="wire", title="Weather",
                            feed_summary="<p>Rain is expected across the north on Friday, with snow on the "
                            "higher ground, strong winds along the coast through the weekend and flooding "
                            "on low roads near the rivers, the forecasters said, urging drivers to take care "
                            "and to check the roads before they leave home early on Saturday morning.</p>",
                            fallback_reason="HTTP 503")
    store_article(sessions, *analysed(matcher, unrelated), target, None, other)  # indexes the summary
    record, results = analysed(matcher, page_item(article_id, html=page()))
    assert apply_refetch(sessions, article_id, record, None, results, target, refetching).alerts == 1
    assert_a_copy_of_the_page_joins_the_story(sessions, matcher, target, other, article_id)


# ------------------------------------------------------------------ through the command line

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>http://example.invalid/</link><description>w</description>
<item><title>Army delegations meet</title><link>/en/silent.html</link><guid>w-1</guid>
<pubDate>Mon, 22 Oct 2018 08:00:00 GMT</pubDate><description>{silent}</description></item>
<item><title>Moscow and Islamabad agree to expand counter-terrorism cooperation</title><link>/en/firing.html</link>
<guid>w-2</guid><pubDate>Sun, 21 Oct 2018 08:00:00 GMT</pubDate><description>{firing}</description></item>
</channel></rss>
"""


@pytest.mark.slow  # three crawls and three deliveries through the CLI
def test_pages_that_answered_503_are_read_on_the_next_poll(tmp_path, db_url, smtp):
    from xml.sax.saxutils import escape

    site = tmp_path / "site"
    (site / "feeds").mkdir(parents=True)
    (site / "en").mkdir()
    (site / "feeds" / "wire.xml").write_text(FEED.format(silent=escape(SUMMARY_SILENT), firing=escape(SUMMARY_FIRING)),
                                             encoding="utf-8")
    # two relevant articles of the fixture site stand for the pages; both answer 503 at first
    for name, fixture in (("silent", "druzhba-exercise.html"), ("firing", "mi35-helicopters.html")):
        (site / "en" / f"{name}.html").write_bytes((SITE / "en" / fixture).read_bytes())
        (site / "en" / f"{name}.html.headers").write_text("Status: 503\n", encoding="utf-8")
    with MockServer(site_dir=site) as server:
        config = tmp_path / "newswatch.toml"
        config.write_text(
            f'[database]\nurl = "{db_url}"\n\n'
            "[crawl]\nallow_private_networks = true\ndownload_delay = 0\n\n"
            f'[notify]\ntargets = [{json.dumps(smtp.url())}]\nmin_interval = 0\n\n'
            f'[[sources]]\nname = "Wire"\nkind = "feed"\nurl = "{server.url("/feeds/wire.xml")}"\nlanguage = "en"\n',
            encoding="utf-8")

        newswatch(config, "crawl")
        newswatch(config, "notify")
        # the summary that names both sides with drills fired; the other did not
        assert len(smtp.messages) == 1
        assert "the page was not used (HTTP 503)" in smtp.messages[0].part("text/plain")

        for name in ("silent", "firing"):
            (site / "en" / f"{name}.html.headers").unlink()  # the site is back
        requests = {name: server.count(f"/en/{name}.html") for name in ("silent", "firing")}
        newswatch(config, "crawl")
        newswatch(config, "notify")
        assert {name: server.count(f"/en/{name}.html") for name in requests} == {
            name: n + 1 for name, n in requests.items()}
        # the page read now fires and alerts; the match made on the summary is updated, not sent again
        assert len(smtp.messages) == 2
        assert "Read from" not in smtp.messages[1].part("text/plain")

        from pipelines.db import make_engine, session_factory
        engine = make_engine(db_url)
        with session_factory(engine)() as session:
            articles = {a.url.rsplit("/", 1)[1]: a for a in session.scalars(select(Article))}
            assert {a.content_origin for a in articles.values()} == {"page"}
            assert all(a.fallback_reason is None and a.refetch_attempts == 1 for a in articles.values())
            assert session.scalar(select(func.count()).select_from(Match)) == 2
        engine.dispose()

        # operators see it: the week's articles of the source read from their page on a later poll
        [health] = json.loads(newswatch(config, "sources", "--format", "json").stdout)
        assert (health["feed_text_7d"], health["read_later_7d"]) == (0, 2)

        # read: never fetched again, nothing sent again
        counted = {name: server.count(f"/en/{name}.html") for name in requests}
        newswatch(config, "crawl")
        newswatch(config, "notify")
        assert {name: server.count(f"/en/{name}.html") for name in requests} == counted
        assert len(smtp.messages) == 2
