"""Fetching from servers that misbehave on purpose (issue 4, "Survive the open web").

Real crawls (tests/crawl_once.py, one subprocess each) against tests/hostile_server.py: no
mocks of Scrapy's networking. Three crawls: the limits (size, time, redirects, truncation, TLS),
the network guard (private destinations in every spelling, on every hop), and Retry-After.
Small limits keep it fast: DOWNLOAD_TIMEOUT 2 s, DOWNLOAD_MAXSIZE 1 MB, Retry-After cap 3 s.
"""
from __future__ import annotations

import gzip
import socket
import time
import zlib

import pytest

from crawler.config import SourceConfig
from crawler.retry_after import retry_after_seconds
from tests.crawl_once import crawl
from tests.hostile_server import HostileServer, rss
from tests.waiting import wait_for, wait_for_text

pytestmark = pytest.mark.slow  # real Scrapy crawls against misbehaving servers

TIMEOUT = 2            # download_timeout for these crawls, seconds
MAX_BYTES = 1_000_000  # max_response_bytes for these crawls
PAGE = ("<!DOCTYPE html><html lang='en'><head><title>Fine page</title></head><body><article><h1>Fine page</h1>"
        + "<p>Russian and Pakistani officers met in Rawalpindi to discuss counter-terrorism drills. </p>" * 5
        + "</article></body></html>")


def source(name: str, url: str, kind: str = "feed") -> SourceConfig:
    return SourceConfig(name=name, kind=kind, url=url, interval=60)


def entry(name: str, link: str | None = None) -> dict:
    return {"title": name, "link": link or f"/{name}", "description": f"{name} summary"}


# ---- limits: size, time, redirects, truncation, TLS -------------------------------------------

BOMB_PAGES = ["bomb-gzip", "bomb-deflate", "bomb-br", "huge-declared", "huge-undeclared"]
SLOW_PAGES = ["trickle-body", "trickle-headers"]
REDIRECT_PAGES = ["loop", "chain-5", "chain-6"]
TRUNCATED_PAGES = ["truncated-length", "truncated-chunked"]
ENCODED_PAGES = ["lzw-compressed", "charset-as-encoding"]


def chain(name: str, hops: int) -> dict:
    """/name → /name-1 → … → /name-<hops> (the page): ``hops`` redirects."""
    routes = {f"/{name}": {"redirect": f"/{name}-1"}}
    routes.update({f"/{name}-{i}": {"redirect": f"/{name}-{i + 1}"} for i in range(1, hops)})
    routes[f"/{name}-{hops}"] = {"body": PAGE}
    return routes


