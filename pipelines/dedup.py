"""Identity of an article: a canonical URL and a content hash.

The same article seen twice, or under two URLs (tracking parameters, http/https, a trailing
``#comments``), must be one row. Canonicalisation is deliberately conservative: it drops only
parameters that never select content.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Our own list: w3lib knows how to remove parameters, not which ones only track the reader.
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ocid", "ito", "spm", "share", "s_cid",
    "at_medium", "at_campaign", "xtor", "__twitter_impression", "rss", "output", "via",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "itm_", "hsa_", "oly_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _tracks(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """w3lib's canonical form (query sorted, percent-encoding normalised, fragment dropped) without
    tracking parameters; then ours: one scheme (https), no "www.", no default port, no "//"."""
    url = url.strip()
    tracking = [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True) if _tracks(k)]
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, unique=False, keep_fragments=True)
    parts = urlsplit(canonicalize_url(url))
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    # http and https of one page are one article: key on https.
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def content_hash(title: str | None, text: str) -> str:
    """Hash of the normalised text: case, accents' composition and whitespace don't count."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    normal = re.sub(r"\W+", " ", normal).strip()
    if len(normal) < 200 and title:
        # a very short text (a feed summary) is too common to identify an article alone
        normal = unicodedata.normalize("NFKC", title).casefold().strip() + "\n" + normal
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


# --- near duplicates ------------------------------------------------------------------------------
# The same wire story on three sites has three URLs and three slightly different texts (a dateline
# such as "ISLAMABAD (Reuters) -", an extra closing sentence, other boilerplate), so neither the
# canonical URL nor the content hash can see it. A 64-bit SimHash (Charikar 2002; Manku et al. 2007)
# of the text's word 3-shingles can: each shingle votes on every bit, so texts sharing most of their
# shingles differ in few bits. Written here rather than taken from a package: it is twenty lines;
# `simhash` (PyPI, last release 2022) shingles characters, not words, and needs numpy; `datasketch`
# (MinHash) needs numpy and scipy and keeps its LSH index in memory or Redis, not in our database.
#
# Measured on the texts of tests/test_near_duplicates.py (~300 words): the same wire story on three
# sites, and the story updated, are 2-9 bits apart (Jaccard of shingles 0.77-0.96); two other
# Russia-Pakistan stories are 28-33 bits from it and from each other (Jaccard <= 0.02). Unrelated
# texts are ~32 bits apart (a random pair is within 16 bits with probability 4e-5), so the store
# takes every recent article within NEAR_DUPLICATE_BITS as a candidate and confirms it on the texts.

SIMHASH_BITS = 64
SHINGLE_WORDS = 3
MIN_SHINGLES = 40            # shorter texts (a sentence or two) are left to the exact hash
NEAR_DUPLICATE_BITS = 16     # a candidate: at most this many differing bits
NEAR_DUPLICATE_SIMILARITY = 0.5  # the same story: Jaccard similarity of the shingles at least this
NEAR_DUPLICATE_WINDOW = timedelta(days=7)  # compared with the articles fetched this far back
_MASK = (1 << SIMHASH_BITS) - 1


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The text's distinct runs of ``size`` words, case- and punctuation-blind."""
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


# Bit-sliced vote counting: a shingle's 64 hash bits are spread into 64 lanes of a big integer
# (one lookup per byte), and one big-integer addition per shingle adds a vote to every lane at
# once: ~8x faster than a Python loop over 64 bits, with the same result.
_LANE = 24  # bits per lane: counts up to 16 million shingles per text
_SPREAD_BYTE = [sum(((byte >> k) & 1) << (_LANE * k) for k in range(8)) for byte in range(256)]
_SPREAD = [[v << (_LANE * 8 * position) for v in _SPREAD_BYTE] for position in range(8)]
_LANE_MASK = (1 << _LANE) - 1


def simhash(text: str) -> int | None:
    """64-bit SimHash (unsigned) of the text's word shingles, or None for a text too short to tell.

    Bit i is set when more than half of the shingles' blake2b-64 hashes (read big-endian) have it.
    """
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    s0, s1, s2, s3, s4, s5, s6, s7 = _SPREAD
    ones = 0
    for gram in grams:
        d = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
        # d[7] is the least significant byte of the big-endian hash: bits 0-7
        ones += s0[d[7]] + s1[d[6]] + s2[d[5]] + s3[d[4]] + s4[d[3]] + s5[d[2]] + s6[d[1]] + s7[d[0]]
    half = len(grams)
    return sum(1 << bit for bit in range(SIMHASH_BITS) if 2 * (ones >> (_LANE * bit) & _LANE_MASK) > half)


def hamming(a: int, b: int) -> int:
    """Differing bits of two signatures (signed or unsigned 64-bit)."""
    return ((a ^ b) & _MASK).bit_count()


def to_signed64(value: int) -> int:
    """An unsigned 64-bit signature as the signed BIGINT every SQL database can store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b|: the share of shingles two texts have in common."""
    return len(a & b) / len(a | b) if a or b else 0.0
