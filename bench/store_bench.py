"""The store alone: milliseconds per article for ``pipelines.store.store_article`` in SQLite.

    .venv/bin/python bench/store_bench.py [--window 0,50000] [--hosts 5] [--repeat 3]

Records are analysed first (extraction, identity, SimHash, the bundled watch), outside the timing:
the 181 real pages of the article-extraction benchmark, each under ``--hosts`` URLs with its own
dateline, as bench/peer_bench.py serves them (copies 2-5 of a page are near duplicates of the
first, or exact duplicates when the page has no paragraph to put a dateline in). Then each is
stored, as the crawler stores it (one ``RecentSignatures`` for the run), into a fresh SQLite
database that already holds ``--window`` articles of the last seven days (random signatures,
inserted directly): the near-duplicate look-up then compares with that many signatures. Prints
milliseconds of CPU and of wall time per stored article (median of ``--repeat`` runs) and the
outcomes.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.extraction_f1 import load_pages  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
_LONG_PARAGRAPH = re.compile(r"(<p\b[^>]*>)(?=[^<]{120})", re.IGNORECASE)


def records(hosts: int):
    from crawler.config import bundled_watch_paths
    from pipelines import workers
    from pipelines.items import ArticleItem

    workers._init_worker(bundled_watch_paths())
    analysed = []
    for k in range(hosts):
        for sha, _url, html, _truth in load_pages(DATA):
            html = _LONG_PARAGRAPH.sub(lambda m: m[1] + f"HOST-{k + 2} (Agency) — ", html, count=1)
            record, results = workers.analyse(ArticleItem(url=f"http://127.0.0.{k + 2}/articles/{sha}.html",
                                                          source="bench", html=html, title=f"Story {sha[:8]}"))
            if record is not None:
                analysed.append((record, results))
    return analysed


def fill_window(db: Path, size: int) -> None:
    rng = random.Random(size)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "insert into articles (url, canonical_url, content_hash, text, content_origin, discovered_via, "
            "fetched_at, simhash) values (?, ?, ?, 'old text', 'page', 'feed', ?, ?)",
            [(f"https://old.example/{i}", f"https://old.example/{i}", f"{i:064x}",
              (now - timedelta(seconds=rng.randrange(6 * 86400))).isoformat(sep=" "), rng.getrandbits(64) - (1 << 63))
             for i in range(size)])


def run(analysed, window: int, work: Path) -> tuple[float, float, Counter]:
    from pipelines.db import make_engine, session_factory, upgrade
    from pipelines.store import RecentSignatures, store_article
    from pipelines.targets import load_target

    db = work / f"store-{window}-{time.monotonic_ns()}.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    fill_window(db, window)
    engine = make_engine(url)
    sessions = session_factory(engine)
    targets = [load_target("json://127.0.0.1:9/analysts")]
    recent = RecentSignatures()
    outcomes: Counter[str] = Counter()
    cpu, wall = time.process_time(), time.perf_counter()
    for record, results in analysed:
        outcome = store_article(sessions, record, results, targets, None, recent)
        outcomes[outcome.status] += 1
        outcomes["near duplicate"] += outcome.near_duplicate_of is not None
        outcomes["alerts"] += outcome.alerts
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    engine.dispose()
    return 1000 * cpu / len(analysed), 1000 * wall / len(analysed), outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", default="0,50000", help="articles already in the 7-day window, comma-separated")
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    analysed = records(args.hosts)
    print(f"{len(analysed)} records analysed; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="newswatch-store-") as tmp:
        for window in (int(w) for w in args.window.split(",")):
            runs = [run(analysed, window, Path(tmp)) for _ in range(args.repeat)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            print(f"window {window:>6}: {cpu:5.2f} ms CPU, {wall:5.2f} ms wall per article "
                  f"(runs: {', '.join(f'{r[0]:.2f}' for r in runs)}); {dict(runs[-1][2])}")


if __name__ == "__main__":
    main()