@pytest.fixture(scope="module")
def limits(tmp_path_factory):
    import brotli

    tmp = tmp_path_factory.mktemp("bombs")
    inflated = b"<html><body>" + b" " * 20_000_000 + b"</body></html>"  # 20 MB inflated
    bombs = {"gzip": gzip.compress(inflated), "deflate": zlib.compress(inflated, 9),
             "br": brotli.compress(inflated, quality=5)}
    for name, data in bombs.items():
        (tmp / name).write_bytes(data)
    (tmp / "huge").write_bytes(b"<html><body>" + b"x" * 3_000_000 + b"</body></html>")
    half = PAGE[: len(PAGE) // 2]
    truncated_feed = rss([entry(f"t{i}", f"/never-{i}") for i in range(3)])
    with HostileServer(routes={"/feed.xml": {"body": rss([entry("tls page")]),
                                             "headers": {"Content-Type": "application/rss+xml"}},
                               "/tls-page": {"body": PAGE}}, tls=True) as tls:
        routes = {
            "/feed.xml": {"headers": {"Content-Type": "application/rss+xml"}, "body": rss(
                [entry(n) for n in BOMB_PAGES + SLOW_PAGES + REDIRECT_PAGES + TRUNCATED_PAGES + ENCODED_PAGES]
                + [entry("tls-page", tls.url("/tls-page"))])},
            **{f"/bomb-{n}": {"body_file": str(tmp / n), "headers": {"Content-Encoding": n}} for n in bombs},
            "/huge-declared": {"body_file": str(tmp / "huge")},
            "/huge-undeclared": {"body_file": str(tmp / "huge"), "no_content_length": True},
            "/trickle-body": {"body": PAGE, "trickle": 1.0, "forever": True},
            "/trickle-headers": {"body": PAGE, "trickle_headers": 0.5},
            "/loop": {"redirect": "/loop-2"}, "/loop-2": {"redirect": "/loop"},
            **chain("chain-5", 5), **chain("chain-6", 6),
            "/truncated-length": {"body": half, "content_length": len(PAGE)},
            "/truncated-chunked": {"raw": "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
                                          f"\r\n{len(half):x}\r\n{half}\r\n"},  # no terminating 0-chunk
            # "compress" (LZW): no HTTP client decodes it any more, Scrapy neither (nor zstd
            # without the zstandard package); the bytes below are not even valid LZW
            "/lzw-compressed": {"body_file": str(tmp / "gzip"), "headers": {"Content-Encoding": "compress"}},
            "/charset-as-encoding": {"body": PAGE, "headers": {"Content-Encoding": "utf-8"}},  # seen in the wild
            "/feeds/lzw.xml": {"body_file": str(tmp / "gzip"),
                               "headers": {"Content-Type": "application/rss+xml", "Content-Encoding": "compress"}},
            "/feeds/bomb.xml": {"body_file": str(tmp / "gzip"),
                                "headers": {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}},
            "/feeds/truncated.xml": {"body": truncated_feed[:-40], "content_length": len(truncated_feed),
                                     "headers": {"Content-Type": "application/rss+xml"}},
            "/feeds/slow.xml": {"body": truncated_feed, "trickle": 0.5, "forever": True,
                                "headers": {"Content-Type": "application/rss+xml"}},
        }
        with HostileServer(routes=routes) as srv:
            started = time.monotonic()
            got = crawl([source("hostile", srv.url("/feed.xml")),
                         source("bomb-feed", srv.url("/feeds/bomb.xml")),
                         source("lzw-feed", srv.url("/feeds/lzw.xml")),
                         source("truncated-feed", srv.url("/feeds/truncated.xml")),
                         source("slow-feed", srv.url("/feeds/slow.xml")),
                         source("tls-feed", tls.url("/feed.xml"))],
                        download_timeout=TIMEOUT, max_response_bytes=MAX_BYTES)
            got.elapsed = time.monotonic() - started
            yield got, srv, tls, bombs


def items(got) -> dict:
    return {a["title"]: a for a in got.articles if a["source"] == "hostile"}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decompression_bombs_are_cut_at_the_size_cap(limits, encoding):
    got, srv, _, bombs = limits
    assert len(bombs[encoding]) < MAX_BYTES // 10  # small on the wire: only decompression is big
    item = items(got)[f"bomb-{encoding}"]
    assert item["html"] is None and item["feed_summary"] == f"bomb-{encoding} summary"
    assert "exceeded DOWNLOAD_MAXSIZE (1000000 B) during decompression" in item["fallback_reason"]


def test_oversized_bodies_are_cancelled_with_or_without_content_length(limits):
    got, srv, _, _ = limits
    for name in ("huge-declared", "huge-undeclared"):
        item = items(got)[name]
        assert item["html"] is None and item["fallback_reason"].startswith("download cancelled"), item
    assert srv.count("/huge-declared") == 1 and srv.count("/huge-undeclared") == 1


def test_compressed_feed_bomb_is_a_source_error(limits):
    got = limits[0]
    poll = got.poll("bomb-feed")
    assert poll["status"] == "error" and "DOWNLOAD_MAXSIZE" in poll["error"]


def test_undecodable_content_encoding_is_not_parsed_as_the_document(limits):
    got, _, _, _ = limits
    item = items(got)["lzw-compressed"]
    assert item["html"] is None and item["fallback_reason"] == "unsupported Content-Encoding 'compress'"
    poll = got.poll("lzw-feed")
    assert poll["status"] == "error" and poll["error"].endswith(": unsupported Content-Encoding 'compress'")
    # a charset in Content-Encoding is a server's typo on a plain body: the page is used
    assert "Fine page" in items(got)["charset-as-encoding"]["html"]


def test_byte_a_second_server_is_cut_off_within_the_download_timeout(limits):
    got, srv, _, _ = limits
    for name in SLOW_PAGES:
        item = items(got)[name]
        assert item["fallback_reason"] == "timeout" and item["html"] is None
        # the server notices the client's close at its next byte: wait for it to log that
        wait_for(lambda: any(e["event"] == "hangup" for e in srv.events(f"/{name}")), timeout=10)
        hangups = [e for e in srv.events(f"/{name}") if e["event"] == "hangup"]
        assert len(hangups) == 1, srv.events(f"/{name}")
        # measured by the server, from the request's arrival to the client closing the socket;
        # +1 s: the server notices the close at its next byte (one a second)
        assert hangups[0]["after"] < TIMEOUT + 1.5, hangups
    poll = got.poll("slow-feed")
    assert poll["status"] == "error" and poll["error"].endswith(": timeout")
    assert got.elapsed < 30  # nothing waited for the servers' own pace


def test_redirect_loops_and_long_chains_stop_after_five_hops(limits):
    got, srv, _, _ = limits
    it = items(got)
    assert it["chain-5"]["html"] and it["chain-5"]["url"].endswith("/chain-5-5")  # 5 redirects: fine
    assert it["chain-6"]["html"] is None and it["chain-6"]["fallback_reason"] == "max redirections reached"
    assert srv.count("/chain-6-6") == 0 and srv.count("/chain-6-5") == 1
    assert it["loop"]["fallback_reason"] == "max redirections reached"
    assert srv.count("/loop") + srv.count("/loop-2") == 6  # the request and 5 redirects, then stop


def test_truncated_bodies_are_not_taken_as_complete(limits):
    got, srv, _, _ = limits
    for name in TRUNCATED_PAGES:
        item = items(got)[name]
        assert item["html"] is None, name
        assert item["fallback_reason"].startswith("connection lost mid-response"), item["fallback_reason"]
    poll = got.poll("truncated-feed")
    assert poll["status"] == "error" and "connection lost mid-response" in poll["error"]
    # the complete <item>s before the cut were not used either
    assert [a for a in got.articles if a["source"] == "truncated-feed"] == []
    assert not [r for r in srv.requests() if r["path"].startswith("/never-")]


def test_self_signed_certificate_is_refused_with_a_clear_reason(limits):
    got, _, tls, _ = limits
    poll = got.poll("tls-feed")
    assert poll["status"] == "error"
    assert poll["error"] == f"{tls.url('/feed.xml')}: TLS certificate not trusted (certificate verify failed)"
    item = items(got)["tls-page"]
    assert item["html"] is None and item["fallback_reason"] == "TLS certificate not trusted (certificate verify failed)"
    assert tls.requests() == []  # no HTTP request was ever sent over the untrusted connection


# ---- the network guard: private destinations in every spelling, on every hop -----------------

SPELLINGS = {  # name → (URL, expected end of the refusal)
    "decimal": ("http://2130706433:{port}/secret", "2130706433 (127.0.0.1) is a loopback address"),
    "hex": ("http://0x7f000001:{port}/secret", "0x7f000001 (127.0.0.1) is a loopback address"),
    "octal": ("http://0177.0.0.1:{port}/secret", "0177.0.0.1 (127.0.0.1) is a loopback address"),
    "short": ("http://127.1:{port}/secret", "127.1 (127.0.0.1) is a loopback address"),
    "mapped-hex": ("http://[::ffff:7f00:1]:{port}/secret", "::ffff:7f00:1 is a loopback address"),
    "ipv6-loopback": ("http://[::1]:{port}/secret", "::1 is a loopback address"),
    "cgnat": ("http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT address"),
    "unique-local": ("http://[fd12:3456:789a::1]/", "fd12:3456:789a::1 is a private address"),
    "fc00": ("http://[fc00::1]/", "fc00::1 is a private address"),
    "private-172": ("http://172.31.255.1/", "172.31.255.1 is a private address"),
    "private-192": ("http://192.168.0.1/", "192.168.0.1 is a private address"),
    "link-local": ("http://169.254.1.1/", "169.254.1.1 is a link-local address"),
    # special-purpose blocks that Python 3.11's ipaddress calls global (issue 8)
    "oracle-metadata": ("http://192.0.0.192/latest/meta-data/", "192.0.0.192 is a cloud metadata address"),
    "pcp-anycast": ("http://192.0.0.9/", "192.0.0.9 is a special-purpose (IETF protocol assignments) address"),
    "as112": ("http://192.175.48.1/", "192.175.48.1 is a special-purpose (AS112) address"),
    "benchmarking": ("http://198.18.0.1/", "198.18.0.1 is a benchmarking address"),
    "class-e": ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
    "documentation-v6": ("http://[3fff::1]/", "3fff::1 is a documentation address"),
    "orchid-v2": ("http://[2001:20::1]/", "2001:20::1 is a special-purpose (IETF protocol assignments) address"),
    "nat64-local": ("http://[64:ff9b:1::c000:c0]/", "64:ff9b:1::c000:c0 is a special-purpose (local-use NAT64) address"),
    "mapped-oracle": ("http://[::ffff:192.0.0.192]/", "::ffff:192.0.0.192 is a cloud metadata address"),
}


@pytest.fixture(scope="module")
def guarded():
    entries = [entry(name, url) for name, (url, _) in SPELLINGS.items()]
    entries += [entry("third-hop", "/hop-1"), entry("third-hop-decimal", "/dhop-1"), entry("direct", "/page"),
                entry("oracle-hop", "/ohop-1")]
    routes = {
        "/feed.xml": {"body": rss(entries), "headers": {"Content-Type": "application/rss+xml"}},
        "/page": {"body": PAGE},
        "/secret": {"body": PAGE},
        # two redirects through the exempt address, then a private one
        "/hop-1": {"redirect": "/hop-2"}, "/hop-2": {"redirect": "/hop-3"},
        "/hop-3": {"redirect": "http://localhost:{port}/secret"},
        "/dhop-1": {"redirect": "/dhop-2"}, "/dhop-2": {"redirect": "/dhop-3"},
        "/dhop-3": {"redirect": "http://2130706433:{port}/secret"},
        "/ohop-1": {"redirect": "http://192.0.0.192/latest/meta-data/"},
    }
    with HostileServer(routes=routes) as srv:
        # exempt exactly this server as 127.0.0.1:PORT, so every other spelling is judged
        got = crawl([source("guarded", srv.url("/feed.xml")),
                     source("decimal-feed", srv.url("/feed.xml", host="2130706433")),
                     source("hex-feed", srv.url("/feed.xml", host="0x7f000001")),
                     source("file-feed", "file:///etc/passwd"), source("ftp-feed", "ftp://93.184.216.34/feed.xml"),
                     source("oracle-feed", "http://192.0.0.192/opc/v1/instance/")],
                    allow_private=False, download_timeout=TIMEOUT,
                    settings={"NEWSWATCH_NETGUARD_ALLOW": [f"127.0.0.1:{srv.port}"]})
        yield got, srv


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_private_destinations_in_any_spelling_are_refused(guarded, name):
    got, srv = guarded
    item = {a["title"]: a for a in got.articles}[name]
    assert item["html"] is None and item["feed_summary"] == f"{name} summary"
    assert item["fallback_reason"].startswith("refused by netguard: ")
    assert item["fallback_reason"].endswith(SPELLINGS[name][1]), item["fallback_reason"]


def test_third_redirect_hop_to_a_private_address_is_refused(guarded):
    got, srv = guarded
    it = {a["title"]: a for a in got.articles}
    assert it["direct"]["html"] and it["direct"]["fallback_reason"] is None  # the exemption works
    assert srv.count("/hop-3") == 1 and srv.count("/dhop-3") == 1  # both chains got that far
    assert it["third-hop"]["fallback_reason"].startswith("refused by netguard: localhost (")
    assert it["third-hop-decimal"]["fallback_reason"] == \
        "refused by netguard: 2130706433 (127.0.0.1) is a loopback address"
    assert srv.count("/secret") == 0  # no spelling, no hop reached it
    assert srv.count("/ohop-1") == 1
    assert it["oracle-hop"]["fallback_reason"] == "refused by netguard: 192.0.0.192 is a cloud metadata address"


def test_private_and_non_http_source_urls_are_source_errors(guarded):
    got, srv = guarded
    for name, host in (("decimal-feed", "2130706433"), ("hex-feed", "0x7f000001")):
        poll = got.poll(name)
        assert poll["status"] == "error"
        assert f"refused by netguard: {host} (127.0.0.1) is a loopback address" in poll["error"]
    assert srv.count("/feed.xml") == 1  # only the exempt spelling was fetched
    poll = got.poll("oracle-feed")
    assert poll["status"] == "error"
    assert poll["error"] == "http://192.0.0.192/opc/v1/instance/: refused by netguard: 192.0.0.192 is a cloud metadata address"
    for name, scheme in (("file-feed", "file"), ("ftp-feed", "ftp")):
        poll = got.poll(name)
        assert poll["status"] == "error" and f"scheme '{scheme}' is not http or https" in poll["error"], poll
    assert srv.count("/robots.txt") == 1


# ---- Retry-After ---------------------------------------------------------------------------

CAP = 3.0  # NEWSWATCH_RETRY_AFTER_MAX for this crawl


@pytest.fixture(scope="module")
def throttled():
    page = {"body": PAGE}
    routes = {
        "/feed.xml": {"headers": {"Content-Type": "application/rss+xml"}, "body": rss([
            entry("seconds", "/ra-seconds"), entry("date", "/ra-date"),
            entry("huge", "http://localhost:{port}/ra-huge"),  # its own host: its own pause
            entry("no-header", "/ra-none"), entry("always", "/ra-always")])},
        "/ra-seconds": {"sequence": [{"status": 503, "headers": {"Retry-After": "1"}}, page]},
        "/ra-date": {"sequence": [{"status": 429, "retry_after_in": 2.5}, page]},
        "/ra-huge": {"sequence": [{"status": 429, "headers": {"Retry-After": "86400"}}, page]},
        "/ra-none": {"status": 503},
        "/ra-always": {"status": 429, "headers": {"Retry-After": "1"}},
    }
    with HostileServer(routes=routes) as srv:
        got = crawl([source("throttled", srv.url("/feed.xml"))], retry_times=2, download_timeout=TIMEOUT,
                    settings={"NEWSWATCH_RETRY_AFTER_MAX": CAP})
        yield got, srv


def gaps(srv, path: str) -> list[float]:
    times = [r["time"] for r in srv.requests(path)]
    return [b - a for a, b in zip(times, times[1:])]


def test_retry_after_seconds_and_http_date_delay_the_retry(throttled):
    got, srv = throttled
    it = {a["title"]: a for a in got.articles}
    for name, path, least in (("seconds", "/ra-seconds", 1.0), ("date", "/ra-date", 1.5)):
        assert it[name]["html"] and it[name]["fallback_reason"] is None, it[name]
        assert len(gaps(srv, path)) == 1 and gaps(srv, path)[0] >= least - 0.05, (name, gaps(srv, path))


def test_retry_after_is_capped(throttled):
    got, srv = throttled
    item = {a["title"]: a for a in got.articles}["huge"]
    assert item["html"] and item["fallback_reason"] is None
    (gap,) = gaps(srv, "/ra-huge")
    assert CAP - 0.05 <= gap < CAP + 2, gap  # a day asked, the cap given


def test_without_retry_after_the_normal_retry_applies_and_gives_up(throttled):
    got, srv = throttled
    it = {a["title"]: a for a in got.articles}
    assert srv.count("/ra-none") == 3 and it["no-header"]["fallback_reason"] == "HTTP 503"  # 1 + RETRY_TIMES
    assert srv.count("/ra-always") == 3 and it["always"]["fallback_reason"] == "HTTP 429"
    assert all(g >= 0.95 for g in gaps(srv, "/ra-always")), gaps(srv, "/ra-always")


@pytest.mark.parametrize("value, expected", [
    ("120", 120.0), (b"5", 5.0), ("0", None), ("-3", None), ("soon", None), ("", None), (None, None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", None),  # in the past
])
def test_retry_after_values(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date():
    now = time.time()
    from email.utils import formatdate

    assert 29 <= retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) <= 30


def test_sigterm_during_a_retry_after_pause_stops_the_crawl_promptly(tmp_path):
    # Scrapy's graceful stop waits for in-flight requests; a request paused for 10 minutes by
    # Retry-After must notice the stop instead of holding the process for the whole pause.
    import dataclasses
    import json
    import signal
    import subprocess
    import sys

    from tests.crawl_once import PROJECT_ROOT

    routes = {"/feed.xml": {"body": rss([entry("long", "/ra-long")]), "headers": {"Content-Type": "application/rss+xml"}},
              "/ra-long": {"status": 429, "headers": {"Retry-After": "600"}}}
    with HostileServer(routes=routes) as srv:
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps({
            "sources": [dataclasses.asdict(source("long", srv.url("/feed.xml")))], "validators": {}, "known": [],
            "crawl": {"allow_private_networks": True, "download_delay": 0.0, "retry_times": 2}, "settings": {},
            "output": str(tmp_path / "items.jsonl")}))
        log_file = tmp_path / "crawl.log"
        with log_file.open("w") as log_out:
            proc = subprocess.Popen([sys.executable, "-m", "tests.crawl_once", str(spec)], cwd=PROJECT_ROOT,
                                    stdout=subprocess.DEVNULL, stderr=log_out, text=True)
        try:
            # the retry is now waiting out the (default-capped, 600 s) pause
            assert wait_for_text(log_file, "pausing 127.0.0.1 for 600.0 s", timeout=30), log_file.read_text()[-3000:]
            assert srv.count("/ra-long") == 1
            proc.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            proc.wait(timeout=15)
            assert time.monotonic() - stopped < 5, log_file.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# ---- malformed URLs: one line, refused and why, wherever they appear (issue 8) ---------------

MALFORMED = {  # name → URL that once ended in a traceback, or fooled one URL parser and not another
    "userinfo": "http://a@127.0.0.1:80@example.com/",
    "port-range": "http://example.com:99999/",
    "port-negative": "http://example.com:-1/",
    "port-zero": "http://example.com:0/",
    "long-label": "http://" + "a" * 64 + ".example.com/",
    "long-host": "http://" + ".".join(["a" * 60] * 5) + "/",
    "space": "http://exa mple.com/",
    "percent-host": "http://exa%20mple.com/",
    "backslash": "http://127.0.0.1\\.example.com/",
    "empty-label": "http://a..example.com/",
    "unclosed-ipv6": "http://[::1",
}
FEED_LINKS = [n for n in MALFORMED if n != "unclosed-ipv6"]  # see test_an_unparseable_entry_link_costs_only_its_entry
SITEMAP_INDEX = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                 + "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in MALFORMED.values())
                 + "<sitemap><loc>/sitemap-urls.xml</loc></sitemap></sitemapindex>")
