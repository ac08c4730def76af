"""Downloader middleware: refuse requests to non-public addresses, to non-HTTP(S) schemes and to malformed URLs.

A feed or a redirect chosen by a stranger must not make the crawler fetch
``http://169.254.169.254/`` (cloud metadata), ``http://127.0.0.1:…`` or a host on the office LAN.
Every request passes here, including each hop of a redirect (RedirectMiddleware hands the new
Request back to the engine, which runs all ``process_request`` methods again) and robots.txt.

A hostname is resolved with ``getaddrinfo`` (all IPv4 and IPv6 addresses, each must be public)
and also through the reactor's resolver, whose answer Scrapy caches and then connects to, so the
address checked is the address used (no second lookup a rebinding DNS server could answer
differently, for the default resolver). Refusals raise ``IgnoreRequest`` with the reason, which
reaches the request's errback.

"Public" is decided by our own table (``OFF_LIMITS``), transcribed from the IANA IPv4 and IPv6
Special-Purpose Address Registries, not by Python's ``ipaddress`` flags, which differ between
Python versions (3.11 calls most of 192.0.0.0/24 global, Oracle Cloud's metadata address included).

Settings: ``NEWSWATCH_ALLOW_PRIVATE_NETWORKS`` (bool) switches the guard off;
``NEWSWATCH_NETGUARD_ALLOW`` (list of ``"host:port"``) exempts exact destinations, e.g. a trusted
intranet feed server.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from typing import Iterable
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

# Scrapy and Twisted are imported by the middleware alone: checking a URL or an address (config
# validation, `newswatch explain`) does not load them.

ALLOWED_SCHEMES = ("http", "https")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# (block, kind shown in the refusal, name in the IANA registry). First match names the address,
# so the named cloud-metadata hosts come before the blocks that hold them. Registry entries that
# lie inside a block listed here (0.0.0.0/32, 192.0.0.0/29 DS-Lite, 192.0.0.8 dummy,
# 192.0.0.170-171 NAT64 discovery, 192.88.99.2 6a44 relay, 2001::/32 Teredo, 2001:2::/48
# benchmarking, 2001:3::/32 AMT, 2001:4:112::/48 AS112, 2001:10::/28 and 2001:20::/28 ORCHID,
# 2001:30::/28 DETs) are refused with their block; tests/test_netguard.py checks every entry.
#
# Some entries are marked "globally reachable" by the registry and are still refused: the PCP and
# TURN anycast addresses 192.0.0.9 and 192.0.0.10 (and 2001:1::1-3), AS112 (192.31.196.0/24,
# 192.175.48.0/24, 2620:4f:8000::/48) and AMT (192.52.193.0/24). They are anycast service
# addresses: the instance that answers is the nearest one, often inside the operator's own network,
# and none of them serves news. Refusing them costs nothing; fetching them reaches internal services.
_V4 = [
    ("169.254.169.254/32", "cloud metadata", "Link Local (AWS, Azure, GCP, OCI metadata)"),
    ("192.0.0.192/32", "cloud metadata", "IETF Protocol Assignments (Oracle Cloud metadata)"),
    ("100.100.100.200/32", "cloud metadata", "Shared Address Space (Alibaba Cloud metadata)"),
    ("0.0.0.0/8", "this-network", '"This network"'),
    ("10.0.0.0/8", "private", "Private-Use"),
    ("100.64.0.0/10", "carrier-grade NAT", "Shared Address Space"),
    ("127.0.0.0/8", "loopback", "Loopback"),
    ("169.254.0.0/16", "link-local", "Link Local"),
    ("172.16.0.0/12", "private", "Private-Use"),
    ("192.0.0.0/24", "special-purpose (IETF protocol assignments)", "IETF Protocol Assignments"),
    ("192.0.2.0/24", "documentation", "Documentation (TEST-NET-1)"),
    ("192.31.196.0/24", "special-purpose (AS112)", "AS112-v4"),
    ("192.52.193.0/24", "special-purpose (AMT)", "AMT"),
    ("192.88.99.0/24", "special-purpose (6to4 relay anycast)", "Deprecated (6to4 Relay Anycast)"),
    ("192.168.0.0/16", "private", "Private-Use"),
    ("192.175.48.0/24", "special-purpose (AS112)", "Direct Delegation AS112 Service"),
    ("198.18.0.0/15", "benchmarking", "Benchmarking"),
    ("198.51.100.0/24", "documentation", "Documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation", "Documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast", "Multicast (IPv4 Multicast Address Space Registry)"),
    ("255.255.255.255/32", "broadcast", "Limited Broadcast"),
    ("240.0.0.0/4", "reserved", "Reserved"),
]
_V6 = [
    ("fd00:ec2::254/128", "cloud metadata", "Unique-Local (AWS metadata)"),
    ("::/128", "unspecified", "Unspecified Address"),
    ("::1/128", "loopback", "Loopback Address"),
    # ::ffff:0:0/96 (IPv4-mapped), 64:ff9b::/96 (NAT64) and 2002::/16 (6to4): see _embedded_ipv4
    ("64:ff9b:1::/48", "special-purpose (local-use NAT64)", "IPv4-IPv6 Translat."),
    ("100::/64", "special-purpose (discard-only)", "Discard-Only Address Block"),
    ("100:0:0:1::/64", "special-purpose (dummy)", "Dummy IPv6 Prefix"),
    ("2001:db8::/32", "documentation", "Documentation"),
    ("2001::/23", "special-purpose (IETF protocol assignments)", "IETF Protocol Assignments"),
    ("2620:4f:8000::/48", "special-purpose (AS112)", "Direct Delegation AS112 Service"),
    ("3fff::/20", "documentation", "Documentation"),
    ("5f00::/16", "special-purpose (SRv6 SIDs)", "Segment Routing (SRv6) SIDs"),
    ("fc00::/7", "private", "Unique-Local"),
    ("fe80::/10", "link-local", "Link-Local Unicast"),
    ("ff00::/8", "multicast", "Multicast (IPv6 Multicast Address Space Registry)"),
]
OFF_LIMITS = [(ipaddress.ip_network(block), kind, name) for block, kind, name in _V4 + _V6]
# IANA's IPv6 Address Space registry: only 2000::/3 is global unicast; the rest is reserved.
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
# These carry an IPv4 address that is where the packets end up: judge that address instead.
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _IPV4_MAPPED or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _6TO4:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def classify(address: str) -> str | None:
    """Why an IP address is off limits (e.g. "loopback"), or None when it is public unicast."""
    try:
        ip: Address = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    for network, kind, _ in OFF_LIMITS:
        if ip.version == network.version and ip in network:
            return kind
    if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
        return "reserved"
    return None


def refusal_for_addresses(host: str, addresses: Iterable[str]) -> str | None:
    """The refusal message if any of a host's addresses is off limits."""
    addresses = list(dict.fromkeys(addresses))
    if not addresses:
        return f"{host} did not resolve to any address"
    for address in addresses:
        reason = classify(address)
        if reason:
            shown = host if host == address else f"{host} ({address})"
            article = "an" if reason[0] in "aeiou" else "a"
            return f"refused by netguard: {shown} is {article} {reason} address"
    return None


