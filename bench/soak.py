"""Soak run: the daemon (`newswatch run`) through many crawl cycles against a local site that keeps
publishing, watching memory and alert delivery.

    .venv/bin/python bench/soak.py [--cycles 50] [--minutes 10] [--new-pages 8]

A generated site (tests/generated_site.py: every third page matches the bundled watch) is served
by tests/mockserver.py (ETag, Last-Modified, 304). The source's interval is one second, so the
daemon crawls again as soon as a crawl is over; after each finished crawl the site gets
``--new-pages`` new pages and its feed is rewritten (the newest 50 entries), so every cycle has
new articles, new matches and new alerts. Alerts go to a real local webhook.

Every quarter second the script reads /proc: the daemon's resident memory (VmRSS), and that of
each crawl child and its analysis workers. It stops after ``--cycles`` finished crawls or
``--minutes``, whichever comes first, sends SIGTERM and reports: daemon RSS at the first crawl,
after the first cycle (Apprise loaded, first alerts sent) and at the end, the peak RSS of a crawl process (and of a crawl with its workers), cycles, articles,
alerts queued and received (each exactly once, counting those a `newswatch notify` after the stop
sends: the stop may cut the last crawl short), and how long the stop took. Exit status 1 when a
crawl failed, the daemon did not exit cleanly, or an alert was lost or sent twice.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.alert_servers import webhook_server  # noqa: E402
from tests.generated_site import update_site, write_site  # noqa: E402
from tests.mockserver import MockServer  # noqa: E402
from tests.procinfo import children  # noqa: E402


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=50, help="stop after this many finished crawls")
    parser.add_argument("--minutes", type=float, default=10.0, help="stop after this long in any case")
    parser.add_argument("--initial-pages", type=int, default=30)
    parser.add_argument("--new-pages", type=int, default=8, help="pages added after each crawl")
    parser.add_argument("--workers", type=int, default=None, help="crawl.process_workers (default: the configuration default)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newswatch-soak-") as tmp, webhook_server() as hook:
        work = Path(tmp)
        site = work / "site"
        pages = write_site(site, args.initial_pages, relevant_every=3)
        db = work / "soak.db"
        with MockServer(site_dir=site) as server:
            config = work / "newswatch.toml"
            config.write_text(f"""
