"""Near-duplicate candidate look-up: the linear scan, an exact banded (LSH) index, the vectorised index.

    .venv/bin/python bench/near_duplicate_bench.py [--sizes 5000,50000,200000] [--queries 200]

For each window size N: N random 64-bit signatures (SimHash bits are as uniform as random ones),
then look-ups of signatures that have near duplicates in the window (a signature of it with 0-16
bits flipped) and of signatures that have none (random). Prints milliseconds of CPU per look-up for
- the linear scan (the code before: every (id, signature, fetched_at) row of the window compared
  with the query in Python, the window re-filtered by date, as RecentSignatures did),
- an exact banded index (``Banded`` below: four 16-bit bands, each probed at every value within 4
  bits, so the pigeonhole principle guarantees it misses nothing within 16 bits), with the share
  of the window it still has to check,
- the vectorised index newswatch uses (``pipelines.dedup.SignatureIndex``: one XOR and popcount
  over the window's array),
the time to build each and its memory, and that all three found the same (distance, id) pairs on
every query.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.dedup import NEAR_DUPLICATE_BITS, SignatureIndex, hamming  # noqa: E402

BANDS, BAND_BITS = 4, 16
BAND_RADIUS = NEAR_DUPLICATE_BITS // BANDS
BAND_MASK = (1 << BAND_BITS) - 1
PROBES = [m for m in range(1 << BAND_BITS) if m.bit_count() <= BAND_RADIUS]  # 2,517 values


class Banded:
    """Exact banded index: a table per band from the band's value to the keys that have it."""

    def __init__(self):
        self.signatures: dict[int, int] = {}
        self.bands: list[dict[int, list[int]]] = [{} for _ in range(BANDS)]

    def add(self, key: int, signature: int) -> None:
        self.signatures[key] = signature
        for band, table in enumerate(self.bands):
            table.setdefault(signature >> (band * BAND_BITS) & BAND_MASK, []).append(key)

    def candidates(self, signature: int) -> set[int]:
        keys = set()
        for band, table in enumerate(self.bands):
            value = signature >> (band * BAND_BITS) & BAND_MASK
            hits = ([v for v in table if (v ^ value).bit_count() <= BAND_RADIUS] if len(table) <= len(PROBES)
                    else table.keys() & {value ^ m for m in PROBES})
            for hit in hits:
                keys.update(table[hit])
        return keys

    def within(self, signature: int) -> list[tuple[int, int]]:
        return sorted((d, key) for key in self.candidates(signature)
                      if (d := (signature ^ self.signatures[key]).bit_count()) <= NEAR_DUPLICATE_BITS)


def linear(rows: list, signature: int, since: datetime) -> list[tuple[int, int]]:
    """The look-up as it was (pipelines/store.py before the index)."""
    rows = [row for row in rows if row[2] >= since]
    return sorted((d, article_id) for article_id, other, _ in rows
                  if (d := hamming(signature, other)) <= NEAR_DUPLICATE_BITS)


def flip(signature: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        signature ^= 1 << bit
    return signature


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000,200000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(20261129)
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    since = now - timedelta(days=7)
    print(f"{'window':>8} {'linear ms':>10} {'banded ms':>10} {'checked':>8} {'build s':>8} {'MiB':>6}"
          f" {'vector ms':>10} {'build s':>8} {'MiB':>6}  same answers")
    for size in (int(s) for s in args.sizes.split(",")):
        signatures = [rng.getrandbits(64) for _ in range(size)]
        rows = [(i + 1, s, now - timedelta(seconds=rng.randrange(6 * 86400))) for i, s in enumerate(signatures)]
        built = {}
        for name, cls in (("banded", Banded), ("vector", SignatureIndex)):
            tracemalloc.start()
            started = time.perf_counter()
            index = cls()
            for article_id, signature, fetched in rows:
                if name == "banded":
                    index.add(article_id, signature)
                else:
                    index.add(article_id, signature, fetched.timestamp())
            built[name] = (index, time.perf_counter() - started, tracemalloc.get_traced_memory()[0] / 2**20)
            tracemalloc.stop()
        banded, vector = built["banded"][0], built["vector"][0]
        queries = [flip(rng.choice(signatures), rng.randint(0, NEAR_DUPLICATE_BITS), rng) if q % 2
                   else rng.getrandbits(64) for q in range(args.queries)]
        times = {"linear": [], "banded": [], "vector": []}
        same = found = 0
        for q in queries:
            answers = []
            for name, look_up in (("linear", lambda q=q: linear(rows, q, since)),
                                  ("banded", lambda q=q: banded.within(q)),
                                  ("vector", lambda q=q: vector.within(q, NEAR_DUPLICATE_BITS, since.timestamp()))):
                started = time.process_time()
                answers.append(look_up())
                times[name].append(time.process_time() - started)
            same += answers[0] == answers[1] == answers[2]
            found += bool(answers[0])
        checked = statistics.mean(len(banded.candidates(q)) for q in queries[:50]) / size
        ms = {k: 1000 * statistics.mean(v) for k, v in times.items()}
        print(f"{size:>8} {ms['linear']:>10.2f} {ms['banded']:>10.2f} {checked:>8.0%} {built['banded'][1]:>8.2f} "
              f"{built['banded'][2]:>6.1f} {ms['vector']:>10.3f} {built['vector'][1]:>8.2f} {built['vector'][2]:>6.1f}  "
              f"{same}/{len(queries)} ({found} with candidates)")


if __name__ == "__main__":
    main()
