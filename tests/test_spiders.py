"""Whole crawls of the fixture site: real Scrapy runs (one subprocess each) against the mock server.

One module-wide crawl of every source kind feeds most tests; conditional GET, known URLs,
politeness and cases where two sources share URLs get crawls of their own (a spider fetches a
URL once per crawl, for whichever source lists it first). Private networks are allowed here (the server is on
127.0.0.1); tests/test_netguard.py covers the refusals.
"""
from __future__ import annotations

import gzip

import pytest

from crawler.config import CrawlConfig, SourceConfig
from tests.crawl_once import crawl
from tests.mockserver import DEFAULT_SITE as SITE
from tests.mockserver import MockServer
from tests.shared_data import shared_data_dir

pytestmark = pytest.mark.slow  # real Scrapy crawls, one subprocess each

EDGE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>edge cases</title>
<item><title>slow</title><link>/__slow/4/en/wheat-exports.html</link><pubDate>Mon, 05 Nov 2018 10:00:00 GMT</pubDate>
  <description>slow page summary</description></item>
<item><title>moved</title><link>/__redirect?to=/en/mi35-helicopters.html&amp;status=301</link>
  <pubDate>Sun, 04 Nov 2018 10:00:00 GMT</pubDate></item>
<item><title>plain text</title><link>/data/stats.txt</link><pubDate>Sat, 03 Nov 2018 10:00:00 GMT</pubDate></item>
<item><title>gone</title><link>/en/does-not-exist.html</link><pubDate>Fri, 02 Nov 2018 10:00:00 GMT</pubDate>
  <description>gone summary</description></item>