[database]
url = "sqlite:///{db}"
[crawl]
allow_private_networks = true
download_delay = 0
concurrent_requests_per_host = 8
{'' if args.workers is None else f'process_workers = {args.workers}'}
[notify]
targets = [{json.dumps(hook.url('/soak'))}]
min_interval = 0
[daemon]
tick = "250ms"
notify_interval = "1s"
log_level = "WARNING"
[[sources]]
name = "Generated news"
url = "{server.url('/feed.xml')}"
interval = "1s"
""")
            env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
            log = (work / "daemon.log").open("w")
            started = time.monotonic()
            daemon = subprocess.Popen([sys.executable, "-m", "crawler.cli", "run"], env=env, cwd=ROOT,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = started + args.minutes * 60
            rss_first = rss_last = rss_peak = rss_cycle1 = 0
            crawl_peak = tree_peak = 0
            finished = failed = 0
            seen_runs: set[int] = set()
            try:
                while time.monotonic() < deadline and finished < args.cycles and daemon.poll() is None:
                    time.sleep(0.25)
                    rss_last = rss_kib(daemon.pid)
                    rss_peak = max(rss_peak, rss_last)
                    for crawl in children(daemon.pid):
                        if not rss_first:
                            rss_first = rss_last  # the daemon, started and settled, at its first crawl
                        workers = children(crawl)
                        crawl_peak = max(crawl_peak, rss_kib(crawl, "VmHWM"))
                        tree_peak = max(tree_peak, rss_kib(crawl) + sum(rss_kib(w) for w in workers))
                    try:
                        with sqlite3.connect(db, timeout=30) as conn:
                            runs = conn.execute("select id, status from crawl_runs where status != 'running'").fetchall()
                    except sqlite3.Error:
                        continue
                    for run_id, status in runs:
                        if run_id not in seen_runs:
                            seen_runs.add(run_id)
                            finished += status == "finished"
                            if len(seen_runs) == 1:
                                rss_cycle1 = rss_last  # settled: Apprise and the first alerts are in
                            failed += status != "finished"
                            pages = update_site(site, pages, args.new_pages, relevant_every=3)  # new work
                elapsed = time.monotonic() - started
                # let the last alerts go out, then stop
                time.sleep(2.5)
                rss_last = rss_kib(daemon.pid) or rss_last
                stop_started = time.monotonic()
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(timeout=120)
                stop_seconds = time.monotonic() - stop_started
            finally:
                if daemon.poll() is None:
                    os.killpg(daemon.pid, signal.SIGKILL)
                log.close()
            with sqlite3.connect(db) as conn:
                left = conn.execute("select count(*) from alerts where status != 'sent'").fetchone()[0]
            # the stop may cut a crawl short and leave its last alerts in the outbox: the next start
            # (here `newswatch notify`) sends them
            subprocess.run([sys.executable, "-m", "crawler.cli", "notify"], env=env, cwd=ROOT, check=True,
                           capture_output=True)

        with sqlite3.connect(db) as conn:
            articles = conn.execute("select count(*) from articles").fetchone()[0]
            matches = conn.execute("select count(*) from matches").fetchone()[0]
            alert_rows = dict(conn.execute("select status, count(*) from alerts group by status").fetchall())
        received = Counter(json.loads(body)["title"] for body in hook.bodies)
        figures = {
            "cycles": finished, "failed_cycles": failed, "minutes": round(elapsed / 60, 2),
            "daemon_rss_first_crawl_mib": round(rss_first / 1024, 1),
            "daemon_rss_after_cycle1_mib": round(rss_cycle1 / 1024, 1), "daemon_rss_end_mib": round(rss_last / 1024, 1),
            "daemon_rss_peak_mib": round(rss_peak / 1024, 1),
            "crawl_peak_rss_mib": round(crawl_peak / 1024, 1), "crawl_with_workers_peak_rss_mib": round(tree_peak / 1024, 1),
            "articles": articles, "matches": matches, "alert_rows": alert_rows,
            "alerts_received": sum(received.values()), "alerts_received_twice": sum(1 for c in received.values() if c > 1),
            "stop_seconds": round(stop_seconds, 1), "daemon_exit": daemon.returncode,
            "alerts_left_at_stop": left,
        }
        print(f"cycles: {finished} finished, {failed} failed, in {elapsed / 60:.1f} min")
        print(f"daemon RSS: {mib(rss_first)} at the first crawl, {mib(rss_cycle1)} after it, "
              f"{mib(rss_last)} at the end (peak {mib(rss_peak)})")
        print(f"crawl child peak RSS: {mib(crawl_peak)} (with its analysis workers: {mib(tree_peak)})")
        print(f"articles stored: {articles}, matches: {matches}, alert rows: {alert_rows}")
        print(f"stop: SIGTERM → exit {daemon.returncode} in {stop_seconds:.1f}s, {left} alerts left in the outbox "
              "(sent by the `newswatch notify` run after it)")
        print(f"alerts received: {sum(received.values())} ({figures['alerts_received_twice']} twice)")
        if args.json:
            print(json.dumps(figures))
        problems = []
        if failed or daemon.returncode != 0:
            problems.append("a crawl failed or the daemon did not exit cleanly")
        if (figures["alerts_received_twice"] or set(alert_rows) != {"sent"}
                or sum(received.values()) != alert_rows["sent"]):
            problems.append("alerts not delivered exactly once")
        if problems:
            print("PROBLEMS: " + "; ".join(problems), file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