SITEMAP_URLS = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + "".join(f"<url><loc>{u}</loc></url>" for u in MALFORMED.values()) + "</urlset>")
LISTING = ("<html><body><main>" + "".join(f'<article><time datetime="2024-05-0{i % 9 + 1}"></time>'
                                          f'<h2><a href="{u}">{n}</a></h2></article>'
                                          for i, (n, u) in enumerate(MALFORMED.items()))
           + '<article><h2><a href="/page">fine</a></h2></article></main></body></html>')


@pytest.fixture(scope="module")
def malformed():
    routes = {
        "/feed.xml": {"headers": {"Content-Type": "application/rss+xml"},
                      "body": rss([entry(n, MALFORMED[n]) for n in FEED_LINKS]
                                  + [entry(f"r-{n}", f"/r-{n}") for n in MALFORMED] + [entry("direct", "/page")])},
        **{f"/r-{n}": {"redirect": u} for n, u in MALFORMED.items()},
        "/sitemap.xml": {"body": SITEMAP_INDEX, "headers": {"Content-Type": "application/xml"}},
        "/sitemap-urls.xml": {"body": SITEMAP_URLS, "headers": {"Content-Type": "application/xml"}},
        "/listing.html": {"body": LISTING},
        "/page": {"body": PAGE},
    }
    with HostileServer(routes=routes) as srv:
        sources = [source(f"s-{n}", u) for n, u in MALFORMED.items()]
        sources += [source("links", srv.url("/feed.xml")), source("sitemap", srv.url("/sitemap.xml"), kind="sitemap"),
                    SourceConfig(name="listing", kind="listing", url=srv.url("/listing.html"), interval=60,
                                 selector="article a"),
                    source("after", srv.url("/feed.xml"))]  # polled although the URLs before it are broken
        got = crawl(sources, allow_private=False, download_timeout=TIMEOUT,
                    settings={"NEWSWATCH_NETGUARD_ALLOW": [f"127.0.0.1:{srv.port}"]})
        yield got, srv


