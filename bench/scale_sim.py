"""Scale simulation: thousands of feeds, two daemons on one PostgreSQL database, for some minutes.

    .venv/bin/python bench/scale_sim.py [--feeds 5000] [--minutes 10] [--interval 5m] [--publish 0.02]

A local site (tests/mockserver.py: ETag, Last-Modified, real 304s) serves ``--feeds`` small feeds;
every minute a share ``--publish`` of them gets a new article (every third one matches the bundled
watch). Two ``newswatch run`` daemons share a fresh PostgreSQL schema (NEWSWATCH_TEST_PG, default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and each source's interval is ``--interval``.

Prints: polls per source against what its interval asks for; how the polls split between the
daemons (each feed request carries no daemon mark, so this is counted from the crawl logs); CPU
seconds and peak memory of each daemon with its crawl children (sampled from /proc); database
rows and size, and per 100,000 articles; alert latency (queued → sent) median and p95; and
sources polled by both daemons for one due time (must be 0).
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.alert_servers import webhook_server  # noqa: E402
from tests.generated_site import make_pages, page_html, write_feed  # noqa: E402
from tests.mockserver import MockServer  # noqa: E402
from tests.procinfo import children  # noqa: E402

PG_URL = os.environ.get("NEWSWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_and_rss(pid: int) -> tuple[float, float, int]:
    """CPU seconds of the process itself, of its children it waited for (finished crawls), and its
    resident kB."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
    except (OSError, AttributeError):
        return 0.0, 0.0, 0
    return (int(stat[11]) + int(stat[12])) / CLK_TCK, (int(stat[13]) + int(stat[14])) / CLK_TCK, rss


def tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children(current)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", default="5m")
    parser.add_argument("--publish", type=float, default=0.02, help="share of feeds with a new article each minute")
    args = parser.parse_args()

    import psycopg
    from sqlalchemy import create_engine, text

    from pipelines.db import upgrade

    schema = f"sim_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    db_url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    upgrade(db_url)
    work = Path(tempfile.mkdtemp(prefix="newswatch-sim-"))
    site = work / "site"
    (site / "articles").mkdir(parents=True)
    (site / "feeds").mkdir()
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    feeds = {n: [] for n in range(args.feeds)}
    counter = 0

    def publish(share: float) -> None:
        nonlocal counter
        for n in list(feeds)[: max(1, int(len(feeds) * share))] if share < 1 else feeds:
            [page] = make_pages(counter, 1, relevant_every=3)
            counter += 1
            (site / page.path.lstrip("/")).write_text(page_html(page), encoding="utf-8")
            feeds[n] = (feeds[n] + [page])[-5:]
            write_feed(site, feeds[n], name=f"feeds/{n}.xml")

    publish(1.0)  # every feed starts with one article
    rotation = 0
    procs: list[subprocess.Popen] = []
    samples: dict[int, list[tuple[float, float, int]]] = {}
    with MockServer(site_dir=site) as server, webhook_server() as hook:
        config = work / "newswatch.toml"
        sources = "".join(f'[[sources]]\nname = "feed {n}"\nurl = "{server.url(f"/feeds/{n}.xml")}"\n'
                          f'interval = "{args.interval}"\n' for n in range(args.feeds))
        config.write_text(f"""[database]
url = "{db_url}"
[crawl]
allow_private_networks = true
download_delay = 0
concurrent_requests = 32
concurrent_requests_per_host = 32
[notify]
targets = ["{hook.url('/sim')}"]
[daemon]
tick = "1s"
notify_interval = "5s"
{sources}""")
        env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
        logs = [(work / f"daemon{i}.log").open("w") for i in range(2)]
        started = time.monotonic()
        for log in logs:
            procs.append(subprocess.Popen([sys.executable, "-m", "crawler.cli", "run"], env=env, cwd=ROOT,
                                          stdout=log, stderr=subprocess.STDOUT))
        next_publish = started + 60
        try:
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(1)
                for daemon in procs:  # CPU of processes that ended is in their parent's cutime
                    own, waited, _ = cpu_and_rss(daemon.pid)
                    per = [cpu_and_rss(pid) for pid in tree(daemon.pid)]
                    running = sum(o + w for o, w, _ in per[1:])  # crawls still running, with their workers
                    samples.setdefault(daemon.pid, []).append((own, waited + running, sum(r for _, _, r in per)))
                if time.monotonic() >= next_publish:
                    keys = list(feeds)
                    rotation = (rotation + int(len(keys) * args.publish)) % len(keys)
                    feeds = {k: feeds[k] for k in keys[rotation:] + keys[:rotation]}
                    publish(args.publish)
                    next_publish += 60
        finally:
            for daemon in procs:
                daemon.send_signal(signal.SIGTERM)
            for daemon in procs:
                daemon.wait(timeout=120)
            for log in logs:
                log.close()
        elapsed = time.monotonic() - started
        requests = server.requests()
    polls: dict[str, list[float]] = {}
    for request in requests:
        if request["path"].startswith("/feeds/"):
            polls.setdefault(request["path"], []).append(request["time"])
    interval = float(re.match(r"(\d+)", args.interval).group(1)) * {"s": 1, "m": 60, "h": 3600}[args.interval[-1]]
    expected = elapsed / interval
    per_source = [len(v) for v in polls.values()] + [0] * (args.feeds - len(polls))
    twice = sum(1 for times in polls.values() for a, b in zip(sorted(times), sorted(times)[1:]) if b - a < interval * 0.5)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar()
        rows = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("sources", "articles", "matches", "alerts", "messages", "crawl_runs")}
        size = conn.execute(text("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                                 "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"),
                            {"s": schema}).scalar()
        latencies = sorted(r[0] for r in conn.execute(text(
            "SELECT EXTRACT(EPOCH FROM sent_at - created_at) FROM alerts WHERE sent_at IS NOT NULL")))
    engine.dispose()
    admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"{args.feeds} feeds, interval {args.interval}, {elapsed / 60:.1f} min, two daemons, PostgreSQL")
    print(f"polls per source: median {statistics.median(per_source):.1f}, min {min(per_source)}, "
          f"max {max(per_source)} (its interval asks for {expected:.1f}); sources never polled: "
          f"{per_source.count(0)}; polled twice for one due time: {twice}")
    for i, daemon in enumerate(procs):
        series = samples.get(daemon.pid, [(0.0, 0.0, 0)])
        own, crawls, _ = series[-1]
        print(f"daemon {i + 1}: CPU of the daemon itself {own:.0f} s ({100 * own / elapsed:.1f} % of a core), "
              f"of its crawls {crawls:.0f} s ({100 * crawls / elapsed:.0f} %); peak memory with its crawls "
              f"{max(r for _, _, r in series) / 1024:.0f} MiB; exit status {daemon.returncode}")
    print(f"rows: {rows}; database {size / 2**20:.1f} MiB"
          + (f", {size / articles * 100_000 / 2**30:.2f} GiB per 100,000 articles" if articles else ""))
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        print(f"alert latency: median {statistics.median(latencies):.1f} s, p95 {p95:.1f} s ({len(latencies)} alerts)")
    return 0 if twice == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
