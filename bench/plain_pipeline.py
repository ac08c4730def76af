"""The plain pipeline newswatch is measured against (bench/peer_bench.py runs it).

    python bench/plain_pipeline.py --db OUT.db [--extractor trafilatura|news-please] FEED_URL...

What a developer would write in an afternoon: feedparser on each feed (fetched with requests),
then a pool of two processes that each fetch a page with requests and extract it
(``trafilatura.extract`` with its defaults, or news-please's ``NewsPlease.from_html``), and one
``executemany`` into SQLite at the end. No politeness, no robots.txt, no conditional GET, no
fallback to the feed's text, no language, no duplicates, no matching, no alerts: the floor.
"""
from __future__ import annotations

import argparse
import sqlite3
from multiprocessing import Pool

import feedparser
import requests

_session = None
_extract = None


def _init(extractor: str) -> None:
    global _session, _extract
    _session = requests.Session()
    if extractor == "trafilatura":
        import trafilatura

        _extract = lambda html, url: trafilatura.extract(html, url=url) or ""  # noqa: E731
    else:
        from newsplease import NewsPlease

        def _extract(html, url):
            article = NewsPlease.from_html(html, url=url, fetch_images=False)
            return (article.maintext or "") if article else ""


def work(entry: tuple[str, str]) -> tuple[str, str, str]:
    url, title = entry
    try:
        response = _session.get(url, timeout=30)
        return url, title, _extract(response.text, url)
    except Exception:  # noqa: BLE001 - one bad page must not stop the run
        return url, title, ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--extractor", default="trafilatura", choices=["trafilatura", "news-please"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("feeds", nargs="+")
    args = parser.parse_args()
    entries = []
    with requests.Session() as session:
        for feed in args.feeds:
            parsed = feedparser.parse(session.get(feed, timeout=30).content)
            entries += [(e.link, e.get("title", "")) for e in parsed.entries]
    with Pool(args.workers, initializer=_init, initargs=(args.extractor,)) as pool:
        rows = list(pool.imap_unordered(work, entries, chunksize=4))
    with sqlite3.connect(args.db) as conn:
        conn.execute("create table articles (id integer primary key, url text unique, title text, text text)")
        conn.executemany("insert into articles (url, title, text) values (?, ?, ?)", rows)


if __name__ == "__main__":
    main()