def one_line_refusal(reason: str | None) -> bool:
    return bool(reason) and reason.startswith(("refused by netguard: ", "refused: ")) and "\n" not in reason


def test_malformed_source_urls_are_source_errors_and_the_others_are_polled(malformed):
    got, _ = malformed
    for name, url in MALFORMED.items():
        poll = got.poll(f"s-{name}")
        assert poll["status"] == "error" and poll["error"].startswith(f"{url}: "), poll
        assert one_line_refusal(poll["error"][len(url) + 2:]), poll["error"]
    assert got.poll("after")["status"] == "ok" and got.poll("links")["status"] == "ok"
    assert "user name or password" in got.poll("s-userinfo")["error"]
    assert got.poll("s-port-range")["error"].endswith("not a valid URL (Port out of range 0-65535)")


def test_malformed_entry_links_and_redirects_fall_back_with_the_reason(malformed):
    got, srv = malformed
    # "links" and "after" poll the same feed: each article is fetched once, for whichever came first
    items = {a["title"]: a for a in got.articles if a["source"] in ("links", "after")}
    assert items["direct"]["html"] and items["direct"]["fallback_reason"] is None
    # crawler/feeds.py may drop a link it cannot parse (counted as without_link); any other is
    # refused when requested, with the reason
    dropped = [name for name in FEED_LINKS if name not in items]
    assert got.poll("links")["extra"].get("without_link", 0) == len(dropped), got.poll("links")
    for name in set(FEED_LINKS) - set(dropped):
        assert items[name]["html"] is None and one_line_refusal(items[name]["fallback_reason"]), items[name]
    for name in MALFORMED:
        item = items[f"r-{name}"]
        assert item["html"] is None and one_line_refusal(item["fallback_reason"]), item
        assert srv.count(f"/r-{name}") == 1
    assert items["long-label"]["fallback_reason"] == f"refused by netguard: '{'a' * 64}.example.com' is not a valid host name"
    assert items["userinfo"]["fallback_reason"].startswith("refused by netguard: user name or password in the URL")
    assert items["r-port-range"]["fallback_reason"] == "refused: not a valid URL (Port out of range 0-65535)"
    assert items["r-userinfo"]["fallback_reason"].startswith("refused by netguard: user name or password in the URL")


