"""crawler.netguard: address classification, and real crawls where private destinations are refused."""
from __future__ import annotations

import ipaddress

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
    ("0.0.0.0", "this-network"),
    ("224.0.0.1", "multicast"),
    ("192.0.0.192", "cloud metadata"),        # Oracle Cloud; "global" to Python 3.11's ipaddress
    ("100.100.100.200", "cloud metadata"),    # Alibaba Cloud
    ("192.0.0.9", "special-purpose (IETF protocol assignments)"),
    ("198.18.0.1", "benchmarking"),
    ("2001:db8::1", "documentation"),
    ("::ffff:192.0.0.192", "cloud metadata"),
    ("2002:c000:c0::1", "cloud metadata"),    # 6to4 of 192.0.0.192
    ("::1.2.3.4", "reserved"),                # IPv4-compatible (deprecated): outside 2000::/3
])
def test_off_limits_addresses(address, reason):
    assert classify(address) == reason


# A handful of real public addresses, including neighbours of special-purpose blocks and
# public IPv4 addresses wrapped in IPv6 (mapped, NAT64, 6to4).
PUBLIC = ["8.8.8.8", "1.1.1.1", "9.9.9.9", "93.184.216.34", "151.101.1.69", "192.0.1.1", "192.0.3.1",
          "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "198.17.255.255", "198.20.0.0",
          "223.255.255.254", "2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:82b::200e",
          "2001:200::1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert classify(address) is None


# The IANA IPv4 and IPv6 Special-Purpose Address Registries, transcribed here independently of
# crawler/netguard.py's table (iana-ipv4-special-registry, iana-ipv6-special-registry, 2025),
# with the multicast blocks of the two multicast registries. Every address of every entry is off
# limits, including those the registry marks "globally reachable" (anycast services: see
# netguard.py). Three entries carry an IPv4 address; they are judged by it and have tests below.
REGISTRY = [
    ("0.0.0.0/8", '"This network"'),
    ("0.0.0.0/32", '"This host on this network"'),
    ("10.0.0.0/8", "Private-Use"),
    ("100.64.0.0/10", "Shared Address Space"),
    ("127.0.0.0/8", "Loopback"),
    ("169.254.0.0/16", "Link Local"),
    ("172.16.0.0/12", "Private-Use"),
    ("192.0.0.0/24", "IETF Protocol Assignments"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix"),
    ("192.0.0.8/32", "IPv4 dummy address"),
    ("192.0.0.9/32", "Port Control Protocol Anycast"),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)"),
    ("192.31.196.0/24", "AS112-v4"),
    ("192.52.193.0/24", "AMT"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)"),
    ("192.88.99.2/32", "6a44-relay anycast address"),
    ("192.168.0.0/16", "Private-Use"),
    ("192.175.48.0/24", "Direct Delegation AS112 Service"),
    ("198.18.0.0/15", "Benchmarking"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)"),
    ("240.0.0.0/4", "Reserved"),
    ("255.255.255.255/32", "Limited Broadcast"),
    ("224.0.0.0/4", "Multicast (IPv4 Multicast Address Space Registry)"),
    ("::1/128", "Loopback Address"),
    ("::/128", "Unspecified Address"),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)"),
    ("100::/64", "Discard-Only Address Block"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix"),
    ("2001::/23", "IETF Protocol Assignments"),
    ("2001::/32", "TEREDO"),
    ("2001:1::1/128", "Port Control Protocol Anycast"),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast"),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast"),
    ("2001:2::/48", "Benchmarking"),
    ("2001:3::/32", "AMT"),
    ("2001:4:112::/48", "AS112-v6"),
    ("2001:10::/28", "Deprecated (previously ORCHID)"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix"),
    ("2001:db8::/32", "Documentation"),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service"),
    ("3fff::/20", "Documentation"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs"),
    ("fc00::/7", "Unique-Local"),
    ("fe80::/10", "Link-Local Unicast"),
    ("ff00::/8", "Multicast (IPv6 Multicast Address Space Registry)"),
]
# The entries whose addresses carry an IPv4 address: "::ffff:0:0/96" (IPv4-mapped), "64:ff9b::/96"
# (IPv4-IPv6 Translat.) and "2002::/16" (6to4); judged by that address.
EMBEDDING = {"::ffff:0:0/96": lambda v4: f"::ffff:{v4}", "64:ff9b::/96": lambda v4: f"64:ff9b::{v4}",
             "2002::/16": lambda v4: "2002:{:02x}{:02x}:{:02x}{:02x}::1".format(*map(int, v4.split(".")))}


def _ends(block: str) -> list[str]:
    network = ipaddress.ip_network(block)
    return [str(network[0]), str(network[-1])]


@pytest.mark.parametrize("block, name", REGISTRY, ids=[f"{b} {n}" for b, n in REGISTRY])
def test_every_registry_block_is_refused_first_to_last(block, name):
    for address in _ends(block):
        assert classify(address) is not None, f"{address} ({name}) passed"


def _in_registry(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in (ipaddress.ip_network(b) for b, _ in REGISTRY))


@pytest.mark.parametrize("block, name", REGISTRY, ids=[f"{b} {n}" for b, n in REGISTRY])
def test_the_addresses_next_to_a_registry_block_are_public(block, name):
    # catches a block written too wide: the neighbours pass unless the registry lists them too
    network = ipaddress.ip_network(block)
    for neighbour in (network[0] - 1 if int(network[0]) else None,
                      network[-1] + 1 if int(network[-1]) < (1 << network.max_prefixlen) - 1 else None):
        if neighbour is None or _in_registry(str(neighbour)):
            continue
        if neighbour.version == 6 and neighbour not in ipaddress.ip_network("2000::/3"):
            assert classify(str(neighbour)) == "reserved"  # IANA: only 2000::/3 is global unicast
            continue
        if neighbour.version == 6 and any(neighbour in ipaddress.ip_network(b) for b in EMBEDDING):
            continue  # judged by the IPv4 address inside
        assert classify(str(neighbour)) is None, f"{neighbour}, next to {block} ({name}), refused"


@pytest.mark.parametrize("block", list(EMBEDDING))
def test_ipv4_inside_ipv6_is_judged_by_the_ipv4_address(block):
    wrap = EMBEDDING[block]
    assert classify(wrap("8.8.8.8")) is None
    assert classify(wrap("192.0.0.192")) == "cloud metadata"
    assert classify(wrap("127.0.0.1")) == "loopback"
    for v4_block, _ in REGISTRY:
        if ":" not in v4_block:
            for v4 in _ends(v4_block):
                assert classify(wrap(v4)) is not None, wrap(v4)
    for first_or_last in _ends(block):  # 0.0.0.0 and 255.255.255.255 inside
        assert classify(first_or_last) is not None


def test_the_table_does_not_follow_pythons_ipaddress():
    # Python 3.11's ipaddress calls all of these global; the registries do not, nor do we
    for address in ("192.0.0.192", "192.0.0.9", "192.0.0.10", "192.31.196.1", "2001:1::1", "2001:20::1",
                    "64:ff9b:1::1"):
        assert classify(address), address


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
