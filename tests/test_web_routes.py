"""The review app, in-process (Starlette's TestClient) on SQLite and PostgreSQL: every page, the
filters, search and pages of the inbox, verdicts, missed articles and recall, feedback links, the
outbox's retry, the try page, the Atom feed, the plots, and the app's defences (escaping, CSRF,
Content-Security-Policy, authentication)."""
from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from starlette.testclient import TestClient

from crawler.app import App
from crawler.config import bundled_watch_paths, from_dict
from pipelines.clock import utcnow
from pipelines.feedback_links import feedback_urls, sign
from pipelines.models import Alert, Article, CrawlRun, Feedback, Match, MissedArticle, NearDuplicate, Source
from pipelines.store import add_matches
from pipelines.watch import Matcher, load_watches
from pipelines.watch.evaluate import read_example

EXAMPLES = Path(bundled_watch_paths()[0]).parent / "examples" / "russia_pakistan_security"
WATCH = "russia_pakistan_security"
HOSTILE = '<script>alert("x")</script> Russia & Pakistan <img src=x onerror=alert(1)>'
SECRET = "s3cret-for-the-tests-0123456789"
UNRELATED = "The European Union agreed new farm subsidies for grain producers after a dry summer."


@functools.cache
def bundled_matcher() -> Matcher:
    return Matcher(load_watches(bundled_watch_paths()))


def seed(sessions) -> dict:
    """Three sources (one broken), six articles of which five match (one with a hostile title, one
    a near duplicate of another), verdicts, alerts sent, dead and pending, a crawl run with errors."""
    matcher = bundled_matcher()
    now = utcnow()
    ids: dict = {}
    with sessions() as s:
        dawn = Source(name="Dawn", kind="feed", url="https://dawn.example/feed", interval_seconds=900,
                      last_polled_at=now, last_success_at=now)
        warsaw = Source(name="Warsaw Institute", kind="feed", url="https://warsaw.example/feed", interval_seconds=900,
                        last_polled_at=now, consecutive_failures=5, failing_since=now - timedelta(hours=3),
                        reported_broken_at=now - timedelta(hours=1), last_error="HTTP 503")
        tass = Source(name="TASS <b>", kind="feed", url="https://tass.example/feed", interval_seconds=900)
        s.add_all([dawn, warsaw, tass])
        s.flush()
        files = ["01-druzhba-cherat.en.txt", "07-druzba-cwiczenia.pl.txt", "10-druzhba-ucheniya.ru.txt",
                 "02-mi35-agreement.en.txt"]
        articles = []
        for n, name in enumerate(files):
            doc = read_example(EXAMPLES / "relevant" / name)
            title = HOSTILE if n == 3 else doc.title
            articles.append(Article(source_id=[dawn, warsaw, tass, dawn][n].id, url=f"https://news.example/{n}",
                                    canonical_url=f"https://news.example/{n}", content_hash=f"{n:064d}",
                                    title=title, text=doc.text, language=doc.language,
                                    published_at=now - timedelta(days=1),
                                    # the TASS page answered 403: its feed's summary was stored
                                    **({"content_origin": "feed-summary", "fallback_reason": "HTTP 403 <b>"}
                                       if n == 2 else {})))
        first = articles[0]
        copy = Article(source_id=warsaw.id, url="https://copy.example/1", canonical_url="https://copy.example/1",
                       content_hash=f"{99:064d}", title=first.title + " (copy)", text=first.text + " Reuters.",
                       language="en")
        plain = Article(source_id=dawn.id, url="https://news.example/grain", canonical_url="https://news.example/grain",
                        content_hash=f"{98:064d}", title="Grain subsidies", text=UNRELATED, language="en")
        s.add_all(articles + [copy, plain])
        s.flush()
        s.add(NearDuplicate(article_id=copy.id, original_id=first.id, distance=3, similarity=0.9))
        matches = []
        for article in articles + [copy]:
            from pipelines.watch import Document

            results = matcher.match(Document(article.title or "", article.text, article.language))
            assert results, f"the bundled watch should fire on {article.url}"
            matches += add_matches(s, article, results, [])[0]
        s.flush()
        s.add(Feedback(match_id=matches[1].id, verdict="relevant"))
        s.add(Feedback(match_id=matches[2].id, verdict="irrelevant", note="about India"))
        s.add_all([
            Alert(match_id=matches[0].id, target_key="k1", target_label="slack://T0…/#desk", status="sent",
                  attempts=1, created_at=now - timedelta(minutes=5), sent_at=now),
            Alert(match_id=matches[0].id, target_key="k2", target_label="mailto://desk@example.org", status="dead",
                  attempts=8, last_error="SMTP 550 <mailbox unavailable>"),
            Alert(match_id=matches[3].id, target_key="k2", target_label="mailto://desk@example.org", status="pending"),
        ])
        s.add(CrawlRun(status="finished", errors=2, finished_at=now))
        s.commit()
        ids.update(matches=[m.id for m in matches], articles=[a.id for a in articles], copy=copy.id,
                   plain=plain.id)
    return ids


