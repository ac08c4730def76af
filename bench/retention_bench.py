"""What retention gives back: a store of old articles, most matching nothing, pruned in one run.

    .venv/bin/python bench/retention_bench.py [--articles 50000] [--matched 0.02] [--chars 3000]

Builds a migrated SQLite store (the embedded default) of ``--articles`` articles fetched 200 days
ago, each with a ``--chars``-character text, a share of them matched; then runs
``prune_unmatched_texts`` (180 days) and prints the database file's size before, after pruning
(SQLite keeps the freed pages for new rows), after VACUUM, and after merging the search index's
deleted entries (FTS5 'optimize', which its automatic merging otherwise does bit by bit) and
VACUUM again; articles pruned per second; and that every matched text and every row is still there.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.clock import utcnow  # noqa: E402
from pipelines.db import make_engine, session_factory, upgrade  # noqa: E402
from pipelines.models import Article, Match  # noqa: E402
from pipelines.retention import prune_unmatched_texts  # noqa: E402
from pipelines.search import FTS_TABLE  # noqa: E402

WORDS = ("ministry talks delegation border trade wheat weather port train bank market energy road "
         "school court river election budget festival harvest rain museum hospital bridge").split()


def text_of(rng: random.Random, chars: int) -> str:
    words, length = [], 0
    while length < chars:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:chars]


def megabytes(path: Path) -> float:
    """The database file's size once its write-ahead log is folded in and emptied."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size / 2**20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--matched", type=float, default=0.02, help="share of articles a watch matched")
    parser.add_argument("--chars", type=int, default=3000, help="characters of each text")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "newswatch.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        long_ago = utcnow() - timedelta(days=200)
        matched = set(rng.sample(range(args.articles), int(args.articles * args.matched)))
        with sessions() as s:
            for start in range(0, args.articles, 2000):
                s.execute(insert(Article), [
                    dict(url=f"https://site{n % 50}.example/{n}", canonical_url=f"https://site{n % 50}.example/{n}",
                         content_hash=f"{n:064x}", title=f"Article {n}", text=text_of(rng, args.chars),
                         fetched_at=long_ago, language="en")
                    for n in range(start, min(start + 2000, args.articles))])
            s.commit()
            ids = s.scalars(select(Article.id).order_by(Article.id)).all()
            s.execute(insert(Match), [dict(article_id=ids[n], watch="w", score=12.0, threshold=10.0, terms=[],
                                           rules=[], snippet="", detail={}) for n in sorted(matched)])
            s.commit()
        engine.dispose()
        before = megabytes(path)
        engine = make_engine(url)
        sessions = session_factory(engine)
        started = time.perf_counter()
        outcome = prune_unmatched_texts(sessions, timedelta(days=180))
        seconds = time.perf_counter() - started
        with sessions() as s:
            rows = s.scalar(select(func.count()).select_from(Article))
            kept = s.scalar(select(func.count()).select_from(Article).join(Match).where(Article.text != ""))
        engine.dispose()
        after = megabytes(path)
        with sqlite3.connect(path) as db:
            db.execute("VACUUM")
        vacuumed = megabytes(path)
        with sqlite3.connect(path) as db:  # the search index's deleted entries, merged away
            db.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
        with sqlite3.connect(path) as db:
            db.execute("VACUUM")
        optimized = megabytes(path)
    print(f"articles={args.articles} matched={len(matched)} chars={args.chars}")
    print(f"pruned={outcome.articles} in {seconds:.1f} s ({outcome.articles / seconds:,.0f} articles/s), "
          f"{outcome.characters / 2**20:.0f} M characters")
    print(f"database MB: before={before:.0f} after_prune={after:.0f} after_vacuum={vacuumed:.0f} "
          f"({vacuumed / before:.0%} of before), after_fts_optimize_and_vacuum={optimized:.0f}")
    print(f"rows kept={rows}/{args.articles}, matched texts kept={kept}/{len(matched)}")
    return 0 if rows == args.articles and kept == len(matched) else 1


if __name__ == "__main__":
    sys.exit(main())
