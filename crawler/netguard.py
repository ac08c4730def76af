"""Downloader middleware: refuse requests to private networks and to non-HTTP(S) schemes.

A feed or a redirect chosen by a stranger must not make the crawler fetch
``http://169.254.169.254/`` (cloud metadata), ``http://127.0.0.1:…`` or a host on the office LAN.
Every request passes here, including each hop of a redirect (RedirectMiddleware hands the new
Request back to the engine, which runs all ``process_request`` methods again) and robots.txt.

A hostname is resolved with ``getaddrinfo`` (all IPv4 and IPv6 addresses, each must be public)
and also through the reactor's resolver, whose answer Scrapy caches and then connects to, so the
address checked is the address used (no second lookup a rebinding DNS server could answer
differently, for the default resolver). Refusals raise ``IgnoreRequest`` with the reason, which
reaches the request's errback.

Settings: ``NEWSWATCH_ALLOW_PRIVATE_NETWORKS`` (bool) switches the guard off;
``NEWSWATCH_NETGUARD_ALLOW`` (list of ``"host:port"``) exempts exact destinations, e.g. a trusted
intranet feed server.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Iterable
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_to_future
from twisted.internet import threads

ALLOWED_SCHEMES = ("http", "https")
# Not "global" in ipaddress terms, named for the message. Order matters: first match names it.
_NAMED_RANGES = [
    (ipaddress.ip_network("169.254.169.254/32"), "cloud metadata"),
    (ipaddress.ip_network("fd00:ec2::254/128"), "cloud metadata"),
    (ipaddress.ip_network("100.64.0.0/10"), "carrier-grade NAT"),
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def classify(address: str) -> str | None:
    """Why an IP address is off limits (e.g. "loopback"), or None when it is public."""
    try:
        ip: Address = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 reaches the IPv4 host: judge the IPv4 address.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    for network, name in _NAMED_RANGES:
        if ip.version == network.version and ip in network:
            return name
    for attribute, name in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_private", "private"),
        ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, attribute):
            return name
    return None if ip.is_global else "not globally routable"


def refusal_for_addresses(host: str, addresses: Iterable[str]) -> str | None:
    """The refusal message if any of a host's addresses is off limits."""
    addresses = list(dict.fromkeys(addresses))
    if not addresses:
        return f"{host} did not resolve to any address"
    for address in addresses:
        reason = classify(address)
        if reason:
            shown = host if host == address else f"{host} ({address})"
            return f"refused by netguard: {shown} is a {reason} address"
    return None


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
        if crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured("private networks allowed")
        from twisted.internet import reactor

        return cls(crawler.settings.getlist("NEWSWATCH_NETGUARD_ALLOW"), reactor)

    async def process_request(self, request, spider=None):
        parts = urlsplit(request.url)
        if parts.scheme not in ALLOWED_SCHEMES:
            raise IgnoreRequest(f"refused by netguard: scheme {parts.scheme!r} is not http or https")
        host = (parts.hostname or "").lower()
        if not host:
            raise IgnoreRequest(f"refused by netguard: no host in {request.url}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise IgnoreRequest(f"refused by netguard: bad port in {request.url}") from None
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
        try:
            addresses = await deferred_to_future(threads.deferToThread(resolve_all, host, port))
        except OSError as exc:
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
