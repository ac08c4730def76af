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

import numpy as np
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


def simhash(text: str) -> int | None:
    """64-bit SimHash (unsigned) of the text's word shingles, or None for a text too short to tell.

    Bit i is set when more than half of the shingles' blake2b-64 hashes (read big-endian) have it.
    The votes are counted by numpy over the hashes' bits at once (~4x faster than Python's
    big-integer lanes it replaced, with the same result).
    """
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    digests = b"".join([hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest() for gram in grams])
    # one row of 64 bits per hash, most significant first: column j is bit 63 - j
    votes = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, SIMHASH_BITS).sum(axis=0)
    set_bits = np.flatnonzero(2 * votes > len(grams))
    return sum(1 << (SIMHASH_BITS - 1 - int(j)) for j in set_bits)


def hamming(a: int, b: int) -> int:
    """Differing bits of two signatures (signed or unsigned 64-bit)."""
    return ((a ^ b) & _MASK).bit_count()


def to_signed64(value: int) -> int:
    """An unsigned 64-bit signature as the signed BIGINT every SQL database can store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b|: the share of shingles two texts have in common."""
    return len(a & b) / len(a | b) if a or b else 0.0


# --- the signature index -------------------------------------------------------------------------
# The look-up "every recent signature within NEAR_DUPLICATE_BITS of this one" compared the query with
# each signature of the window in a Python loop (~0.2 µs a row: 10 ms at 50,000 signatures, 35 ms at
# 200,000; more with the window's date filter). A banded (LSH) index cannot do much better at this
# distance, measured in bench/near_duplicate_bench.py: classic banding (candidates share one band
# exactly) misses pairs, since at 16 differing bits of 64 four 16-bit bands all differ in most pairs;
# made exact by the pigeonhole principle (two signatures d bits apart have a band with at most
# d // 4 differing bits, so each band's table is probed at every value within 4 bits: 2,517 of
# 65,536), it still has to check ~15 % of the window and was no faster than the loop. So the index
# is the window as one array, compared with the query in one vectorised XOR and popcount (numpy,
# already installed with py3langid): the same answer as the loop, ~100x faster at 50,000.

try:
    _popcount = np.bitwise_count  # numpy >= 2.0
except AttributeError:  # pragma: no cover - older numpy
    _BYTE_BITS = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)

    def _popcount(values):
        return _BYTE_BITS[values.view(np.uint8)].reshape(-1, 8).sum(axis=1)


class SignatureIndex:
    """Signatures by key (an article id) with a time each (its fetched_at, as a POSIX timestamp),
    found by distance with one vectorised comparison against all of them."""

    def __init__(self):
        self._keys = np.zeros(1024, dtype=np.int64)
        self._signatures = np.zeros(1024, dtype=np.uint64)
        self._times = np.zeros(1024, dtype=np.float64)
        self._alive = np.zeros(1024, dtype=bool)
        self._size = 0                     # slots used, alive or not
        self._slot: dict[int, int] = {}    # key -> slot of the alive entry

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: int) -> bool:
        return key in self._slot

    def add(self, key: int, signature: int, when: float = 0.0) -> None:
        """Index ``signature`` (signed or unsigned 64-bit) under ``key``, replacing the key's old one."""
        self.remove(key)
        if self._size == len(self._keys):
            self._compact(grow=True)
        slot = self._size
        self._keys[slot], self._signatures[slot] = key, signature & _MASK
        self._times[slot], self._alive[slot] = when, True
        self._slot[key] = slot
        self._size += 1

    def extend(self, entries: list[tuple[int, int, float]]) -> None:
        """``add`` for many (key, signature, time) at once (a window read from the database)."""
        for key, _, _ in entries:
            self.remove(key)
        if self._size + len(entries) > len(self._keys):
            self._compact(grow=True, room=len(entries))
        end = self._size + len(entries)
        for column, values in ((self._keys, [e[0] for e in entries]),
                               (self._signatures, [e[1] & _MASK for e in entries]),
                               (self._times, [e[2] for e in entries])):
            column[self._size:end] = values
        self._alive[self._size:end] = True
        self._slot.update((key, self._size + i) for i, (key, _, _) in enumerate(entries))
        self._size = end

    def remove(self, key: int) -> None:
        slot = self._slot.pop(key, None)
        if slot is not None:
            self._alive[slot] = False

    def remove_before(self, when: float) -> None:
        """Drop every entry whose time is before ``when`` (out of the window)."""
        used = slice(0, self._size)
        old = self._alive[used] & (self._times[used] < when)
        for key in self._keys[used][old].tolist():
            del self._slot[key]
        self._alive[used] &= ~old
        if len(self._slot) < self._size // 2:
            self._compact(grow=False)

    def within(self, signature: int, bits: int = NEAR_DUPLICATE_BITS, since: float | None = None,
               exclude: int | None = None) -> list[tuple[int, int]]:
        """(distance, key) of every entry at most ``bits`` bits from ``signature`` (and with a time
        at or after ``since``, a key other than ``exclude``), nearest first, ties by key."""
        used = slice(0, self._size)
        distances = _popcount(self._signatures[used] ^ np.uint64(signature & _MASK))
        near = self._alive[used] & (distances <= bits)
        if since is not None:
            near &= self._times[used] >= since
        hits = np.flatnonzero(near)
        found = [(int(d), int(k)) for d, k in zip(distances[hits], self._keys[used][hits])]
        return sorted(pair for pair in found if pair[1] != exclude)

    def _compact(self, grow: bool, room: int = 1) -> None:
        alive = np.flatnonzero(self._alive[: self._size])
        needed = len(alive) + room
        capacity = max(1024, 2 * needed if grow or needed > len(self._keys) else len(self._keys))
        arrays = []
        for array in (self._keys, self._signatures, self._times, self._alive):
            fresh = np.zeros(capacity, dtype=array.dtype)
            fresh[: len(alive)] = array[alive]
            arrays.append(fresh)
        self._keys, self._signatures, self._times, self._alive = arrays
        self._size = len(alive)
        self._slot = {int(k): slot for slot, k in enumerate(self._keys[: self._size].tolist())}
