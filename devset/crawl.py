"""The development set through the whole pipeline: served as a local news site, crawled, matched.

    .venv/bin/python devset/crawl.py            # under a minute for the texts present (about 1,300)
    .venv/bin/python devset/crawl.py --keep DIR # and keep the site and the database in DIR (a new one)

report.py hands each text to the matcher as it is stored: no title, the language from the file
name. A crawl meets a page: this puts each text present on a page of its own, its first line as
the headline when it reads as one (the feed item's title and the page's <h1>: the corpus's first
line is usually the page's title; a text that starts with a paragraph gets "Article N") and each
further line as a paragraph of the article; one RSS feed lists them all.
`newswatch crawl` fetches them (Scrapy), extracts the article (trafilatura), detects its language,
stores it and matches the bundled watch. So the figures here include what extraction drops, what
language detection gets wrong, and the title boost the stored texts never get.

It prints, per split, recall and false positives in the current six and the new six as crawled,
beside the same texts matched directly (report.measure), and how many texts the two disagree on.
The tuning split's disagreements are listed by name, with both scores; the held-out split's are
only counted (it is never read for causes).
"""
from __future__ import annotations

import html
import sqlite3
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import measure  # noqa: E402
from texts import CHECKOUT, CURRENT, NEW, read_table, text_path  # noqa: E402

sys.path.insert(0, str(CHECKOUT))
from bench.ingest_bench import serve  # noqa: E402  (bench/static_server.py, once it answers)
from bench.peer_bench import free_port, run_newswatch  # noqa: E402  (a local crawl into SQLite)

WATCH = "russia_pakistan_security"
HEADLINE_WORDS = 25


def page(title: str, lines: list[str]) -> str:
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><main><article><h1>{html.escape(title)}</h1>\n{body}</article></main></body></html>")


def _headline(line: str) -> bool:
    """A line that reads as a headline: short, and not ended as a sentence is."""
    return len(line.split()) <= HEADLINE_WORDS and not line.rstrip("\"'\u201d\u00bb)").endswith((".", "\u06d4", "\u3002"))


def build_site(directory: Path, rows: list[dict], base: str) -> dict[str, str]:
    """Write a page per text and the feed listing them; {page URL: article id}."""
    (directory / "a").mkdir(parents=True)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    urls, items = {}, []
    for i, row in enumerate(rows):
        lines = [line.strip() for line in text_path(row["split"], row).read_text(encoding="utf-8").split("\n")]
        lines = [line[2:] if line.startswith("# ") else line for line in lines if line]
        if _headline(lines[0]) and len(lines) > 1:
            title, rest = lines[0], lines[1:]
        else:  # the text starts with its first paragraph: a headline that names nothing
            title, rest = f"Article {i}", lines
        (directory / "a" / f"{i}.html").write_text(page(title, rest), encoding="utf-8")
        url = f"{base}/a/{i}.html"
        urls[url] = row["id"]
        items.append(f"<item><title>{html.escape(title)}</title><link>{url}</link><guid>{url}</guid>"
                     f"<pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate></item>")
    (directory / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>devset</title>'
        f"<link>{base}/</link><description>the development set</description>{''.join(items)}</channel></rss>",
        encoding="utf-8")
    return urls


def crawled_outcomes(db: Path, urls: dict[str, str]) -> dict[str, dict]:
    """{article id: {"fired", "score", "language"}} for every text the crawl stored."""
    with sqlite3.connect(db) as conn:
        stored = {url: (ident, lang) for ident, url, lang in conn.execute("select id, url, language from articles")}
        scores = dict(conn.execute("select article_id, score from matches where watch = ?", (WATCH,)).fetchall())
    out = {}
    for url, devset_id in urls.items():
        if url in stored:
            article, language = stored[url]
            out[devset_id] = {"fired": article in scores, "score": scores.get(article), "language": language}
    return out


def run(rows: list[dict], keep: Path | None = None) -> tuple[dict[str, dict], float]:
    """Crawl the texts of ``rows`` from a local site: ({article id: outcome}, seconds of the crawl)."""
    with tempfile.TemporaryDirectory(prefix="newswatch-devset-crawl-") as tmp:
        work = keep or Path(tmp)
        port = free_port()
        urls = build_site(work / "site", rows, f"http://127.0.0.1:{port}")
        server = serve(work / "site", port)
        try:
            seconds = run_newswatch(work, [f"http://127.0.0.1:{port}/feed.xml"], len(rows) + 10)[0]
        finally:
            server.kill()
            server.wait()
        return crawled_outcomes(work / "newswatch.db", urls), seconds


def main(argv: list[str]) -> int:
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    rows = [r for r in read_table("split.tsv") if text_path(r["split"], r).exists()]
    if not rows:
        print("no development-set texts here (devset/texts.py says where they go)")
        return 1
    direct = measure()
    crawled, seconds = run(rows, keep)
    print(f"{len(crawled)} of {len(rows)} texts crawled and stored in {seconds:.0f} s "
          f"(not stored: {len(rows) - len(crawled)}: no article extracted, or a copy of another)")
    by_id = {r["id"]: r for r in rows}
    wrong_language = sum(1 for i, c in crawled.items() if c["language"] != by_id[i]["lang"])
    print(f"language detected other than the labelled one: {wrong_language}")
    for split in ("tuning", "heldout"):
        cells = defaultdict(lambda: [0, 0, 0])  # (group, label) -> n, fired when crawled, fired directly
        disagree = []
        for ident, outcome in crawled.items():
            row = by_id[ident]
            if row["split"] != split or row["label"] == "borderline" or ident not in direct:
                continue
            group = "current six" if row["lang"] in CURRENT else "new six" if row["lang"] in NEW else "other"
            cell = cells[(group, row["label"])]
            cell[0] += 1
            cell[1] += outcome["fired"]
            cell[2] += direct[ident]["fired"]
            if outcome["fired"] != direct[ident]["fired"]:
                disagree.append((ident, row["label"], direct[ident]["score"], outcome["score"], outcome["language"]))
        print(f"{split}:")
        for group in ("current six", "new six"):
            rel, irr = cells[(group, "relevant")], cells[(group, "irrelevant")]
            print(f"  {group}: recall crawled {rel[1]}/{rel[0]}, directly {rel[2]}/{rel[0]}; "
                  f"false positives crawled {irr[1]}/{irr[0]}, directly {irr[2]}/{irr[0]}")
        gained = sum(1 for d in disagree if (d[1] == "relevant") == (d[3] is not None))
        print(f"  the two disagree on {len(disagree)} ({gained} the crawl gets right, {len(disagree) - gained} wrong)")
        if split == "tuning":
            for ident, label, was, now, language in sorted(disagree):
                print(f"    {ident} ({label}): directly {was:g}, crawled "
                      f"{'not matched' if now is None else f'{now:g}'} (language {language})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
