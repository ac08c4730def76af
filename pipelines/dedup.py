"""Identity of an article: a canonical URL and a content hash.

The same article seen twice, or under two URLs (tracking parameters, http/https, a trailing
``#comments``), must be one row. Canonicalisation is deliberately conservative: it drops only
parameters that never select content.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ocid", "ito", "spm", "share", "s_cid",
    "at_medium", "at_campaign", "xtor", "__twitter_impression", "rss", "output", "via",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "itm_", "hsa_", "oly_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    # http and https of one page are one article: key on https.
    scheme = "https" if scheme in ("http", "https") else scheme
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def content_hash(title: str | None, text: str) -> str:
    """Hash of the normalised text: case, accents' composition and whitespace don't count."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    normal = re.sub(r"\W+", " ", normal).strip()
    if len(normal) < 200 and title:
        # a very short text (a feed summary) is too common to identify an article alone
        normal = unicodedata.normalize("NFKC", title).casefold().strip() + "\n" + normal
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
