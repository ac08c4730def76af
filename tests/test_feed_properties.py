"""Property-based fuzzing of feed parsing (Hypothesis).

``parse_feed`` never raises, whatever the bytes and headers, and every entry link it keeps is an
absolute http(s) URL with a host (anything else is dropped: the spider would fetch it).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from crawler.feeds import parse_feed
from tests.fuzz import fuzz

FEEDS = Path(__file__).parent / "site" / "feeds"
FIXTURES = {path.name: path.read_bytes() for path in sorted(FEEDS.glob("*.xml")) + sorted(FEEDS.glob("*.rdf"))}
CHARSETS = ["utf-8", "UTF-16", "utf-32", "iso-8859-2", "windows-1251", "koi8-r", "us-ascii", "iso-8859-1", "idna",
            "punycode", "utf-7", "rot13", "base64", "zlib", "x-nonsense", "", "utf_8_sig", "cp037", "uu", "hex"]
content_type = st.builds(
    lambda media, charset: media + (f"; charset={charset}" if charset is not None else ""),
    st.sampled_from(["application/rss+xml", "application/atom+xml", "text/xml", "application/xml", "text/html",
                     "application/octet-stream", ""]),
    st.none() | st.sampled_from(CHARSETS) | st.text(max_size=10),
)
headers = st.fixed_dictionaries({}, optional={
    "Content-Type": content_type | st.text(max_size=30),
    "Content-Language": st.sampled_from(["pl", "ru-RU", "", "_", "-"]) | st.text(max_size=5),
    "Content-Location": st.sampled_from(["http://other.example/", "javascript:x", "http://[::1"]),
})
feed_url = st.sampled_from(["http://news.example:8080/feeds/x.xml", "https://a.example/", "http://b.example/f?q=1"])

# Pieces a hostile or broken feed might hold, spliced into real fixtures at random places
SPLICES = [
    b"<link>http://[::1</link>", b"<link>http://[v1.x]/</link>", b"<guid>http://[::1]x</guid>", b"<link>//[::1/</link>",
    b'<link href="http://[" rel="alternate"/>', b"<link>http://x:99999/</link>", b"<link>http://:80/</link>",
    b"<link>javascript:alert(1)</link>", b"<link>file:///etc/passwd</link>", b"<link>http:///nohost</link>",
    b"<link> https://ok.example/a </link>", b"<link>\x00http://x.example/</link>", b"<link>http://a@b@c/</link>",
    b"<item>", b"</item>", b"<entry>", b"</entry>", b"<![CDATA[", b"]]>", b"&amp;", b"&#0;", b"&#x110000;",
    b"&nosuch;", b"<title>\x00\x1b</title>", b"<pubDate>Mon, 31 Dec 99999 23:59:59 GMT</pubDate>",
    b"<updated>0000-00-00T00:00:00Z</updated>", b"<pubDate>Tue, 19 Jan 2038 03:14:08 +9999</pubDate>",
    b'<?xml version="1.0" encoding="idna"?>', b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="x-nonsense"?>', b'<!DOCTYPE r [<!ENTITY e "&e;">]>', b"&e;",
    b'<content type="html">&lt;script&gt;</content>', b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\x80\x81",
    b'<dc:language>ru-RU</dc:language>', b'xml:lang="_"', b"<language>\x00</language>",
]


@st.composite
def mutated_fixture(draw) -> bytes:
    body = bytearray(FIXTURES[draw(st.sampled_from(sorted(FIXTURES)))])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.integers(0, 3))
        if action == 0:
            body[at:at] = draw(st.sampled_from(SPLICES) | st.binary(max_size=8))
        elif action == 1:
            body[at:at + draw(st.integers(1, 200))] = b""
        elif action == 2 and at < len(body):
            body[at] = draw(st.integers(0, 255))
        else:
            body = body[:at]
    return bytes(body)


def check(body: bytes, hdrs: dict, url: str) -> None:
    feed = parse_feed(body, hdrs, url)
    assert feed.is_feed or feed.error
    for entry in feed.entries:
        if entry.link is not None:
            parts = urlsplit(entry.link)
            assert parts.scheme in ("http", "https") and parts.hostname, entry.link
            assert parts.port is None or 0 < parts.port < 65536, entry.link
        assert entry.published is None or entry.published.tzinfo is not None


@fuzz(300)
@given(st.binary(max_size=2000), headers, feed_url)
def test_any_bytes_never_raise(body, hdrs, url):
    check(body, hdrs, url)


@fuzz(300)
@given(mutated_fixture(), headers, feed_url)
def test_mutated_real_feeds_never_raise_and_keep_only_http_links(body, hdrs, url):
    check(body, hdrs, url)


@fuzz(200)
@given(st.lists(st.sampled_from(SPLICES), min_size=1, max_size=8), st.sampled_from(["rss", "atom"]), headers)
def test_hostile_entries_never_raise(pieces, kind, hdrs):
    inner = b"".join(pieces)
    if kind == "rss":
        body = (b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>t</title>' + inner
                + b"</item></channel></rss>")
    else:
        body = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title>' + inner
                + b"</entry></feed>")
    check(body, hdrs, "http://news.example/feed")
