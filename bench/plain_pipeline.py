"""The plain pipeline newswatch is measured against (bench/peer_bench.py runs it).

    python bench/plain_pipeline.py --db OUT.db [--extractor trafilatura|news-please] FEED_URL...
    python bench/plain_pipeline.py --f1 DATA_DIR [--extractor …]   # its extractor's accuracy

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
    parser.add_argument("--db")
    parser.add_argument("--f1", metavar="DATA_DIR", help="score the extractor on the article-extraction benchmark "
                        "(bench/extraction_f1.py's metric) instead of crawling")
    parser.add_argument("--extractor", default="trafilatura", choices=["trafilatura", "news-please"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("feeds", nargs="*")
    args = parser.parse_args()
    if args.f1:
        return score(args.f1, args.extractor)
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


def score(data_dir: str, extractor: str) -> None:
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.extraction_f1 import load_pages, mean_scores, page_scores

    _init(extractor)
    pages = load_pages(Path(data_dir))
    started = time.process_time()
    def text(html: str, url: str) -> str:
        try:
            return _extract(html, url)
        except Exception:  # noqa: BLE001 - as in the crawl: a page that fails has no text
            return ""

    scores = mean_scores([page_scores(truth, text(html, url)) for _sha, url, html, truth in pages])
    ms = 1000 * (time.process_time() - started) / len(pages)
    print(f"{extractor}: pages={len(pages)} precision={scores['precision']:.3f} recall={scores['recall']:.3f} "
          f"F1={scores['f1']:.3f} CPU ms/page={ms:.1f}")


if __name__ == "__main__":
    main()
