"""End-to-end ingest benchmark: a generated local site of N article pages, crawled by `newswatch crawl`.

Prints articles per second for the whole pipeline (Scrapy fetch → extract → match → store in
SQLite, as one `newswatch crawl` process, start-up included) and, in the same run, for extraction
alone (trafilatura on the same pages, in this process), and the ratio between the two.

    .venv/bin/python bench/ingest_bench.py [--pages 1000]

The site is served by bench/static_server.py (files in memory, keep-alive) in a child process on
127.0.0.1 and listed in a sitemap. Pages are ~40 KB: an article of 6–12 paragraphs inside navigation, a sidebar, related
links, comments and scripts, like a real news page, so extraction costs what it costs in the wild.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("government minister security talks defence agreement exercise helicopters border trade "
         "economy parliament election policy officials delegation cooperation regional stability "
         "investment energy pipeline counter-terrorism intelligence army navy forces visit capital "
         "statement spokesman committee analysts report week month year support conflict peace").split()
TOPIC = [
    "Russia and Pakistan held their annual Druzhba joint military exercise near Rawalpindi.",
    "Moscow agreed to supply Mi-35 helicopters to Islamabad under the defence cooperation agreement.",
    "Pakistan's national security adviser met Nikolai Patrushev in Moscow to discuss counter-terrorism.",
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 22))]
    return " ".join(words).capitalize() + "."


def page(i: int, rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(6, 12)):
        sentences = [sentence(rng) for _ in range(rng.randint(3, 6))]
        if i % 10 == 0 and rng.random() < 0.5:
            sentences.insert(1, rng.choice(TOPIC))
        paragraphs.append("<p>" + " ".join(sentences) + "</p>")
    nav = "".join(f'<li><a href="/section/{k}/">Section {k}</a></li>' for k in range(40))
    related = "".join(f'<li><a href="/articles/{rng.randint(0, 999)}.html">{sentence(rng)}</a></li>' for _ in range(15))
    comments = "".join(f'<div class="comment"><b>reader{k}</b><p>{sentence(rng)}</p></div>' for k in range(8))
    script = "<script>var analytics = {" + ",".join(f'"k{k}": {k}' for k in range(300)) + "};</script>"
    title = f"Report {i}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Example News</title>
<meta property="og:title" content="{title}"><meta name="author" content="Staff Reporter">
<meta property="article:published_time" content="2026-11-{1 + i % 27:02d}T08:00:00Z">{script}</head>
<body><header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter</p>{''.join(paragraphs)}</article>
<aside><h3>Most read</h3><ul>{related}</ul></aside><section class="comments">{comments}</section></main>
<footer><p>© Example News. All rights reserved.</p><ul>{nav}</ul></footer></body></html>"""


def build_site(directory: Path, pages: int) -> list[Path]:
    rng = random.Random(20261127)
    (directory / "articles").mkdir(parents=True)
    files = []
    for i in range(pages):
        path = directory / "articles" / f"{i}.html"
        path.write_text(page(i, rng), encoding="utf-8")
        files.append(path)
    return files


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(directory: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("static_server.py")), str(directory), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the site server did not start")


def write_sitemap(directory: Path, base: str, pages: int) -> None:
    urls = "".join(f"<url><loc>{base}/articles/{i}.html</loc><lastmod>2026-11-{1 + i % 27:02d}</lastmod></url>"
                   for i in range(pages))
    (directory / "sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def run_pipeline(work: Path, base: str, pages: int, workers: int | None) -> tuple[float, float, int]:
    db = work / "bench.db"
    workers_line = "" if workers is None else f"process_workers = {workers}"
    config = work / "newswatch.toml"
    config.write_text(f"""
[database]
url = "sqlite:///{db}"
[crawl]
allow_private_networks = true
download_delay = 0
concurrent_requests = 16
concurrent_requests_per_host = 16
max_articles_per_source = {pages}
{workers_line}
[daemon]
log_level = "WARNING"
[[sources]]
name = "bench"
kind = "sitemap"
url = "{base}/sitemap.xml"
""")
    env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
    # the schema is created first so that the timed run measures crawling, not the migration
    subprocess.run([sys.executable, "-m", "crawler.cli", "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crawler.cli", "crawl"], env=env, check=True)
    command_seconds = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select count(*) from articles").fetchone()[0]
        # the crawl itself: from its crawl-run row's start to its end (interpreter start-up excluded)
        crawl_seconds = conn.execute(
            "select (julianday(finished_at) - julianday(started_at)) * 86400 from crawl_runs").fetchone()[0]
    return command_seconds, crawl_seconds, stored


def run_extraction_only(files: list[Path], base: str) -> float:
    from pipelines.extract import extract_article

    started = time.perf_counter()
    for i, path in enumerate(files):
        extract_article(path.read_text(encoding="utf-8"), f"{base}/articles/{i}.html")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="crawl.process_workers (default: the configuration default)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement, alternating; medians are reported")
    args = parser.parse_args()
    pipeline_rates, command_rates, extraction_rates = [], [], []
    with tempfile.TemporaryDirectory(prefix="newswatch-bench-") as tmp:
        work = Path(tmp)
        site = work / "site"
        files = build_site(site, args.pages)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        write_sitemap(site, base, args.pages)
        server = serve(site, port)
        try:
            for run in range(args.repeat):
                run_dir = work / f"run{run}"
                run_dir.mkdir()
                command_seconds, crawl_seconds, stored = run_pipeline(run_dir, base, args.pages, args.workers)
                if stored != args.pages:
                    raise SystemExit(f"the pipeline stored {stored} of {args.pages} pages")
                pipeline_rates.append(stored / crawl_seconds)
                command_rates.append(stored / command_seconds)
                extraction_rates.append(len(files) / run_extraction_only(files, base))
                print(f"run {run + 1}: pipeline {pipeline_rates[-1]:.1f}/s, extraction alone {extraction_rates[-1]:.1f}/s")
        finally:
            server.terminate()
            server.wait()
    pipeline, command, extraction = (statistics.median(r) for r in (pipeline_rates, command_rates, extraction_rates))
    workers = "default" if args.workers is None else args.workers
    print(f"pages: {args.pages}, crawl.process_workers = {workers}, medians of {args.repeat} runs")
    print(f"whole pipeline (fetch+extract+match+store, the crawl):  {pipeline:7.1f} articles/s")
    print(f"  the same with interpreter start-up (whole command):   {command:7.1f} articles/s")
    print(f"extraction alone (trafilatura, same pages, one process): {extraction:7.1f} articles/s")
    print(f"ratio pipeline / extraction: {pipeline / extraction:.2f} (target >= 0.75)")


if __name__ == "__main__":
    main()
