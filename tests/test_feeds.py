"""crawler.feeds.parse_feed on the fixture feeds, with the headers the mock server sends."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.feeds import parse_feed

FEEDS = Path(__file__).parent / "site" / "feeds"
BASE = "http://news.example:8080/feeds/"


def load(name: str, content_type: str) -> tuple[bytes, dict, str]:
    return (FEEDS / name).read_bytes(), {"Content-Type": content_type}, BASE + name


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_rss2_entries_links_dates_and_content():
    feed = parse_feed(*load("rss2.xml", "application/xml"))
    assert feed.is_feed and feed.error is None and feed.version == "rss20"
    assert feed.language == "en"
    by_link = {e.link: e for e in feed.entries}
    assert len(by_link) == 5
    druzhba = by_link["http://news.example:8080/en/druzhba-exercise.html"]  # host-relative link joined
    assert druzhba.entry_id == "wsr-2018-1022-druzhba"  # a GUID stays a GUID, not rewritten into a URL
    assert druzhba.published == utc(2018, 10, 22, 8, 0)
    assert "<b>Russia</b>" in druzhba.content and "Druzhba" in druzhba.summary
    mi35 = by_link["http://news.example:8080/en/mi35-helicopters.html"]
    assert mi35.published == utc(2017, 8, 14, 10, 30)  # +0200 converted to UTC
    assert mi35.published.tzinfo is not None
    assert mi35.content is None
    blocked = by_link["http://news.example:8080/en/blocked-analysis.html"]
    assert "share intelligence on militant groups" in blocked.summary  # escaped HTML decoded once


def test_rss1_rdf():
    feed = parse_feed(*load("rss1.rdf", "application/rdf+xml"))
    assert feed.is_feed and feed.version == "rss10"
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["patrushev-janjua-talks.html", "wheat-exports.html"]
    assert feed.entries[0].published == utc(2018, 4, 24, 15, 0)
    assert feed.entries[0].language == "en"


def test_atom_content_summary_and_updated_fallback():
    feed = parse_feed(*load("atom.xml", "application/atom+xml"))
    assert feed.is_feed and feed.version == "atom10"
    pipeline, drones, cricket = feed.entries
    assert pipeline.entry_id == "tag:wsr.example,2021:pipeline"
    assert pipeline.published == utc(2021, 5, 28, 11, 0)
    assert "<em>Pakistan Stream</em>" in pipeline.content
    assert pipeline.summary.startswith("Russia and Pakistan signed a revised")
    assert drones.content is None and drones.summary
    assert cricket.published == utc(2019, 12, 11, 6, 0)  # only <updated>
    assert cricket.link == "http://news.example:8080/en/pakistan-cricket.html"


def test_iso_8859_2_feed_served_as_text_xml_without_charset():
    # RFC 3023 would make this us-ascii; the XML declaration (ISO-8859-2) must decide.
    feed = parse_feed(*load("pl-latin2.xml", "text/xml"))
    assert feed.is_feed and feed.language == "pl"
    titles = [e.title for e in feed.entries]
    assert titles == [
        "Rosja zacieśnia współpracę z Pakistanem",
        "Siły specjalne Rosji i Pakistanu znów ćwiczą razem",
        "Susza podnosi ceny zbóż w Wielkopolsce",
    ]
    assert "Żołnierze sił specjalnych" in feed.entries[1].summary
    assert feed.entries[0].published == utc(2018, 4, 27, 7, 30)


def test_windows_1251_feed_with_wrong_default_http_charset():
    # The server says ISO-8859-1 (an Apache default); taken literally it would be mojibake.
    feed = parse_feed(*load("ru-cp1251.xml", "text/xml; charset=ISO-8859-1"))
    assert feed.is_feed and feed.language == "ru"
    assert feed.entries[0].title == "Россия и Пакистан провели совместные учения «Дружба»"
    assert "Военнослужащие" in feed.entries[0].summary


def test_windows_1251_feed_with_correct_http_charset():
    feed = parse_feed(*load("ru-cp1251.xml", "application/rss+xml; charset=windows-1251"))
    assert feed.entries[1].title == "Россия и Индия согласовали график поставок С-400"


def test_specific_http_charset_still_wins_when_it_decodes():
    # HTTP says UTF-8 and the bytes are UTF-8; a stale declaration must not override it.
    body = '<?xml version="1.0" encoding="iso-8859-2"?><rss version="2.0"><channel><item>' \
           '<title>Zażółć gęślą jaźń</title><link>/a</link></item></channel></rss>'.encode("utf-8")
    feed = parse_feed(body, {"Content-Type": "application/rss+xml; charset=utf-8"}, BASE)
    assert feed.entries[0].title == "Zażółć gęślą jaźń"


def test_html_page_at_feed_url_is_not_a_feed():
    feed = parse_feed(*load("news.rss", "text/html; charset=utf-8"))
    assert feed.is_feed is False
    assert feed.entries == []
    assert "not an RSS/Atom feed" in feed.error and "text/html" in feed.error


def test_truncated_feed_keeps_complete_entries_and_reports_error():
    feed = parse_feed(*load("truncated.xml", "application/rss+xml"))
    assert feed.is_feed
    assert feed.error and "SAXParseException" in feed.error
    assert [e.title for e in feed.entries] == [
        "Russian and Pakistani special forces open Druzhba joint exercise",
        "Lahore hosts first Test match in a decade",
    ]


@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe garbage", b"<rss", b"{\"json\": true}"])
def test_garbage_never_raises(body):
    feed = parse_feed(body, {}, BASE)
    assert feed.is_feed is False and feed.entries == [] and feed.error


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            '<rss version="2.0"><channel><item><title>a&xxe;b</title><link>/x</link></item></channel></rss>').encode()
    feed = parse_feed(body, {"Content-Type": "application/rss+xml"}, BASE)
    assert all("TOP-SECRET" not in (e.title or "") for e in feed.entries)


def test_entity_expansion_bomb_is_bounded():
    levels = ['<!ENTITY l0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 9)
    ]
    body = (f'<?xml version="1.0"?><!DOCTYPE r [{"".join(levels)}]>'
            '<rss version="2.0"><channel><item><title>&l8;</title><link>/x</link></item></channel></rss>').encode()
    feed = parse_feed(body, {"Content-Type": "application/rss+xml"}, BASE)
    assert all(len(e.title or "") < 10_000 for e in feed.entries)  # 3 * 10**9 chars if expanded


def test_non_http_links_are_dropped():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel>' \
           b'<item><title>local</title><link>file:///etc/passwd</link></item>' \
           b'<item><title>js</title><link>javascript:alert(1)</link></item></channel></rss>'
    feed = parse_feed(body, {"Content-Type": "application/rss+xml"}, BASE)
    assert [e.link for e in feed.entries] == [None, None]


def test_malformed_links_are_dropped_not_raised():
    """Found by fuzzing: a bad IPv6 host made urlsplit raise out of parse_feed (and the spider)."""
    items = [
        "<link>http://[::1</link>",                       # urlsplit: Invalid IPv6 URL
        "<guid>http://[fe80::1/a</guid>",                 # the guid stands in for a missing link
        "<link>http://news.example:99999/a</link>",       # port out of range
        "<link>http://:80/a</link>",                      # no host
        "<link>http://news.example:0/a</link>",           # port 0
        "<link>https://news.example/ok</link>",
    ]
    body = ('<?xml version="1.0"?><rss version="2.0"><channel>'
            + "".join(f"<item><title>{i}</title>{item}</item>" for i, item in enumerate(items))
            + "</channel></rss>").encode()
    feed = parse_feed(body, {"Content-Type": "application/rss+xml"}, BASE)
    assert [e.link for e in feed.entries] == [None] * 5 + ["https://news.example/ok"]