# A DNS name as resolvers and Twisted take it: labels of 1-63 letters, digits, hyphens (and
# underscores, which real hosts use), 253 characters in all once IDNA-encoded.
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")


def url_problem(url: str) -> str | None:
    """Why this URL will not be fetched, in one line, or None. No DNS: the checks on the text.

    Malformed URLs (a bad port, an unclosed ``[``, a label too long) otherwise raise deep in
    w3lib, urllib or Twisted, as tracebacks. A user name or password is refused outright: newswatch
    sends no credentials, and ``http://a@127.0.0.1:80@example.com/`` names a different host to
    different parsers, which is the point of writing it.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", …
        return f"refused by netguard: not a valid URL ({exc})"
    if parts.scheme not in ALLOWED_SCHEMES:
        return f"refused by netguard: scheme {parts.scheme!r} is not http or https"
    if "@" in parts.netloc:
        return "refused by netguard: user name or password in the URL (never sent; it can hide the real host)"
    host = parts.hostname or ""
    if not host:
        return "refused by netguard: no host in the URL"
    if port == 0:
        return "refused by netguard: not a valid URL (port 0)"
    if not _literal_ip(host) and not _valid_hostname(host):
        return f"refused by netguard: {host[:200]!r} is not a valid host name"
    try:
        safe_url_string(url)  # what scrapy.Request does to every URL
    except ValueError as exc:
        return f"refused by netguard: not a valid URL ({exc})"
    return None


def _valid_hostname(host: str) -> bool:
    try:
        ascii_host = host.removesuffix(".").encode("idna").decode("ascii")
    except UnicodeError:  # an empty label, or one over 63 characters
        return False
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in ascii_host.lower().split("."))


def resolve_all(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (blocking; run in a thread)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _literal_ip(host: str) -> str | None:
    """The host itself when it is an IP address literal (as written, for the message)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    return host.strip("[]")


class NetGuardMiddleware:
    def __init__(self, allow: Iterable[str] = (), reactor=None):
        self.allow = {entry.lower() for entry in allow}
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        if crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured("private networks allowed")
        from twisted.internet import reactor

        return cls(crawler.settings.getlist("NEWSWATCH_NETGUARD_ALLOW"), reactor)

    async def process_request(self, request, spider=None):
        from scrapy.exceptions import IgnoreRequest

        problem = url_problem(request.url)
        if problem:
            if request.meta.get("redirect_urls"):  # a hop: say where it led, the item keeps the first URL
                problem += f" (redirect to {request.url[:200]})"
            raise IgnoreRequest(problem)
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if f"{host}:{port}" in self.allow:
            return None
        literal = _literal_ip(host)
        if literal:
            addresses = [literal]
        else:
            addresses = await self._resolve(host, port)
        reason = refusal_for_addresses(host, addresses)
        if reason:
            raise IgnoreRequest(reason)
        return None

    async def _resolve(self, host: str, port: int) -> list[str]:
        from scrapy.exceptions import IgnoreRequest
        from scrapy.utils.defer import deferred_to_future
        from twisted.internet import threads

        try:
            addresses = await deferred_to_future(threads.deferToThread(resolve_all, host, port))
        except (OSError, UnicodeError) as exc:
            raise IgnoreRequest(f"DNS lookup failed for {host}: {exc}") from None
        # The address Scrapy will connect to comes from the reactor resolver (cached there
        # for the crawl): check it too, so it cannot differ from what was checked.
        resolver = getattr(self.reactor, "resolver", None)
        if resolver is not None:
            try:
                addresses.append(await deferred_to_future(resolver.getHostByName(host)))
            except Exception as exc:
                raise IgnoreRequest(f"DNS lookup failed for {host}: {exc}") from None
        return addresses