def make_app(db_url: str, **web) -> App:
    return App(from_dict({"database": {"url": db_url}, "web": {"secret": SECRET, **web}}))


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    yield app
    app.close()


@pytest.fixture
def client(app):
    from crawler.web import create_app

    with TestClient(create_app(app)) as client:
        client.get("/")  # the CSRF cookie
        yield client


@pytest.fixture
def ids(app):
    return seed(app.sessions)


def csrf(client) -> str:
    return client.cookies.get("newswatch_csrf")


def no_inline_script(html: str) -> bool:
    return not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and " on" not in re.sub(r"<[^>]*>", "", "") and \
        not re.search(r"<[a-z][^>]*\son[a-z]+=", html)


# ---------------------------------------------------------------------------- inbox

def test_inbox_lists_matches_newest_first_and_escapes_titles(client, ids):
    page = client.get("/")
    assert page.status_code == 200
    rows = [int(i) for i in re.findall(r'data-match="(\d+)"', page.text)]
    assert rows == sorted(ids["matches"], reverse=True)
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert no_inline_script(page.text)


@pytest.mark.parametrize("query, expected", [
    ("watch=russia_pakistan_security", [0, 1, 2, 3, 4]),
    ("language=pl", [1]),
    ("source=Warsaw+Institute", [1, 4]),
    ("verdict=unreviewed", [0, 3, 4]),
    ("verdict=relevant", [1]),
    ("verdict=irrelevant", [2]),
    ("q=Cherat", [0, 4]),                  # full text: a word of the text
    ("q=cherat+druzhba", [0, 4]),          # every word, any case
    ("q=Mi-35", [3]),
    ("q=alert", [3]),                      # the title is searched too
    ("q=nothing-like-this", []),
    ("q=%22%29+OR+%2A", []),               # FTS syntax in the box is text, not syntax
    ("since=2999-01-01", []),
    ("min_score=1000", []),
    ("watch=no-such&language=pl", []),
])
def test_inbox_filters_and_search(client, ids, query, expected):
    page = client.get("/?" + query)
    assert page.status_code == 200
    shown = sorted(int(i) for i in re.findall(r'data-match="(\d+)"', page.text))
    assert shown == sorted(ids["matches"][i] for i in expected)


def test_inbox_pages_by_keyset(app, ids):
    from pipelines.inbox import InboxFilter, inbox

    with app.sessions() as session:
        first = inbox(session, InboxFilter(), limit=2)
        second = inbox(session, InboxFilter(), before=first.older, limit=2)
        third = inbox(session, InboxFilter(), before=second.older, limit=2)
        back = inbox(session, InboxFilter(), after=second.rows[0]["id"], limit=2)
    seen = [r["id"] for page in (first, second, third) for r in page.rows]
    assert seen == sorted(ids["matches"], reverse=True)
    assert first.newer is None and third.older is None and second.newer and second.older
    assert [r["id"] for r in back.rows] == [r["id"] for r in first.rows]


