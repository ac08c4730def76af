"""newswatch against its peers, same run, same local site of real pages.

    .venv/bin/python bench/peer_bench.py [--repeat 3] [--hosts 5] [--peers newswatch,plain,news-please]
                                         [--feed-content] [--profile DIR]

The site: the 181 real pages of the article-extraction benchmark under ``--hosts`` loopback hosts
(127.0.0.2, 127.0.0.3, …, one port), each host with an RSS feed of its 181 pages. Each host's copy
of a page starts its first long paragraph with the host's own dateline ("HOST-2 (Agency) — "), so
the copies are five different articles of one story, as when five sites carry one wire story:
newswatch stores each and links copies 2–5 to the first as near duplicates (the hardest case for
its near-duplicate check), and the exact-duplicate check has nothing to drop. With
``--feed-content`` every feed entry also carries the page's article (the benchmark's own body
text, as paragraphs) in ``content:encoded``: the case where newswatch need not fetch the page.

Peers, each a fresh process per run, runs alternating (A B C, B C A, …), medians reported:
- ``newswatch``: ``newswatch crawl`` of the five feeds (Scrapy, extraction, language, identity,
  SimHash, watch matching, store in SQLite with near-duplicate check), default ``process_workers``;
- ``plain``: bench/plain_pipeline.py: feedparser + requests + ``trafilatura.extract`` (defaults) in
  a pool of two processes, one ``executemany`` into SQLite at the end;
- ``before`` (with ``--before DIR``): ``newswatch crawl`` from another checkout, e.g. the commit
  before a change, to measure before and after in the same run;
- ``news-please``: the same plain pipeline with ``NewsPlease.from_html`` as the extractor
  (installed in a virtualenv of its own, ``.venv-peers``, see bench/README.md).

Printed per peer: articles per second (pages handled / wall time of the whole command, start-up
included), CPU seconds per article (user + system of the process and its workers) and peak RSS,
and the ratio newswatch / plain. The load average is printed before and after each run: the
machine has two cores and other people's tests may share them.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.extraction_f1 import load_pages  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
_LONG_PARAGRAPH = re.compile(r"(<p\b[^>]*>)(?=[^<]{120})", re.IGNORECASE)


# --- the site ---------------------------------------------------------------------------------

def host_ip(k: int) -> str:
    return f"127.0.0.{2 + k}"


def build_site(directory: Path, hosts: int, port: int, feed_content: bool) -> int:
    pages = load_pages(DATA)
    now = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    for k in range(hosts):
        base = f"http://{host_ip(k)}:{port}"
        root = directory / host_ip(k)
        (root / "articles").mkdir(parents=True)
        items = []
        for i, (sha, _url, html, truth) in enumerate(pages):
            dateline = f"HOST-{k + 2} (Agency) — "
            html, n = _LONG_PARAGRAPH.subn(lambda m: m[1] + dateline, html, count=1)
            (root / "articles" / f"{sha}.html").write_text(html, encoding="utf-8")
            link = f"{base}/articles/{sha}.html"
            first = (truth or "").strip().split("\n")[0][:300]
            content = ""
            if feed_content:
                body = "".join(f"<p>{escape(p)}</p>" for p in (dateline + (truth or "")).split("\n") if p.strip())
                content = f"<content:encoded><![CDATA[{body}]]></content:encoded>"
            items.append(f"<item><title>Story {i} from host {k + 2}</title><link>{link}</link>"
                         f"<guid>{link}</guid><pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate>"
                         f"<description>{escape(first)}</description>{content}</item>")
        (root / "feed.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>host {k + 2}</title><link>{base}/</link><description>bench</description>"
            + "".join(items) + "</channel></rss>", encoding="utf-8")
    return len(pages) * hosts


def serve(directory: Path, hosts: int, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(directory), str(hosts), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for k in range(hosts):
        for _ in range(200):
            try:
                socket.create_connection((host_ip(k), port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            server.kill()
            raise RuntimeError(f"the site server did not start on {host_ip(k)}:{port}")
    return server


def _serve_forever(directory: str, hosts: int, port: int) -> None:
    """One threaded server per host, files in memory, keep-alive (as bench/static_server.py)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    types = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml"}
    servers = []
    for k in range(hosts):
        root = Path(directory) / host_ip(k)
        files = {"/" + p.relative_to(root).as_posix(): (p.read_bytes(), types.get(p.suffix, "text/plain"))
                 for p in root.rglob("*") if p.is_file()}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            site = files

            def do_GET(self):  # noqa: N802
                path = self.path.split("?", 1)[0]
                body, ctype = self.site.get(path, (b"not found", "text/plain"))
                self.send_response(200 if path in self.site else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer((host_ip(k), port), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the peers --------------------------------------------------------------------------------

def timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, children included) and peak RSS (MiB) of cmd."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr_thread_out: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_thread_out.append(proc.stderr.read()))
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{stderr_thread_out[0].decode()[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_newswatch(work: Path, feeds: list[str], per_feed: int, root: Path = ROOT) -> tuple[float, float, float, dict]:
    db = work / "newswatch.db"
    sources = "".join(f'[[sources]]\nname = "host{k}"\nkind = "feed"\nurl = "{url}"\n\n' for k, url in enumerate(feeds))
    config = work / "newswatch.toml"
    config.write_text(f"""[database]
url = "sqlite:///{db}"
[crawl]
allow_private_networks = true
download_delay = 0
concurrent_requests = 16
concurrent_requests_per_host = 8
max_articles_per_source = {per_feed}
[daemon]
log_level = "WARNING"
{sources}""")
    env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
    env.pop("NEWSWATCH_DATABASE_URL", None)  # it would win over the config's database
    subprocess.run([sys.executable, "-m", "crawler.cli", "db", "upgrade"], env=env, cwd=root, check=True,
                   capture_output=True)
    wall, cpu, rss = timed([sys.executable, "-m", "crawler.cli", "crawl"], env=env, cwd=root)
    with sqlite3.connect(db) as conn:
        row = conn.execute("select items_seen, articles_new, duplicates, errors, "
                           "(julianday(finished_at) - julianday(started_at)) * 86400 from crawl_runs").fetchone()
        near = conn.execute("select count(*) from near_duplicates").fetchone()[0]
        origins = dict(conn.execute("select content_origin, count(*) from articles group by 1").fetchall())
    detail = {"items": row[0], "stored": row[1], "duplicates": row[2], "errors": row[3], "crawl_seconds": row[4],
              "near_duplicates": near, "origins": origins}
    return wall, cpu, rss, detail


def run_plain(work: Path, feeds: list[str], extractor: str, python: str) -> tuple[float, float, float, dict]:
    db = work / f"{extractor}.db"
    wall, cpu, rss = timed([python, str(ROOT / "bench" / "plain_pipeline.py"), "--db", str(db),
                            "--extractor", extractor, *feeds], cwd=ROOT)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select count(*) from articles where text != ''").fetchone()[0]
        items = conn.execute("select count(*) from articles").fetchone()[0]
    return wall, cpu, rss, {"items": items, "stored": stored}


def loadavg() -> str:
    return "%.2f" % os.getloadavg()[0]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        _serve_forever(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--peers", default="newswatch,plain,news-please")
    parser.add_argument("--feed-content", action="store_true", help="feeds carry the full article (content:encoded)")
    parser.add_argument("--json", action="store_true", help="print the raw runs as JSON at the end")
    parser.add_argument("--before", type=Path, help="another checkout of newswatch (e.g. `git archive` of an older "
                        "commit): run as the extra peer 'before', with this virtualenv")
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    if args.before:
        peers.insert(1, "before")
    if "news-please" in peers and not PEERS_PYTHON.exists():
        print(f"news-please: {PEERS_PYTHON} missing, peer left out (see bench/README.md)")
        peers.remove("news-please")
    runs: dict[str, list[dict]] = {p: [] for p in peers}
    with tempfile.TemporaryDirectory(prefix="newswatch-peers-") as tmp:
        work = Path(tmp)
        port = free_port()
        pages = build_site(work / "site", args.hosts, port, args.feed_content)
        feeds = [f"http://{host_ip(k)}:{port}/feed.xml" for k in range(args.hosts)]
        server = serve(work / "site", args.hosts, port)
        try:
            for r in range(args.repeat):
                order = peers[r % len(peers):] + peers[: r % len(peers)]
                for peer in order:
                    run_dir = work / f"{peer}-{r}"
                    run_dir.mkdir()
                    before = loadavg()
                    if peer == "newswatch":
                        wall, cpu, rss, detail = run_newswatch(run_dir, feeds, pages // args.hosts)
                    elif peer == "before":
                        wall, cpu, rss, detail = run_newswatch(run_dir, feeds, pages // args.hosts, args.before.resolve())
                    elif peer == "plain":
                        wall, cpu, rss, detail = run_plain(run_dir, feeds, "trafilatura", sys.executable)
                    else:
                        wall, cpu, rss, detail = run_plain(run_dir, feeds, "news-please", str(PEERS_PYTHON))
                    items = detail["items"]
                    if items != pages:
                        raise SystemExit(f"{peer} handled {items} of {pages} pages: {detail}")
                    runs[peer].append({"rate": items / wall, "cpu_ms": 1000 * cpu / items, "rss": rss,
                                       "wall": wall, "load": f"{before}->{loadavg()}", **detail})
                    print(f"run {r + 1} {peer:11s} {items / wall:6.1f} articles/s  {1000 * cpu / items:5.1f} ms CPU/article"
                          f"  {wall:5.1f} s  load {before}->{loadavg()}  {json.dumps(detail)}", flush=True)
        finally:
            server.terminate()
            server.wait()
    print(f"\n{pages} pages ({args.hosts} hosts x {pages // args.hosts}), feed content: {args.feed_content}, "
          f"medians of {args.repeat} alternating runs, {os.cpu_count()} cores")
    med = {p: {k: statistics.median(run[k] for run in runs[p]) for k in ("rate", "cpu_ms", "rss")} for p in peers}
    for p in peers:
        print(f"{p:11s} {med[p]['rate']:6.1f} articles/s  {med[p]['cpu_ms']:5.1f} ms CPU/article  "
              f"peak RSS {med[p]['rss']:.0f} MiB (largest process)")
    if "newswatch" in med and "plain" in med:
        ratios = [a["rate"] / b["rate"] for a, b in zip(runs["newswatch"], runs["plain"])]
        print(f"newswatch / plain: {med['newswatch']['rate'] / med['plain']['rate']:.2f} "
              f"(per run: {', '.join(f'{x:.2f}' for x in ratios)}; target >= 0.85)")
    if "newswatch" in med and "before" in med:
        print(f"newswatch / before: {med['newswatch']['rate'] / med['before']['rate']:.2f}; "
              f"before / plain: {med['before']['rate'] / med['plain']['rate']:.2f}" if "plain" in med else "")
    if "newswatch" in med and "news-please" in med:
        print(f"newswatch / news-please: {med['newswatch']['rate'] / med['news-please']['rate']:.2f}")
    if args.json:
        print(json.dumps(runs))


if __name__ == "__main__":
    main()
