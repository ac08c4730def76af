"""Review app latency at scale: 100,000 articles and 20,000 matches, on SQLite and PostgreSQL.

Seeds a fresh database (bulk inserts; the full-text index is kept by the database's own triggers or
GIN index, as in production), then times requests through the whole app in-process (Starlette's
TestClient: routing, queries, templates), each repeated, and prints p50 / p95 / max in ms:
the inbox's first page, a page 300 pages deep (keyset), a filtered inbox (watch + language +
unreviewed), full-text search for a common and a rare word, and match pages.

    .venv/bin/python bench/web_bench.py [--articles 100000] [--matches 20000] [--repeat 30] [--pg URL|--no-pg]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from crawler.app import App  # noqa: E402
from crawler.config import from_dict  # noqa: E402
from pipelines.clock import utcnow  # noqa: E402
from pipelines.db import upgrade  # noqa: E402
from pipelines.models import Article, Feedback, Match, Source  # noqa: E402

WORDS = ("security defence talks minister army exercise border trade energy pipeline agreement visit "
         "delegation cooperation counter terrorism region summit navy helicopter deal gas price market "
         "election court budget farmers grain harvest weather storm football match festival").split()
RARE = "Zanzibarite"
LANGUAGES = ["en"] * 6 + ["pl", "ru", "ur", "de", "fr"]
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def seed(sessions, articles: int, matches: int, rng: random.Random) -> None:
    now = utcnow()
    with sessions() as s:
        s.execute(insert(Source), [{"name": f"source {i}", "kind": "feed", "url": f"https://s{i}.example/feed",
                                    "interval_seconds": 900, "enabled": True, "consecutive_failures": 0,
                                    "articles_found": 0, "created_at": now} for i in range(50)])
        source_ids = list(s.scalars(select(Source.id)))
        s.commit()
    step = articles / matches
    match_every = {int(i * step) for i in range(matches)}
    batch, match_rows, offsets = [], [], {}
    with sessions() as s:
        for n in range(articles):
            words = [rng.choice(WORDS) for _ in range(150)]
            if n % 5000 == 17:
                words[40] = RARE
            body = " ".join(words[:60]).capitalize() + ". Russia and Pakistan " + " ".join(words[60:]) + "."
            offsets[n] = body.index(". Russia") + 2  # a stored hit, for the match page's highlighting
            fetched = now - timedelta(seconds=(articles - n) * 25)
            batch.append({"source_id": rng.choice(source_ids), "url": f"https://news.example/{n}",
                          "canonical_url": f"https://news.example/{n}", "content_hash": f"{n:064x}",
                          "title": f"{' '.join(words[:6]).capitalize()} {n}", "text": body,
                          "language": rng.choice(LANGUAGES), "published_at": fetched, "fetched_at": fetched,
                          "content_origin": "page", "discovered_via": "feed"})
            if len(batch) == 2000 or n == articles - 1:
                s.execute(insert(Article), batch)
                batch = []
        s.commit()
        ids = list(s.scalars(select(Article.id).order_by(Article.id)))
        for n in sorted(match_every):
            match_rows.append({"article_id": ids[n], "watch": "russia_pakistan_security" if n % 4 else "other_watch",
                               "score": round(rng.uniform(4, 20), 1), "threshold": 4.0,
                               "terms": [{"term": "Russia", "group": "russia", "form": "Russia",
                                          "start": offsets[n], "end": offsets[n] + 6,
                                          "field": "text"}],
                               "rules": ["both countries"], "snippet": "Russia and Pakistan …",
                               "detail": {"reasons": ["bench"]},
                               "created_at": now - timedelta(seconds=(articles - n) * 25)})
        for i in range(0, len(match_rows), 2000):
            s.execute(insert(Match), match_rows[i:i + 2000])
        s.commit()
        match_ids = list(s.scalars(select(Match.id)))
        s.execute(insert(Feedback), [{"match_id": m, "verdict": rng.choice(["relevant", "relevant", "irrelevant"]),
                                      "created_at": now} for m in rng.sample(match_ids, len(match_ids) // 3)])
        s.commit()
        s.execute(text("ANALYZE"))  # as autovacuum (PostgreSQL) would have by now; SQLite: planner statistics
        s.commit()


def timed(client, path: str, repeat: int) -> tuple[float, float, float]:
    client.get(path)  # warm: templates compiled, caches filled
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))], samples[-1]


def run(url: str, label: str, articles: int, matches: int, repeat: int) -> None:
    from starlette.testclient import TestClient

    from crawler.web import create_app

    upgrade(url)
    app = App(from_dict({"database": {"url": url}}))
    started = time.perf_counter()
    seed(app.sessions, articles, matches, random.Random(7))
    print(f"\n{label}: seeded {articles:,} articles, {matches:,} matches in {time.perf_counter() - started:.0f} s")
    with app.sessions() as s:
        ids = list(s.scalars(select(Match.id).order_by(Match.id.desc())))
    deep = ids[min(len(ids) - 1, 300 * 50)]
    cases = [
        ("inbox, first page", "/"),
        ("inbox, page 301 (keyset)", f"/?before={deep}"),
        ("inbox, watch + language + unreviewed", "/?watch=russia_pakistan_security&language=pl&verdict=unreviewed"),
        ("inbox, verdict = relevant", "/?verdict=relevant"),
        ("search, common word (in every article)", "/?q=pakistan"),
        ("search, rare word", f"/?q={RARE}"),
        ("search + filter, page 3", f"/?q=helicopter&language=en&before={ids[120]}"),
        ("match page (newest)", f"/matches/{ids[0]}"),
        ("match page (oldest)", f"/matches/{ids[-1]}"),
    ]
    print(f"{'request':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    with TestClient(create_app(app)) as client:
        for name, path in cases:
            p50, p95, worst = timed(client, path, repeat)
            print(f"{name:45} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--matches", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL (a throwaway schema is made in it)")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite", args.articles, args.matches, args.repeat)
    if args.no_pg:
        return
    try:
        import psycopg

        admin = psycopg.connect(args.pg.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True,
                                connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        print(f"\nPostgreSQL: skipped ({type(exc).__name__}: {exc})")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{args.pg}?options=-csearch_path%3D{schema}"
        run(url, "PostgreSQL", args.articles, args.matches, args.repeat)
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


if __name__ == "__main__":
    main()
