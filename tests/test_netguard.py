"""crawler.netguard: address classification, and real crawls where private destinations are refused."""
from __future__ import annotations

import pytest

from crawler.config import SourceConfig
from crawler.netguard import classify, refusal_for_addresses, resolve_all
from tests.crawl_once import crawl
from tests.mockserver import MockServer


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("169.254.10.1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("::ffff:127.0.0.1", "loopback"),        # IPv4-mapped IPv6
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::1", "loopback"),           # 6to4 of 127.0.0.1
    ("0.0.0.0", "private"),
    ("224.0.0.1", "multicast"),
])
def test_off_limits_addresses(address, reason):
    assert classify(address) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert classify(address) is None


def test_every_resolved_address_must_be_public():
    # a rebinding-style answer: one public and one private address
    reason = refusal_for_addresses("feeds.example", ["93.184.216.34", "10.1.2.3"])
    assert reason == "refused by netguard: feeds.example (10.1.2.3) is a private address"
    assert refusal_for_addresses("feeds.example", ["93.184.216.34", "2606:4700::1"]) is None
    assert "did not resolve" in refusal_for_addresses("feeds.example", [])


def test_localhost_resolves_to_loopback():
    assert all(classify(a) == "loopback" for a in resolve_all("localhost", 80))


def refuse(url: str, allow=()) -> str | None:
    """Run the middleware on one request whose host is an IP literal (no DNS, no reactor)."""
    import asyncio

    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest

    from crawler.netguard import NetGuardMiddleware

    try:
        asyncio.run(NetGuardMiddleware(allow=allow).process_request(Request(url)))
    except IgnoreRequest as exc:
        return str(exc)
    return None


def test_middleware_refuses_schemes_and_literals_and_honours_the_exemption():
    assert refuse("ftp://93.184.216.34/x") == "refused by netguard: scheme 'ftp' is not http or https"
    assert refuse("http://[fe80::1]:8080/") == "refused by netguard: fe80::1 is a link-local address"
    assert refuse("http://100.64.1.2/") == "refused by netguard: 100.64.1.2 is a carrier-grade NAT address"
    assert refuse("https://93.184.216.34/feed.xml") is None
    assert refuse("http://127.0.0.1:8080/", allow=["127.0.0.1:8080"]) is None
    assert "loopback" in refuse("http://127.0.0.1:8081/", allow=["127.0.0.1:8080"])


def source(name, url, kind="feed"):
    return SourceConfig(name=name, kind=kind, url=url, interval=60)


@pytest.mark.slow
def test_private_source_refused_before_any_connection():
    with MockServer() as server:
        got = crawl([source("local", server.url("/feeds/rss2.xml")),
                     source("local-sitemap", server.url("/sitemaps/index.xml"), kind="sitemap")],
                    allow_private=False)
        assert server.requests() == []  # not even robots.txt
    for name in ("local", "local-sitemap"):
        poll = got.poll(name)
        assert poll["status"] == "error"
        assert "refused by netguard: 127.0.0.1 is a loopback address" in poll["error"]
    assert got.articles == []


def redirect_feed(port: int) -> str:
    targets = {
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/en/wheat-exports.html",
        "localhost": f"http://localhost:{port}/en/wheat-exports.html",
        "lan": "http://10.0.0.1/admin",
        "file": "file:///etc/passwd",
    }
    items = "".join(
        f"<item><title>{name}</title><link>/__redirect?to={to}</link><description>{name} summary</description></item>"
        for name, to in targets.items()
    )
    items += "<item><title>direct</title><link>/en/druzhba-exercise.html</link></item>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>r</title>{items}</channel></rss>'


@pytest.mark.slow
def test_redirects_to_private_destinations_are_refused():
    # The mock server itself is private; the test exempts exactly its host:port so the first hop
    # goes through and each redirect hop is judged on its own.
    with MockServer() as server:
        feed = redirect_feed(server.port)
        with MockServer(routes={"/feeds/redirects.xml": {"body": feed, "headers": {"Content-Type": "application/rss+xml"}},
                                "/feeds/moved.xml": {"redirect": "http://169.254.169.254/feed.xml"}}) as srv:
            exempt = {"NEWSWATCH_NETGUARD_ALLOW": [f"127.0.0.1:{srv.port}"]}
            feed_url = srv.url("/feeds/redirects.xml")
            got = crawl([source("redirects", feed_url), source("moved", srv.url("/feeds/moved.xml"))],
                        allow_private=False, settings=exempt)
            assert srv.count("/__redirect") == 5 and srv.count("/en/druzhba-exercise.html") == 1
            assert srv.count("/en/wheat-exports.html") == 0
        assert server.requests() == []  # the other port was never reached
    items = {a["title"]: a for a in got.articles}
    assert items["direct"]["html"] and items["direct"]["fallback_reason"] is None
    reasons = {name: items[name]["fallback_reason"] for name in ("metadata", "mapped", "localhost", "lan", "file")}
    assert reasons["metadata"] == "refused by netguard: 169.254.169.254 is a cloud metadata address"
    assert reasons["mapped"] == "refused by netguard: ::ffff:127.0.0.1 is a loopback address"
    assert reasons["localhost"].startswith("refused by netguard: localhost (") and "loopback" in reasons["localhost"]
    assert reasons["lan"] == "refused by netguard: 10.0.0.1 is a private address"
    assert reasons["file"] == "HTTP 302 (redirect to file:///etc/passwd not followed)"
    assert all(items[name]["html"] is None and items[name]["feed_summary"] == f"{name} summary" for name in reasons)
    poll = got.poll("moved")
    assert poll["status"] == "error" and "169.254.169.254 is a cloud metadata address" in poll["error"]
