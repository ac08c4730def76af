"""Feeds that attack or confuse the parser, served by tests/hostile_server.py to a real crawl.

One crawl, one source per hostile feed. Each entry links to ``/p/<source>`` (a 404: the item
still carries the feed's title, which is what these tests read).
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawler.config import SourceConfig
from tests.crawl_once import crawl
from tests.hostile_server import HostileServer, rss

pytestmark = pytest.mark.slow  # real Scrapy crawls against misbehaving servers

TEXT = "Россия и Пакистан – żółć"  # Cyrillic, Polish and a dash: mojibake shows in each
RSS = {"Content-Type": "application/rss+xml"}
SECRET_FILE = "/etc/hostname" if Path("/etc/hostname").is_file() and Path("/etc/hostname").read_text().strip() \
    else "/etc/passwd"


def feed_with_doctype(doctype: str, title: str, description: str = "d", second: bool = True, sep: str = "") -> str:
    """feedparser rewrites the DOCTYPE, and then parses strictly (expat) or, when the result is
    not well-formed (e.g. with a newline after the XML declaration: ``sep="\\n"``), loosely."""
    items = f"<item><title>{title}</title><link>/p/1</link><description>{description}</description></item>"
    if second:
        items += "<item><title>second entry</title><link>/p/2</link></item>"
    return f'<?xml version="1.0"?>{sep}{doctype}<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'


LAUGHS = "<!DOCTYPE rss [" + '<!ENTITY l0 "lollollollollollollollollollol">' + "".join(
    f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10)) + "]>"  # 3·10^10 chars
QUADRATIC = '<!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>'  # 50 kB × 20,000 references = 1 GB

U8 = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>' \
     f'<item><title>{TEXT}</title><link>/p/1</link></item></channel></rss>'
CUT = rss([{"title": f"cut {i}", "link": f"/p/c{i}"} for i in range(3)])
NODECL = U8.replace(' encoding="utf-8"', "")
CP1251 = U8.replace("utf-8", "windows-1251").replace(" żółć", "")  # Polish letters are not in 1251


def feeds() -> dict[str, tuple[str | bytes, str | None, dict]]:
    """source name → (document, the encoding it is served in, headers)."""
    xxe_http = ('<!DOCTYPE rss SYSTEM "http://127.0.0.1:{port}/xxe/rss.dtd" ['
                '<!ENTITY ext SYSTEM "http://127.0.0.1:{port}/xxe/entity">'
                '<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/xxe/param.dtd"> %remote;]>')
    u16 = U8.replace("utf-8", "utf-16")
    return {
        "laughs": (feed_with_doctype(LAUGHS, "laughs &l9;", "more &l9;"), "utf-8", RSS),
        "quadratic": (feed_with_doctype(QUADRATIC, "q" + "&a;" * 20_000), "utf-8", RSS),
        "xxe-file": (feed_with_doctype(f'<!DOCTYPE rss [<!ENTITY f SYSTEM "file://{SECRET_FILE}">]>', "a&f;b", "c&f;d"),
                     "utf-8", RSS),
        "xxe-file-loose": (feed_with_doctype(f'<!DOCTYPE rss [<!ENTITY f SYSTEM "file://{SECRET_FILE}">]>', "a&f;b",
                                             "c&f;d", sep="\n"), "utf-8", RSS),
        "laughs-loose": (feed_with_doctype(LAUGHS, "laughs &l9;", "more &l9;", sep="\n"), "utf-8", RSS),
        "xxe-http": (feed_with_doctype(xxe_http, "a&ext;b", "c&ext;d"), "utf-8", RSS),
        "malformed": (rss([{"title": "one", "link": "/p/m1"}, {"title": "two & <b>unclosed", "link": "/p/m2"},
                           {"title": "three", "link": "/p/m3"}]), "utf-8", RSS),
        "cut-xml": (CUT[:CUT.index("<title>cut 2") + 10], "utf-8", RSS),  # ends inside the 3rd title
        # not well-formed, so feedparser's loose parser reads it and passes the controls through
        "controls": (rss([{"title": "Rus\x00sia\x01 and Pakistan", "guid": "id\x00-1", "link": "/p/1",
                           "description": "sum\x00mary of the story"}]), "utf-8", RSS),
        "html-as-feed": ("<!DOCTYPE html><html><head><title>Home</title></head>"
                         "<body><a href='/p/a'>news</a></body></html>", "utf-8", RSS),
        "json": ('{"items": [{"title": "x", "url": "/p/j"}]}', "utf-8", RSS),
        "binary": (bytes(range(256)) * 40, None, RSS),
        "empty": ("", "utf-8", RSS),
        "utf16le-bom": (u16, "utf-16", RSS),  # Python writes the BOM, little-endian here
        "utf16be-bom-said-utf8": ("\ufeff" + u16, "utf-16-be", {"Content-Type": "application/rss+xml; charset=utf-8"}),
        "utf8-said-1251": (U8, "utf-8", {"Content-Type": "application/rss+xml; charset=windows-1251"}),
        "utf8-undeclared-said-koi8": (NODECL, "utf-8", {"Content-Type": "text/xml; charset=koi8-r"}),
        "1251-said-utf8": (CP1251, "cp1251", {"Content-Type": "application/rss+xml; charset=utf-8"}),
        "utf8-bom-said-latin1": ("\ufeff" + NODECL, "utf-8", {"Content-Type": "application/rss+xml; charset=iso-8859-1"}),
    }


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feeds")
    routes = {}
    for name, (document, encoding, headers) in feeds().items():
        if encoding:  # entry links unique per source: the spider fetches a URL once per crawl
            document = document.replace("/p/", f"/p/{name}/")
        if encoding == "utf-8":  # served from a string, with {port} filled in
            routes[f"/feeds/{name}"] = {"body": document, "headers": headers}
            continue
        (tmp / name).write_bytes(document.encode(encoding) if encoding else document)
        routes[f"/feeds/{name}"] = {"body_file": str(tmp / name), "headers": headers}
    with HostileServer(routes=routes) as srv:
        started = time.monotonic()
        got = crawl([SourceConfig(name=path.rsplit("/", 1)[1], kind="feed", url=srv.url(path), interval=60)
                     for path in routes], download_timeout=2)
        got.elapsed = time.monotonic() - started
        yield got, srv


def titles(got, name: str) -> list[str]:
    return [a["title"] for a in got.articles if a["source"] == name]


@pytest.mark.parametrize("name", ["laughs", "laughs-loose", "quadratic"])
def test_entity_expansion_bombs_do_nothing(result, name):
    got, _ = result
    poll = got.poll(name)
    assert poll["status"] == "ok" and poll["entries"] == 2  # the feed still reads
    assert poll["extra"]["warning"].startswith("SAXParseException")  # expat refused it; the loose parser read it
    assert len(titles(got, name)) == 2
    assert all(len(a["title"] or "") + len(a["feed_summary"] or "") < 100_000
               for a in got.articles if a["source"] == name)
    assert got.elapsed < 30


@pytest.mark.parametrize("name", ["xxe-file", "xxe-file-loose"])
def test_external_entity_to_a_local_file_is_not_read(result, name):
    got, _ = result
    secret = Path(SECRET_FILE).read_text().strip().splitlines()[0]
    assert got.poll(name)["status"] == "ok"
    (item,) = [a for a in got.articles if a["source"] == name and a["url"].endswith("/1")]
    # the reference is dropped (strict parser) or left as text (loose parser), never expanded
    assert item["title"] in ("ab", "a&f;b"), item
    assert item["feed_summary"] in ("cd", "c&amp;fd"), item  # the loose parser mangles the bare reference
    assert all(secret not in str(value) for a in got.articles for value in a.values())


def test_external_entities_and_dtds_over_http_are_never_fetched(result):
    got, srv = result
    assert got.poll("xxe-http")["status"] == "ok"
    assert sorted(titles(got, "xxe-http")) in (["ab", "second entry"], ["a&ext;b", "second entry"])
    assert [r["path"] for r in srv.requests() if r["path"].startswith("/xxe/")] == []


def test_malformed_and_truncated_xml_keep_the_entries_that_parse(result):
    got, _ = result
    poll = got.poll("malformed")
    assert poll["status"] == "ok" and "not well-formed" in poll["extra"]["warning"]
    assert sorted(titles(got, "malformed")) == ["one", "three", "two & <b>unclosed"]
    poll = got.poll("cut-xml")
    assert poll["status"] == "ok" and poll["extra"]["warning"]
    assert sorted(titles(got, "cut-xml")) == ["cut 0", "cut 1"]


@pytest.mark.parametrize("name", ["html-as-feed", "json", "binary", "empty"])
def test_non_feeds_are_source_errors_not_crashes(result, name):
    got, _ = result
    poll = got.poll(name)
    assert poll["status"] == "error" and "not an RSS/Atom feed (Content-Type: application/rss+xml)" in poll["error"]
    assert titles(got, name) == []


@pytest.mark.parametrize("name, expected", [
    ("utf16le-bom", TEXT),
    ("utf16be-bom-said-utf8", TEXT),          # the BOM beats a wrong header
    ("utf8-said-1251", TEXT),                 # valid UTF-8 beats a legacy single-byte header
    ("utf8-undeclared-said-koi8", TEXT),
    ("1251-said-utf8", TEXT.replace(" żółć", "")),  # the declaration beats a header that cannot decode
    ("utf8-bom-said-latin1", TEXT),
])
def test_charset_mismatches_and_utf16_decode(result, name, expected):
    got, _ = result
    assert got.poll(name)["status"] == "ok"
    assert titles(got, name) == [expected]


def test_control_characters_in_feed_fields_are_dropped(result):
    # PostgreSQL refuses any text with a NUL: one such title would lose the whole article row.
    from pipelines.ingest import build_article
    from pipelines.items import ArticleItem

    got, _ = result
    (item,) = [a for a in got.articles if a["source"] == "controls"]
    assert item["title"] == "Russia and Pakistan" and item["entry_id"] == "id-1"
    record = build_article(ArticleItem(**item))
    assert record.title == "Russia and Pakistan" and record.text == "summary of the story"