</channel></rss>"""
ROUTES = {
    "/feeds/edge.xml": {"body": EDGE_FEED, "headers": {"Content-Type": "application/rss+xml"}},
    "/data/stats.txt": {"body": "not a web page", "headers": {"Content-Type": "text/plain"}},
}


def source(name: str, kind: str, url: str, **kw) -> SourceConfig:
    return SourceConfig(name=name, kind=kind, url=url, interval=60, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # a gzip-compressed sitemap file (not Content-Encoding): the spider gunzips it, bounded
    gz = tmp_path_factory.mktemp("site") / "news.xml.gz"
    gz.write_bytes(gzip.compress((SITE / "sitemaps" / "news.xml").read_bytes()))
    routes = {**ROUTES, "/sitemaps/news.xml.gz": {"body_file": str(gz), "headers": {"Content-Type": "application/gzip"}}}
    with MockServer(routes=routes) as srv:
        yield srv


@pytest.fixture(scope="module")
def sources(server):
    u = server.url
    return [
        source("rss2", "feed", u("/feeds/rss2.xml"), language="en"),
        source("rss1", "feed", u("/feeds/rss1.rdf")),
        source("atom", "feed", u("/feeds/atom.xml")),
        source("pl", "feed", u("/feeds/pl-latin2.xml"), language="pl"),
        source("ru", "feed", u("/feeds/ru-cp1251.xml")),
        source("html-as-feed", "feed", u("/feeds/news.rss")),
        source("edge", "feed", u("/feeds/edge.xml")),
        source("unreachable", "feed", "http://127.0.0.1:9/feed.xml"),  # discard port: refused
        source("news-sitemap", "sitemap", u("/sitemaps/index.xml"), max_articles=4),
        source("not-a-sitemap", "sitemap", u("/en/")),
        source("front", "listing", u("/en/")),
        source("most-read", "listing", u("/en/"), selector="ul.latest"),
    ]


@pytest.fixture(scope="module")
def result(server, sources):
    return crawl(sources, download_timeout=2)


def by_source(result, name):
    return {a["url"].split("/", 3)[3]: a for a in result.articles if a["source"] == name}


# ---- feeds ---------------------------------------------------------------------------------

def test_feed_poll_reports_validators_and_entry_count(result):
    poll = result.poll("rss2")
    assert poll["status"] == "ok" and poll["http_status"] == 200 and poll["entries"] == 5
    assert poll["etag"].startswith('"') and poll["last_modified"].endswith("GMT")


def test_feed_articles_carry_page_and_entry_fields(result):
    druzhba = by_source(result, "rss2")["en/druzhba-exercise.html"]
    assert "<h1>Russian and Pakistani special forces open Druzhba joint exercise</h1>" in druzhba["html"]
    assert druzhba["title"] == "Russian and Pakistani special forces open Druzhba joint exercise"
    assert druzhba["published_at"] == "2018-10-22T08:00:00+00:00"
    assert "<b>Russia</b>" in druzhba["feed_content"]
    assert druzhba["entry_id"] == "wsr-2018-1022-druzhba"
    assert druzhba["language_hint"] == "en" and druzhba["discovered_via"] == "feed"
    assert druzhba["fallback_reason"] is None


def test_forbidden_page_falls_back_to_feed_summary(result):
    blocked = by_source(result, "rss2")["en/blocked-analysis.html"]
    assert blocked["html"] is None
    assert blocked["fallback_reason"] == "HTTP 403"
    assert "share intelligence on militant groups" in blocked["feed_summary"]


def test_robots_txt_is_obeyed(result, server):
    memo = by_source(result, "rss2")["private/internal-memo.html"]
    assert memo["html"] is None and "robots.txt" in memo["fallback_reason"]
    assert server.count("/private/internal-memo.html") == 0
    # once per host and spider (feed, sitemap, listing), however many sources and pages
    assert server.count("/robots.txt") == 3


def test_every_request_is_honest_and_accepts_gzip(server):
    seen = server.requests()
    assert seen
    assert {r["headers"]["user-agent"] for r in seen} == {CrawlConfig().user_agent}
    assert all("gzip" in r["headers"].get("accept-encoding", "") for r in seen)


def test_polish_iso_8859_2_page_with_http_charset(result):
    page = by_source(result, "pl")["pl/druzba-cwiczenia.html"]
    assert "Żołnierze sił specjalnych Rosji i Pakistanu rozpoczęli" in page["html"]
    assert page["title"] == "Siły specjalne Rosji i Pakistanu znów ćwiczą razem"
    assert page["language_hint"] == "pl"


def test_russian_windows_1251_page_with_meta_charset_only(result):
    page = by_source(result, "ru")["ru/rossiya-pakistan-ucheniya.html"]
    assert "Военнослужащие сил специальных операций России и Пакистана" in page["html"]
    assert page["title"] == "Россия и Пакистан провели совместные учения «Дружба»"
    assert page["language_hint"] == "ru"  # from the feed when the source sets none
    assert "С-400" in by_source(result, "ru")["ru/s400-indiya.html"]["html"]  # UTF-8 page


def test_seed_article_page_is_served_and_fetched(result):
    seed_file = shared_data_dir() / "seed" / "warsaw-institute-russia-pakistan.pl.txt"
    page = by_source(result, "pl")["pl/rosja-pakistan-bezpieczenstwo.html"]
    assert page["title"] == "Rosja zacieśnia współpracę z Pakistanem"
    if not seed_file.exists():
        assert page["fallback_reason"] == "HTTP 404" and "Islamabadu" in page["feed_summary"]
        pytest.skip("shared seed article absent: checked the 404 fallback only")
    assert "<h1>Rosja zacieśnia współpracę z Pakistanem</h1>" in page["html"]
    assert "Patruszew" in page["html"] and "Nasser Janjua" in page["html"]


def test_rss1_and_atom_sources(result):
    assert set(by_source(result, "rss1")) == {"en/patrushev-janjua-talks.html", "en/wheat-exports.html"}
    atom = by_source(result, "atom")
    assert set(atom) == {"en/karachi-lahore-pipeline.html", "en/russia-ukraine-drones.html", "en/pakistan-cricket.html"}
    assert atom["en/karachi-lahore-pipeline.html"]["entry_id"] == "tag:wsr.example,2021:pipeline"
    assert "<em>Pakistan Stream</em>" in atom["en/karachi-lahore-pipeline.html"]["feed_content"]


def test_html_page_at_feed_url_is_a_source_error(result):
    poll = result.poll("html-as-feed")
    assert poll["status"] == "error"
    assert "not an RSS/Atom feed" in poll["error"] and "text/html" in poll["error"]
    assert by_source(result, "html-as-feed") == {}


def test_truncated_feed_keeps_what_parsed(server):
    got = crawl([source("truncated", "feed", server.url("/feeds/truncated.xml"))])
    poll = got.poll("truncated")
    assert poll["status"] == "ok" and poll["entries"] == 2
    assert "SAXParseException" in poll["extra"]["warning"]
    assert {a["url"].split("/", 3)[3] for a in got.articles} == {"en/druzhba-exercise.html", "en/pakistan-cricket.html"}


def test_a_url_in_two_sources_is_fetched_once_per_crawl(server):
    # rss2 and truncated both list druzhba-exercise: one request, one item, the other source
    # counts it as a duplicate.
    server.clear_log()
    got = crawl([source("rss2", "feed", server.url("/feeds/rss2.xml")),
                 source("truncated", "feed", server.url("/feeds/truncated.xml"))])
    assert len([a for a in got.articles if a["url"].endswith("/en/druzhba-exercise.html")]) == 1
    assert server.count("/en/druzhba-exercise.html") == 1
    extras = [got.poll(n)["extra"] for n in ("rss2", "truncated")]
    assert sum(e.get("duplicate", 0) for e in extras) == 1


def test_unfetchable_pages_fall_back_with_a_reason(result, server):
    edge = {a["title"]: a for a in result.articles if a["source"] == "edge"}
    assert edge["slow"]["fallback_reason"] == "timeout" and edge["slow"]["feed_summary"] == "slow page summary"
    assert edge["moved"]["url"] == server.url("/en/mi35-helicopters.html")  # final URL after the redirect
    assert "Mi-35M" in edge["moved"]["html"]
    assert edge["plain text"]["html"] is None and edge["plain text"]["fallback_reason"] == "not HTML (text/plain)"
    assert edge["gone"]["fallback_reason"] == "HTTP 404"


def test_unreachable_source_is_reported_not_raised(result):
    poll = result.poll("unreachable")
    assert poll["status"] == "error" and "connection refused" in poll["error"]
    assert poll["error"].startswith("http://127.0.0.1:9/feed.xml")


# ---- sitemap and listing -------------------------------------------------------------------

def test_sitemap_index_news_sitemap_newest_first(result):
    poll = result.poll("news-sitemap")
    assert poll["status"] == "ok" and poll["entries"] == 7 and poll["extra"]["sitemaps"] == 4
    assert "missing.xml: HTTP 404" in poll["extra"]["warning"]
    got = by_source(result, "news-sitemap")
    assert set(got) == {
        "en/afghanistan-moscow-format.html",
        "en/moscow-rawalpindi-staff-talks.html",
        "ru/rossiya-pakistan-ucheniya.html",
        "en/s400-india-deal.html",
    }
    ru = got["ru/rossiya-pakistan-ucheniya.html"]
    assert ru["title"] == "Россия и Пакистан провели совместные учения «Дружба»"
    assert ru["published_at"] == "2018-10-24T06:00:00+00:00" and ru["language_hint"] == "ru"
    assert "Военнослужащие" in ru["html"] and ru["discovered_via"] == "sitemap"
    assert got["en/s400-india-deal.html"]["published_at"] == "2018-10-05T12:00:00+00:00"  # from <lastmod>


def test_gzipped_sitemap_file(server):
    result = crawl([source("gz-sitemap", "sitemap", server.url("/sitemaps/news.xml.gz"), max_articles=1)])
    poll = result.poll("gz-sitemap")
    assert poll["status"] == "ok" and poll["entries"] == 4 and poll["extra"]["fetched"] == 1
    assert [a["title"] for a in result.articles if a["source"] == "gz-sitemap"] == [
        "Pakistan backs Moscow format talks on Afghan security"]


def test_html_page_at_sitemap_url_is_a_source_error(result):
    poll = result.poll("not-a-sitemap")
    assert poll["status"] == "error" and "not a sitemap" in poll["error"] and "text/html" in poll["error"]


def test_listing_heuristic_takes_content_links_only(result):
    got = by_source(result, "front")
    assert set(got) == {
        "en/afghanistan-moscow-format.html",
        "en/moscow-rawalpindi-staff-talks.html",
        "en/druzhba-exercise.html",
        "en/pakistan-cricket.html",
    }
    assert got["en/afghanistan-moscow-format.html"]["published_at"] == "2018-11-09T13:00:00+00:00"
    assert got["en/pakistan-cricket.html"]["discovered_via"] == "listing"
    assert result.poll("front")["entries"] == 4


def test_listing_css_selector(result):
    assert set(by_source(result, "most-read")) == {"en/patrushev-janjua-talks.html", "en/russia-ukraine-drones.html"}


# ---- conditional GET, known URLs, politeness -------------------------------------------------

def test_second_poll_sends_validators_and_gets_304(result, server):
    rss2, pl, ru = result.poll("rss2"), result.poll("pl"), result.poll("ru")
    validators = {
        "rss2": (rss2["etag"], rss2["last_modified"]),
        "pl": (pl["etag"], None),                 # If-None-Match alone
        "ru": (None, ru["last_modified"]),        # If-Modified-Since alone
    }
    server.clear_log()
    again = crawl([source("rss2", "feed", server.url("/feeds/rss2.xml")),
                   source("pl", "feed", server.url("/feeds/pl-latin2.xml")),
                   source("ru", "feed", server.url("/feeds/ru-cp1251.xml"))], validators=validators)
    for name in ("rss2", "pl", "ru"):
        poll = again.poll(name)
        assert poll["status"] == "not-modified" and poll["http_status"] == 304 and poll["entries"] == 0
    assert again.poll("rss2")["etag"] == rss2["etag"]  # validators carried forward
    assert again.articles == []
    sent = server.requests("/feeds/rss2.xml")[0]["headers"]
    assert sent["if-none-match"] == rss2["etag"] and sent["if-modified-since"] == rss2["last_modified"]
    assert "if-modified-since" not in server.requests("/feeds/pl-latin2.xml")[0]["headers"]
    assert [r["path"] for r in server.requests() if r["path"].endswith(".html")] == []


def test_known_urls_are_not_fetched_again(server):
    known = {server.url("/en/karachi-lahore-pipeline.html"), server.url("/en/pakistan-cricket.html")}
    server.clear_log()
    got = crawl([source("atom", "feed", server.url("/feeds/atom.xml"))], known=known)
    poll = got.poll("atom")
    assert poll["status"] == "ok" and poll["extra"]["known"] == 2 and poll["extra"]["fetched"] == 1
    assert [a["url"] for a in got.articles] == [server.url("/en/russia-ukraine-drones.html")]
    assert server.count("/en/karachi-lahore-pipeline.html") == 0 and server.count("/en/pakistan-cricket.html") == 0


def test_max_articles_and_download_delay(server):
    server.clear_log()
    got = crawl([source("rss2", "feed", server.url("/feeds/rss2.xml"), max_articles=3)],
                download_delay=0.4, concurrent_requests_per_host=1)
    # the 3 newest entries of 5: druzhba (Oct 22), s400 (Oct 5), blocked (May 2)
    assert {a["url"].rsplit("/", 1)[1] for a in got.articles} == {
        "druzhba-exercise.html", "s400-india-deal.html", "blocked-analysis.html"}
    times = sorted(r["time"] for r in server.requests())
    assert len(times) == 5  # robots.txt, feed, 3 pages
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.4 * 0.5 - 0.02, gaps  # DOWNLOAD_DELAY_JITTER 0.5: 0.5x to 1.5x


def test_per_host_concurrency_holds_without_a_download_delay(tmp_path):
    # Scrapy 2.19 alone started every queued request of a host at once when the delay was 0
    # (crawler/downloader.py); at most 2 may be in flight here, each page takes 0.5 s to answer.
    from tests.generated_site import write_site

    write_site(tmp_path / "site", 8, slow=0.5)
    with MockServer(site_dir=tmp_path / "site") as srv:
        got = crawl([source("gen", "feed", srv.url("/feed.xml"))], download_delay=0.0, concurrent_requests_per_host=2)
        starts = sorted(r["time"] for r in srv.requests() if r["path"].startswith("/__slow/"))
    assert len(got.articles) == 8 and len(starts) == 8
    # any three requests span at least one full answer time: never three in flight at once
    assert min(c - a for a, c in zip(starts, starts[2:])) >= 0.45, starts


def test_decompression_bomb_is_cut_at_download_maxsize(tmp_path):
    import gzip

    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<html><body>" + b" " * 20_000_000 + b"</body></html>"))
    assert bomb.stat().st_size < 100_000  # small on the wire, 20 MB inflated
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>'
            '<item><title>bomb</title><link>/bomb.html</link><description>bomb summary</description></item>'
            '</channel></rss>')
    routes = {"/feed.xml": {"body": feed, "headers": {"Content-Type": "application/rss+xml"}},
              "/bomb.html": {"body_file": str(bomb), "headers": {"Content-Type": "text/html", "Content-Encoding": "gzip"}}}
    with MockServer(routes=routes) as srv:
        got = crawl([source("bomb", "feed", srv.url("/feed.xml"))], max_response_bytes=1_000_000)
    item = got.article("/bomb.html")
    assert item["html"] is None and item["feed_summary"] == "bomb summary"
    assert "DOWNLOAD_MAXSIZE" in item["fallback_reason"] and "decompress" in item["fallback_reason"]