def test_search_index_follows_inserts_updates_and_deletes(app):
    from pipelines.inbox import InboxFilter, inbox

    seed(app.sessions)
    with app.sessions() as s:
        article = s.scalar(select(Article).where(Article.url == "https://news.example/0"))
        article.title = "Zanzibar headline"
        s.commit()
        assert [r["title"] for r in inbox(s, InboxFilter(q="zanzibar")).rows] == ["Zanzibar headline"]
        s.delete(article)
        s.commit()
        assert inbox(s, InboxFilter(q="zanzibar")).rows == []
    if app.is_sqlite:
        with app.engine.connect() as conn:
            triggers = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        assert {"articles_fts_insert", "articles_fts_update", "articles_fts_delete"} <= triggers


# ---------------------------------------------------------------------------- match page and verdicts

def test_match_page_highlights_hits_and_explains(client, app, ids):
    match_id = ids["matches"][0]
    page = client.get(f"/matches/{match_id}")
    assert page.status_code == 200
    with app.sessions() as s:
        match = s.get(Match, match_id)
        text_hits = [h for h in match.terms if h["field"] == "text"]
    marks = re.findall(r'<mark class="hit" title="([^"]+)">([^<]+)</mark>', page.text)
    assert len(marks) >= len({(h["start"], h["end"]) for h in text_hits}) * 0.8 and marks
    forms = {h["form"] for h in match.terms}
    assert {m[1] for m in marks} <= {f for f in forms} | {m[1] for m in marks if any(m[1] in f or f in m[1] for f in forms)}
    assert "Now: fired" in page.text and "threshold" in page.text
    assert "Also reported by" in page.text and "Warsaw Institute" in page.text  # the near duplicate
    assert "slack://T0…/#desk" in page.text and "SMTP 550 &lt;mailbox unavailable&gt;" in page.text
    assert no_inline_script(page.text)


def test_match_page_says_when_the_text_is_the_feeds_summary(client, ids):
    """An analyst judging a match read from a feed's summary (the page failed) should know the
    watch saw a few lines, not the article; a match on the page itself says nothing of it."""
    summary = client.get(f"/matches/{ids['matches'][2]}").text
    assert ('id="read-from">Read from the feed&#39;s summary only; the page was not used (HTTP 403 &lt;b&gt;)'
            in summary)
    assert 'id="read-from"' not in client.get(f"/matches/{ids['matches'][0]}").text
    # the inbox marks that row, and only that one
    inbox = client.get("/").text
    assert inbox.count('class="badge from-feed"') == 1
    row = inbox[inbox.index(f'data-match="{ids["matches"][2]}"'):]
    assert row.index('class="badge from-feed"') < row.index("</tr>")


