"""The whole pipeline, as an operator runs it: `newswatch crawl` then `newswatch notify`.

A real HTTP server (tests/mockserver.py) serves the fixture site: feeds in RSS 2.0, Atom and
ISO-8859-2/windows-1251, a sitemap index, a listing page and the shared Polish seed brief. Alerts go
to a real SMTP server (aiosmtpd) and a real HTTP webhook receiver through Apprise. The database is
SQLite and PostgreSQL. Every command runs as a subprocess, exactly as from a shell.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipelines.db import make_engine, session_factory
from pipelines.models import Alert, Article, CrawlRun, Match, Message, Source
from tests.mockserver import MockServer
from tests.shared_data import require_shared

pytestmark = pytest.mark.slow  # whole crawls and deliveries through the CLI

RELEVANT = {
    "/en/druzhba-exercise.html", "/en/mi35-helicopters.html", "/en/patrushev-janjua-talks.html",
    "/en/karachi-lahore-pipeline.html", "/en/moscow-rawalpindi-staff-talks.html",
    "/en/afghanistan-moscow-format.html", "/en/blocked-analysis.html", "/pl/druzba-cwiczenia.html",
    "/ru/rossiya-pakistan-ucheniya.html", "/pl/rosja-pakistan-bezpieczenstwo.html",
}
IRRELEVANT = {
    "/en/s400-india-deal.html", "/ru/s400-indiya.html", "/en/russia-ukraine-drones.html",
    "/en/pakistan-cricket.html", "/en/wheat-exports.html", "/en/eu-farm-subsidies.html", "/pl/rolnictwo.html",
}


def write_config(path: Path, server: MockServer, db_url: str, targets: list[str], singles: str | None = None) -> None:
    """``singles``: one more target, a [[notify.target]] table that takes every alert alone."""
    sources = [
        ("RSS 2.0 feed", "feed", "/feeds/rss2.xml", "en"),
        ("Atom feed", "feed", "/feeds/atom.xml", "en"),
        ("RSS 1.0 feed", "feed", "/feeds/rss1.rdf", "en"),
        ("Polish feed (ISO-8859-2)", "feed", "/feeds/pl-latin2.xml", "pl"),
        ("Russian feed (windows-1251)", "feed", "/feeds/ru-cp1251.xml", "ru"),
        ("Sitemap index", "sitemap", "/sitemaps/index.xml", None),
        ("Listing page", "listing", "/en/", "en"),
        ("HTML served as a feed", "feed", "/feeds/news.rss", None),
    ]
    lines = [
        f'[database]\nurl = "{db_url}"',
        "[crawl]\nallow_private_networks = true\ndownload_delay = 0\nconcurrent_requests_per_host = 8",
        "[notify]\ntargets = [" + ", ".join(json.dumps(t) for t in targets) + "]\nmin_interval = 0\nbackoff_initial = \"1s\"",
    ]
    if singles:
        lines.append(f"[[notify.target]]\nurl = {json.dumps(singles)}\nburst = 1000")
    for name, kind, url_path, language in sources:
        lines.append(f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nurl = "{server.url(url_path)}"'
                     + (f'\nlanguage = "{language}"' if language else ""))
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")


def newswatch(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "crawler.cli", *args], env=env, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, f"newswatch {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_crawl_then_notify_alerts_once_per_match_and_target(tmp_path, db_url, smtp, webhook):
    require_shared("seed")  # the Polish seed brief is one of the pages that must match
    with MockServer() as server:
        config = tmp_path / "newswatch.toml"
        write_config(config, server, db_url, [webhook.url("/alerts")], singles=smtp.url())

        first = newswatch(config, "crawl")
        assert "crawl 1 finished" in first.stdout
        # a quiet crawl: one summary line, a line per source that went wrong, no Scrapy banner,
        # no telnet console or remote-control server
        log = first.stderr
        assert len(re.findall(r"INFO crawler\.crawl: crawl 1 finished in", log)) == 1, log
        assert re.findall(r"WARNING crawler\.ingest_pipeline: source (.+?) failed", log) == ["HTML served as a feed"]
        for noise in ("Scrapy 2", "Overridden settings", "Enabled extensions", "Telnet", "Remote control",
                      "Crawled ", "Spider opened", "Dumping Scrapy stats"):
            assert noise not in log, noise
        assert len(log.splitlines()) < 15, log
        newswatch(config, "notify")

        engine = make_engine(db_url)
        sessions = session_factory(engine)
        with sessions() as session:
            stored = {path_of(a.url): a for a in session.scalars(select(Article))}
            matched = {path_of(url) for url in session.scalars(
                select(Article.url).join(Match, Match.article_id == Article.id))}
            seed = stored["/pl/rosja-pakistan-bezpieczenstwo.html"]
            seed_match = session.scalar(select(Match).where(Match.article_id == seed.id))
            blocked = stored["/en/blocked-analysis.html"]
            sources = {s.name: s for s in session.scalars(select(Source))}
            run = session.get(CrawlRun, 1)
            alert_states = session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()

        # every article page is stored once, the relevant ones (and only they) are flagged
        assert RELEVANT | IRRELEVANT <= set(stored)
        assert matched == RELEVANT
        # the Polish seed matched on its own inflected forms, and the row says what fired
        forms = {t["form"] for t in seed_match.terms}
        assert {"Rosji", "Islamabadzie", "Pakistanem"} <= forms
        assert seed.language == "pl" and seed.content_origin == "page"
        assert seed_match.snippet and seed_match.score >= seed_match.threshold
        # a page that answered 403 fell back to its feed summary, and says so
        assert blocked.content_origin in ("feed-summary", "feed-content")
        assert blocked.fallback_reason == "HTTP 403"
        # charsets came out as text
        assert "ć" in stored["/pl/druzba-cwiczenia.html"].text or "ą" in stored["/pl/druzba-cwiczenia.html"].text
        assert "Пакистан" in stored["/ru/rossiya-pakistan-ucheniya.html"].text
        # source health: the HTML-at-a-feed-URL source is an error on that source, not a crash
        assert sources["HTML served as a feed"].consecutive_failures == 1
        assert sources["HTML served as a feed"].last_error
        assert sources["RSS 2.0 feed"].last_success_at and sources["RSS 2.0 feed"].etag
        assert run.status == "finished" and run.articles_new == len(stored) and run.matches_new == len(RELEVANT)
        assert dict(alert_states) == {"sent": 2 * len(RELEVANT)}

        # every match reaches every target once: one email per match (that target takes them
        # alone), one webhook digest carrying all of them (a burst of more than five)
        assert len(smtp.messages) == len(RELEVANT)
        [digest] = [json.loads(body) for body in webhook.bodies]
        assert f"digest: {len(RELEVANT)} alerts" in digest["title"]
        assert all(stored[path].title in digest["message"] for path in RELEVANT)
        with sessions() as session:
            kinds = session.execute(select(Message.kind, Message.alerts)).all()
        assert sorted(kinds) == [("alert", 1)] * len(RELEVANT) + [("digest", len(RELEVANT))]
        seed_mail = [m for m in smtp.messages if "rosja-pakistan-bezpieczenstwo" in m.raw.decode("utf-8", "replace")
                     or "rosja-pakistan-bezpieczenstwo" in (m.part("text/html") or "")]
        assert len(seed_mail) == 1
        html = seed_mail[0].part("text/html")
        assert "Islamabadzie" in html
        # the watch as analysts know it, recorded by the matcher with the match
        assert seed_mail[0].message["Subject"].startswith("[newswatch] Russia–Pakistan security relations: ")
        assert "newswatch alert — Russia–Pakistan security relations" in html
        assert "Read from" not in html  # the seed was matched on its page
        # the blocked page was matched on its feed's text, and its alert says so
        [blocked_mail] = [m for m in smtp.messages if "blocked-analysis" in (m.part("text/plain") or "")]
        assert "the page was not used (HTTP 403)" in blocked_mail.part("text/plain")

        # what an analyst reads back: one jsonl row per match, with the evidence
        rows = [json.loads(line) for line in newswatch(config, "matches", "--format", "jsonl").stdout.splitlines()]
        assert len(rows) == len(RELEVANT)
        for row in rows:
            assert {"url", "title", "source", "language", "published_at", "watch", "score", "terms", "snippet"} <= set(row)
        seed_row = next(r for r in rows if r["url"].endswith("/pl/rosja-pakistan-bezpieczenstwo.html"))
        assert seed_row["language"] == "pl" and "Rosji" in seed_row["terms"]
        assert seed_row["content_origin"] == "page" and seed_row["fallback_reason"] is None
        blocked_row = next(r for r in rows if r["url"].endswith("/en/blocked-analysis.html"))
        assert blocked_row["content_origin"] == blocked.content_origin and blocked_row["fallback_reason"] == "HTTP 403"

        # a second crawl + notify: feeds answer 304, known pages are not refetched, nothing is sent
        feed_requests = server.count("/feeds/rss2.xml")
        second = newswatch(config, "crawl")
        assert "0 new articles" in second.stdout
        assert server.count("/feeds/rss2.xml") == feed_requests + 1
        assert server.requests("/feeds/rss2.xml")[-1]["headers"].get("if-none-match")
        newswatch(config, "notify")
        assert len(smtp.messages) == len(RELEVANT)
        assert len(webhook.requests) == 1
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == len(stored)
        engine.dispose()


def test_failed_target_is_retried_and_the_other_is_not_resent(tmp_path, db_url, smtp):
    from tests.alert_servers import webhook_server

    with MockServer() as server, webhook_server(fail_first=1000) as broken:
        config = tmp_path / "newswatch.toml"
        write_config(config, server, db_url, [smtp.url(), broken.url("/down")])
        newswatch(config, "crawl", "--source", "Atom feed")
        result = newswatch(config, "notify")
        mails = len(smtp.messages)
        assert mails >= 1 and "failed" in result.stdout
        broken.fail_first = 0
        engine = make_engine(db_url)
        with session_factory(engine)() as session:  # make the failed rows due now
            for alert in session.scalars(select(Alert).where(Alert.status == "pending")):
                alert.next_attempt_at = alert.created_at
            session.commit()
        newswatch(config, "notify")
        assert len(smtp.messages) == mails  # the target that succeeded is not sent again
        assert len(broken.requests) == 2 * mails  # failed once each, then delivered once each
        with session_factory(engine)() as session:
            statuses = set(session.scalars(select(Alert.status)))
        engine.dispose()
        assert statuses == {"sent"}