def test_malformed_sitemap_and_listing_urls_are_refused_with_the_reason(malformed):
    got, _ = malformed
    poll = got.poll("sitemap")
    assert poll["status"] == "ok" and poll["extra"]["sitemaps"] == 2, poll  # the index and the one good child
    assert all(u[:200] in poll["extra"]["warning"] for u in MALFORMED.values()), poll["extra"]["warning"]
    from_sitemap = [a for a in got.articles if a["source"] == "sitemap"]
    assert len(from_sitemap) == len(MALFORMED)
    assert all(one_line_refusal(a["fallback_reason"]) for a in from_sitemap), from_sitemap
    from_listing = {a["title"]: a for a in got.articles if a["source"] == "listing"}
    assert from_listing["fine"]["html"]
    # Scrapy's LinkExtractor drops the links it cannot parse; the others are refused with the reason
    assert all(one_line_refusal(a["fallback_reason"]) for t, a in from_listing.items() if t != "fine"), from_listing
    assert got.poll("listing")["status"] == "ok"


def test_a_crawl_with_malformed_urls_logs_no_traceback(malformed):
    got, _ = malformed
    assert "Traceback" not in got.log and " ERROR: " not in got.log, got.log[-5000:]


def test_an_unparseable_entry_link_costs_only_its_entry():
    routes = {"/feed.xml": {"headers": {"Content-Type": "application/rss+xml"},
                            "body": rss([entry("bad", MALFORMED["unclosed-ipv6"]), entry("direct", "/page")])},
              "/page": {"body": PAGE}}
    with HostileServer(routes=routes) as srv:
        got = crawl([source("v6", srv.url("/feed.xml"))], allow_private=False,
                    settings={"NEWSWATCH_NETGUARD_ALLOW": [f"127.0.0.1:{srv.port}"]})
    assert got.poll("v6")["status"] == "ok" and "Traceback" not in got.log
    items = {a["title"]: a for a in got.articles}
    assert items["direct"]["html"]
    assert "bad" not in items or one_line_refusal(items["bad"]["fallback_reason"])  # dropped, or refused


def test_an_unreachable_robots_txt_is_one_warning_line_not_a_traceback():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: robots.txt and the feed are refused
    got = crawl([source("gone", f"http://127.0.0.1:{port}/feed.xml")])
    poll = got.poll("gone")
    assert poll["status"] == "error" and "connection refused" in poll["error"]
    assert "robots.txt not fetched for" in got.log and "Traceback" not in got.log, got.log[-3000:]


def test_proxy_settings_in_the_environment_are_not_used(monkeypatch):
    # a proxy would connect on its own, past netguard's check of the address connected to
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9/")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9/")
    with HostileServer(routes={"/feed.xml": {"body": rss([entry("direct", "/page")]),
                                             "headers": {"Content-Type": "application/rss+xml"}},
                               "/page": {"body": PAGE}}) as srv:
        got = crawl([source("direct", srv.url("/feed.xml"))])
    assert got.poll("direct")["status"] == "ok"
    assert [a["fallback_reason"] for a in got.articles] == [None]