def test_match_page_of_hostile_title_escapes_it(client, ids):
    page = client.get(f"/matches/{ids['matches'][3]}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_verdicts_need_the_csrf_token_and_are_recorded(client, app, ids):
    match_id = ids["matches"][0]
    refused = client.post(f"/matches/{match_id}/verdict", data={"verdict": "relevant"})
    assert refused.status_code == 403
    wrong = client.post(f"/matches/{match_id}/verdict", data={"verdict": "relevant", "csrf": "guess"})
    assert wrong.status_code == 403
    form = client.post(f"/matches/{match_id}/verdict", data={"verdict": "irrelevant", "note": "<b>no</b>",
                                                              "csrf": csrf(client)}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == f"/matches/{match_id}"
    json = client.post(f"/matches/{match_id}/verdict", data={"verdict": "relevant"},
                       headers={"X-CSRF-Token": csrf(client), "Accept": "application/json"})
    assert json.json() == {"match": match_id, "verdict": "relevant"}
    assert client.post("/matches/999999/verdict", data={"verdict": "relevant", "csrf": csrf(client)}).status_code == 404
    assert client.post(f"/matches/{match_id}/verdict", data={"verdict": "maybe", "csrf": csrf(client)}).status_code == 400
    with app.sessions() as s:
        verdicts = [f.verdict for f in s.scalars(select(Feedback).where(Feedback.match_id == match_id)
                                                 .order_by(Feedback.id))]
    assert verdicts == ["irrelevant", "relevant"]
    page = client.get(f"/matches/{match_id}")
    assert "&lt;b&gt;no&lt;/b&gt;" in page.text


def test_match_page_neighbours_keep_to_the_filters(client, ids):
    page = client.get(f"/matches/{ids['matches'][1]}?source=Warsaw+Institute")
    assert 'data-older=""' in page.text and f'data-newer="/matches/{ids["matches"][4]}?source=Warsaw+Institute"' in page.text
    assert client.get("/matches/999999").status_code == 404


# ---------------------------------------------------------------------------- missed articles and recall

def test_missed_article_from_text_is_stored_explained_exported_and_counted(client, app, ids):
    text_ = "Russia and Pakistan held talks. The ministers discussed trade in grain and cotton."
    posted = client.post("/missed", data={"watch": WATCH, "title": "Talks <in> Moscow", "text": text_,
                                          "note": "should count", "csrf": csrf(client)}, follow_redirects=False)
    assert posted.status_code == 303
    detail = client.get(posted.headers["location"])
    assert "The watch did not fire" in detail.text and "Talks &lt;in&gt; Moscow" in detail.text
    example = client.get(posted.headers["location"] + "/example.txt")
    assert example.text.startswith("# Talks <in> Moscow\nRussia and Pakistan held talks.")
    name = re.search(r'filename="([^"]+)"', example.headers["content-disposition"]).group(1)
    assert re.fullmatch(r"missed-\d+-talks-in-moscow\.en\.txt", name)
    from pipelines.queries import precision_report

    with app.sessions() as s:
        rows = {(r["by"], r["value"]): r for r in precision_report(s, utcnow() - timedelta(days=1))}
    watch = rows[("watch", WATCH)]
    assert (watch["relevant"], watch["missed"], watch["recall"]) == (1, 1, 0.5)
    assert {"matches", "judged", "relevant", "irrelevant", "precision"} <= set(watch)
    assert "Talks &lt;in&gt; Moscow" in client.get("/missed").text


def test_missed_article_from_a_stored_url_uses_the_stored_text(client, app, ids):
    posted = client.post("/missed", data={"watch": WATCH, "url": "https://news.example/grain",
                                          "csrf": csrf(client)}, follow_redirects=False)
    assert posted.status_code == 303
    with app.sessions() as s:
        row = s.scalar(select(MissedArticle))
        assert row.article_id == ids["plain"] and row.text == UNRELATED and not row.fired


@pytest.mark.parametrize("url, problem", [
    ("/etc/passwd", "must start with http"),
    ("file:///etc/passwd", "must start with http"),
    ("http://127.0.0.1:9/private", "refused by netguard"),
    ("http://169.254.169.254/latest/meta-data/", "refused by netguard"),
])
def test_missed_article_urls_go_through_netguard(client, app, url, problem):
    page = client.post("/missed", data={"watch": WATCH, "url": url, "csrf": csrf(client)})
    assert page.status_code == 400 and problem in page.text
    with app.sessions() as s:
        assert s.scalar(select(MissedArticle)) is None


def test_missed_article_needs_a_watch_and_a_text(client):
    assert "choose the watch" in client.post("/missed", data={"watch": "nope", "text": "x", "csrf": csrf(client)}).text
    assert "paste the article" in client.post("/missed", data={"watch": WATCH, "csrf": csrf(client)}).text


# ---------------------------------------------------------------------------- feedback links

def test_feedback_link_records_on_post_only_and_refuses_bad_links(client, app, ids):
    match_id = ids["matches"][4]
    links = feedback_urls("https://review.example/", SECRET, match_id)
    assert set(links) == {"relevant", "irrelevant"} and links["relevant"].startswith("https://review.example/f/")
    path = "/f/" + links["irrelevant"].rsplit("/f/", 1)[1]
    shown = client.get(path)
    assert shown.status_code == 200 and "data-autosubmit" in shown.text
    with app.sessions() as s:
        assert s.scalar(select(Feedback).where(Feedback.match_id == match_id)) is None  # a GET records nothing
    done = client.post(path)
    assert done.status_code == 200 and "Recorded" in done.text
    client.post(path)  # twice: one verdict
    with app.sessions() as s:
        assert [f.verdict for f in s.scalars(select(Feedback).where(Feedback.match_id == match_id))] == ["irrelevant"]
    expired = sign(SECRET, match_id, "relevant", now=utcnow() - timedelta(days=30))
    assert "expired" in client.get(f"/f/{expired}").text
    forged = path.replace(".i.", ".r.")
    assert client.get(forged).status_code == 400 and "not genuine" in client.get(forged).text
    assert "malformed" in client.get("/f/garbage").text
    assert feedback_urls(None, SECRET, match_id) == {} and feedback_urls("https://x.example", None, 1) == {}


def test_feedback_link_tokens_round_trip_and_bind_every_field():
    from pipelines.feedback_links import BadLink, verify

    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    token = sign(SECRET, 42, "relevant", timedelta(hours=1), now)
    assert verify(SECRET, token, now) == (42, "relevant")
    match_id, code, expiry, signature = token.split(".")
    for bad in (f"43.{code}.{expiry}.{signature}", f"{match_id}.i.{expiry}.{signature}",
                f"{match_id}.{code}.{int(expiry) + 3600}.{signature}"):
        with pytest.raises(BadLink, match="not genuine"):
            verify(SECRET, bad, now)
    with pytest.raises(BadLink, match="not genuine"):
        verify("another-secret-0123456789", token, now)
    with pytest.raises(BadLink, match="expired"):
        verify(SECRET, token, now + timedelta(hours=2))


# ---------------------------------------------------------------------------- sources, outbox, watches

def test_sources_page_shows_broken_first(client, ids):
    page = client.get("/sources")
    names = re.findall(r'<tr id="([^"]+)">', page.text)
    assert names[0] == "Warsaw Institute" and "HTTP 503" in page.text and "TASS &lt;b&gt;" in page.text


def test_sources_page_shows_what_was_stored_from_the_feed_and_read_later(client, app, ids):
    """The page shows what `newswatch sources` prints: of the last 7 days' articles, those stored from
    the feed's text (with the commonest reason) and those read from their page on a later poll."""
    def row(name: str) -> list[str]:
        html = client.get("/sources").text
        cells = re.search(rf'<tr id="{re.escape(name)}">(.*?)</tr>', html, re.S).group(1)
        return [re.sub(r"<[^>]*>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]

    tass = row("TASS &lt;b&gt;")
    assert tass[7] == "1 HTTP 403 &lt;b&gt;" and tass[8] == "0"
    assert row("Dawn")[7:9] == ["0", "0"]
    with app.sessions() as s:
        dawn = s.scalar(select(Source.id).where(Source.name == "Dawn"))
        s.add(Article(source_id=dawn, url="https://news.example/later", canonical_url="https://news.example/later",
                      content_hash=f"{97:064d}", title="Read on the second poll", text=UNRELATED, language="en",
                      refetch_attempts=1))
        s.commit()
    assert row("Dawn")[7:9] == ["0", "1"]


def test_a_match_the_page_does_not_bear_out_says_so_and_marks_no_stale_words(client, app, ids):
    """pipelines.refetch replaced the feed's text with the page's, which does not fire the watch:
    the match's text hits pointed into the old text, so the page marks none and says what fired."""
    def article_text(page: str) -> str:
        return page.split('<article class="text"')[1].split("</article>")[0]

    match_id = ids["matches"][0]
    before = client.get(f"/matches/{match_id}").text
    assert "<mark" in article_text(before) and 'id="page-silent"' not in before
    with app.sessions() as s:
        s.get(Match, match_id).page_silent_at = utcnow()
        s.commit()
    page = client.get(f"/matches/{match_id}").text
    assert 'id="page-silent"' in page and "<mark" not in article_text(page)
    assert "The match was made on the feed's text" in page
    inbox = client.get("/").text
    row = re.search(rf'<tr class="row" data-match="{match_id}".*?</tr>', inbox, re.S).group(0)
    assert "page does not fire" in row
    assert "page does not fire" not in re.search(rf'<tr class="row" data-match="{ids["matches"][1]}".*?</tr>',
                                                 inbox, re.S).group(0)


def test_outbox_shows_why_alerts_wait_and_retries_a_dead_one(client, app, ids):
    page = client.get("/outbox")
    assert "given up after 8 attempts" in page.text and "SMTP 550 &lt;mailbox unavailable&gt;" in page.text
    with app.sessions() as s:
        dead = s.scalar(select(Alert.id).where(Alert.status == "dead"))
    assert client.post("/outbox/retry", data={"id": dead}).status_code == 403
    done = client.post("/outbox/retry", data={"id": dead, "csrf": csrf(client)})
    assert done.status_code == 200 and "1 alert(s) re-queued" in done.text
    with app.sessions() as s:
        assert s.get(Alert, dead).status == "pending"


def test_watches_page_and_try_page(client, ids):
    page = client.get("/watches")
    assert page.status_code == 200 and "precision" in page.text and WATCH in page.text
    form = client.get(f"/watches/{WATCH}/try")
    source = re.search(r'<textarea[^>]*name="source"[^>]*>(.*?)</textarea>', form.text, re.S).group(1)
    import html

    source = html.unescape(source)
    stricter = re.sub(r"(?m)^threshold\s*=\s*[\d.]+", "threshold = 1000", source, count=1)
    assert stricter != source
    tried = client.post(f"/watches/{WATCH}/try", data={"source": stricter, "csrf": csrf(client)})
    assert tried.status_code == 200
    assert re.search(r"<strong>0</strong> would newly match, <strong>5</strong> would stop matching", tried.text)
    broken = client.post(f"/watches/{WATCH}/try", data={"source": source + "\n[[rules]]\nexpr = \"nosuchgroup\"\n",
                                                         "csrf": csrf(client)})
    assert broken.status_code == 400 and "unknown group" in broken.text
    assert client.get("/watches/nope/try").status_code == 404


def test_atom_feed_is_valid_atom_and_escapes(client, ids):
    response = client.get(f"/watches/{WATCH}/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.content)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for required in ("a:title", "a:id", "a:updated", "a:author/a:name", "a:link[@rel='self']"):
        assert feed.find(required, ns) is not None, required
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 5
    for entry in entries:
        for required in ("a:title", "a:id", "a:updated", "a:link[@rel='alternate']"):
            assert entry.find(required, ns) is not None, required
        datetime.fromisoformat(entry.find("a:updated", ns).text)
    titles = [e.find("a:title", ns).text for e in entries]
    assert HOSTILE in titles  # escaped in the XML, intact once parsed
    assert len({e.find("a:id", ns).text for e in entries}) == 5
    assert client.get("/watches/nope/feed.atom").status_code == 404


def test_plots_are_svg(client, ids):
    page = client.get("/plots")
    assert page.status_code == 200 and page.text.count("<svg") == 6
    for name in ("matches-by-watch", "matches-by-language", "matches-by-source", "precision", "failures", "latency"):
        svg = client.get(f"/plots/{name}.svg?days=7")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(svg.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "TASS &lt;b&gt;" in client.get("/plots/matches-by-source.svg").text


# ---------------------------------------------------------------------------- defences

def test_every_page_has_the_policy_and_no_inline_script(client, ids):
    for path in ("/", f"/matches/{ids['matches'][3]}", "/missed", "/sources", "/outbox", "/watches",
                 f"/watches/{WATCH}/try", "/plots", "/nope"):
        page = client.get(path)
        assert "script-src 'self'" in page.headers["content-security-policy"], path
        assert page.headers["x-content-type-options"] == "nosniff"
        assert no_inline_script(page.text), path


def test_binding_beyond_loopback_needs_authentication(tmp_path):
    from crawler.config import ConfigError
    from crawler.web.server import check_bind

    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(ConfigError, match="until authentication is configured"):
        check_bind(make_app(url), "0.0.0.0")
    check_bind(make_app(url), "127.0.0.1")
    check_bind(make_app(url), "::1")
    check_bind(make_app(url, auth_header="X-Remote-User"), "0.0.0.0")


def test_basic_authentication_and_proxy_header(tmp_path):
    from crawler.web import create_app
    from crawler.web.auth import hash_password

    url = f"sqlite:///{tmp_path / 'x.db'}"
    hashed = hash_password("correct horse", iterations=1000)
    with TestClient(create_app(make_app(url, password_hash=hashed, user="ana"))) as client:
        assert client.get("/").status_code == 401
        assert client.get("/", auth=("ana", "wrong")).status_code == 401
        assert client.get("/", auth=("bob", "correct horse")).status_code == 401
        assert client.get("/", auth=("ana", "correct horse")).status_code == 200
        assert client.get("/static/app.js").status_code == 200
    with TestClient(create_app(make_app(url, auth_header="X-Remote-User"))) as client:
        assert client.get("/").status_code == 403
        assert client.get("/", headers={"X-Remote-User": "ana"}).status_code == 200


def test_serve_in_background_serves_and_stops(tmp_path):
    import socket
    import urllib.request

    from crawler.web import serve_in_background

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(f"sqlite:///{tmp_path / 'x.db'}")
    stop = serve_in_background(app, "127.0.0.1", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sources", timeout=10) as response:
            assert response.status == 200 and b"Sources" in response.read()
    finally:
        stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    app.close()


def test_web_config_is_checked():
    from crawler.config import ConfigError

    assert from_dict({}).web.host == "127.0.0.1" and from_dict({}).web.port == 8080
    for bad, key in (({"port": 70000}, "web.port"), ({"secret": "short"}, "web.secret"),
                     ({"base_url": "ftp://x"}, "web.base_url"), ({"password_hash": "plain"}, "web.password_hash"),
                     ({"colour": "blue"}, "web.colour")):
        with pytest.raises(ConfigError, match=re.escape(key)):
            from_dict({"web": bad})
    with pytest.raises(ConfigError) as info:
        from_dict({"web": {"secret": "short-secret"}})
    assert "short-secret" not in str(info.value)  # [web] values are masked like [notify]'s


def test_search_of_a_common_word_checks_the_newest_matches_one_by_one(client, ids, monkeypatch):
    import pipelines.search

    monkeypatch.setattr(pipelines.search, "COMMON", 1)  # every word is "common" (SQLite's other plan)
    shown = sorted(int(i) for i in re.findall(r'data-match="(\d+)"', client.get("/?q=Cherat").text))
    assert shown == sorted(ids["matches"][i] for i in (0, 4))


def test_verdicts_record_who_gave_them(tmp_path):
    """The app's user (basic authentication or the proxy's header), the CLI's --by or login name,
    and "alert link" for a signed one-click link; the match page shows it."""
    from click.testing import CliRunner

    from crawler.cli import main
    from crawler.web import create_app
    from crawler.web.auth import hash_password

    url = f"sqlite:///{tmp_path / 'x.db'}"
    ids = seed(make_app(url).sessions)
    match_id = ids["matches"][4]

    def judge(client, verdict, **request):
        client.get("/", **request)  # the CSRF cookie
        return client.post(f"/matches/{match_id}/verdict", data={"verdict": verdict, "csrf": csrf(client)},
                           follow_redirects=False, **request)

    hashed = hash_password("correct horse", iterations=1000)
    with TestClient(create_app(make_app(url, password_hash=hashed, user="ana"))) as client:
        assert judge(client, "relevant", auth=("ana", "correct horse")).status_code == 303
    with TestClient(create_app(make_app(url, auth_header="X-Remote-User"))) as client:
        assert judge(client, "irrelevant", headers={"X-Remote-User": "bob@example.org"}).status_code == 303
        link = feedback_urls("https://review.example/", SECRET, match_id)["relevant"]
        assert client.post("/f/" + link.rsplit("/f/", 1)[1]).status_code == 200  # a link needs no login
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    done = CliRunner().invoke(main, ["--config", str(config), "feedback", str(match_id), "irrelevant",
                                     "--by", "carol", "--note", "line one\nline\x00 two"])
    assert done.exit_code == 0, done.output
    app = make_app(url)
    with app.sessions() as s:
        authors = [f.author for f in s.scalars(select(Feedback).where(Feedback.match_id == match_id)
                                               .order_by(Feedback.id))]
    assert authors[-4:] == ["ana", "bob@example.org", "alert link", "carol"]
    with app.sessions() as s:
        assert s.scalars(select(Feedback.note).order_by(Feedback.id.desc())).first() == "line one\nline two"
    with TestClient(create_app(app)) as client:
        page = client.get(f"/matches/{match_id}").text
    assert "by carol" in page and "by bob@example.org" in page and "by ana" in page
