"""The daemon: crawl sources when they are due, deliver alerts as they appear, stop cleanly.

A signal only sets the stop event (the loop notices within a tick); a second signal forces exit.
Each crawl runs as a child process (`newswatch crawl --due`): the Twisted reactor cannot be
restarted in one process, and a child that leaks or crashes costs one crawl, not the daemon.
On stop the child gets SIGTERM (Scrapy finishes in-flight items) and a grace period, then SIGKILL;
everything it committed stays, and alerts not yet delivered wait in the outbox for the next start.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from crawler.app import App
from pipelines.clock import utcnow
from pipelines.outbox.rows import default_worker_id
from pipelines.retention import BATCH as PRUNE_BATCH, prune_unmatched_texts
from pipelines.sources import claim_due_sources, sync_sources

log = logging.getLogger(__name__)

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's multiprocess mode (crawler/metrics.py)


class LastGoodWatches:
    """Copies of the watch files as they last loaded cleanly.

    An analyst's broken edit is logged once (file, line, what is wrong) and crawls go on with the
    previous good copy of that watch until the file is fixed.
    """

    def __init__(self, paths: list[Path]):
        self.paths = paths
        self.dir = Path(tempfile.mkdtemp(prefix="newswatch-watches-"))
        self.reported: dict[Path, str] = {}

    def refresh(self) -> list[Path]:
        from pipelines.watch import WatchError, parse_watch
        from pipelines.watch.loader import read_watch_source

        good = []
        for i, path in enumerate(self.paths):
            copy = self.dir / f"{i:02d}-{path.name}"
            try:
                text = read_watch_source(path)
                parse_watch(text, str(path))
                fresh = copy.with_name(copy.name + ".new")  # a failed write leaves the good copy whole
                fresh.write_text(text, encoding="utf-8")
                fresh.replace(copy)
                self.reported.pop(path, None)
            except Exception as exc:  # whatever an edit breaks, crawling goes on with the good copy
                problem = str(exc) if isinstance(exc, WatchError) else f"{path}: {type(exc).__name__}: {exc}"
                if self.reported.get(path) != problem:
                    state = "keeping its last good version" if copy.exists() else "it has no good version yet"
                    log.error("watch file is broken (%s): %s", state, problem)
                    self.reported[path] = problem
            if copy.exists():
                good.append(copy)
        return good

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class DaemonError(RuntimeError):
    """The daemon cannot start (e.g. another one runs on the same SQLite database)."""


def single_daemon_lock(database_url: str):
    """Hold an exclusive lock beside an SQLite database for the life of this process.

    SQLite is the single-daemon default: two daemons on one file would both poll every source.
    The kernel drops the lock when the process ends, however it ends. Several daemons share a
    PostgreSQL database instead (sources and alerts are claimed with leases).
    """
    import fcntl

    from sqlalchemy.engine import make_url

    database = make_url(database_url).database
    if not database or database == ":memory:":
        return None
    handle = open(f"{database}.daemon-lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DaemonError(f"another newswatch daemon runs on {database}: an SQLite database takes one daemon "
                          "(use PostgreSQL to run several)") from None
    return handle


PRUNE_EVERY = 86400.0  # seconds between retention passes, once a pass found nothing more to prune


class Daemon:
    def __init__(self, app: App, config_path: str | None = None, web: bool = False):
        self.app, self.config_path, self.web = app, config_path, web
        self._stop_web = None
        self.stop = threading.Event()
        self.child: subprocess.Popen | None = None
        self.child_sources: list[str] = []
        self.last_notify = 0.0
        self.next_prune = 0.0  # monotonic time of the next retention round (daemon.prune_unmatched_after)
        self.signals = 0
        self.watches = LastGoodWatches(app.config.watch_paths())
        self.delivery = None  # made at start, kept across rounds: it remembers each target's pace
        self.worker_id = default_worker_id()  # names this daemon's source leases and alert claims
        self._lock = None
        self._metrics_server = None
        self.child_started = self.started = time.monotonic()

    # -- signals
    def _on_signal(self, signum, _frame) -> None:
        self.signals += 1
        if self.signals > 1:
            log.warning("second signal: exiting now")
            if self.child and self.child.poll() is None:
                self._kill_child_group()
            os._exit(130)
        log.info("signal %s: finishing the current work, then stopping (send again to force)", signum)
        self.stop.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    # -- the loop
    def run(self, once: bool = False) -> None:
        self.install_signal_handlers()
        if self.app.is_sqlite:
            self._lock = single_daemon_lock(self.app.config.database.url)
        observer = self._start_metrics() if self.app.config.daemon.metrics_address else None
        if self.web:  # the review app in a thread of the daemon (newswatch run --web)
            from crawler.web import serve_in_background

            try:
                self._stop_web = serve_in_background(self.app, self.app.config.web.host, self.app.config.web.port)
            except OSError as exc:
                raise DaemonError(str(exc)) from None
        self.delivery = self.app.delivery(worker_id=self.worker_id, observer=observer)  # a bad target: one line
        with self.app.sessions() as session:
            sync_sources(session, self.app.config.sources)
        log.info("newswatch daemon started: %d sources, database %s", len(self.app.config.sources),
                 self.app.engine.url.render_as_string(hide_password=True))
        tick = self.app.config.daemon.tick
        while not self.stop.is_set():
            self._reap_child()
            if self.child is None:
                try:
                    self._start_crawl_if_due()
                except Exception:  # e.g. the database restarting: retried next tick, not fatal
                    log.exception("could not look for due sources; will retry")
            self._notify_if_due(force=once)
            self._prune_if_due()
            if once:
                if self.child is not None:
                    self._wait_child(timeout=None)
                    self._notify_if_due(force=True)
                break
            self.stop.wait(tick)
        self._shutdown()

    def _start_crawl_if_due(self) -> None:
        with self.app.sessions() as session:
            # claimed with a lease: another daemon on the database polls other sources; if this
            # crawl dies, its sources are due again when the lease ends, for any daemon
            due = claim_due_sources(session, self.worker_id, utcnow(), self.app.config.daemon.source_lease)
        if not due:
            return
        command = [sys.executable, "-m", "crawler.cli"]
        if self.config_path:
            command += ["--config", self.config_path]
        command += ["crawl"] + [arg for name in due for arg in ("--source", name)]
        command += [arg for path in self.watches.refresh() for arg in ("--watch-file", str(path))]
        log.info("crawling %d due sources: %s", len(due), ", ".join(due))
        # its own session: a terminal's Ctrl-C reaches only the daemon, which decides what the crawl
        # gets; and a kill can take the crawl's worker processes with it (the whole group)
        self.child = subprocess.Popen(command, start_new_session=True)
        self.child_started = time.monotonic()
        self.child_sources = due

    def _reap_child(self) -> None:
        if self.child is not None and self.child.poll() is not None:
            if self._metrics_server:
                from crawler.metrics import CRAWL_SECONDS

                CRAWL_SECONDS.observe(time.monotonic() - self.child_started)
            code = self.child.returncode
            if code != 0:
                log.warning("crawl of %s exited with status %s", ", ".join(self.child_sources), code)
            self.child = None

    def _wait_child(self, timeout: float | None) -> None:
        try:
            self.child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("crawl did not stop within %.0fs: killing it", timeout)
            self._kill_child_group()
            self.child.wait()
        self.child = None

    def _kill_child_group(self) -> None:
        try:
            os.killpg(self.child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _notify_if_due(self, force: bool = False) -> None:
        interval = self.app.config.daemon.notify_interval
        if not force and time.monotonic() - self.last_notify < interval:
            return
        self.last_notify = time.monotonic()
        try:
            report = self.delivery.run_once()
            if report.sent or report.failed or report.dead:
                log.info("alerts: %d sent, %d failed, %d given up", report.sent, report.failed, report.dead)
        except Exception:  # a broken database or target must not end the daemon; retried next round
            log.exception("alert delivery failed; will retry")

    def _prune_if_due(self) -> None:
        """One batch of retention a round while old unmatched texts remain, then a pass a day: a
        large backlog never holds the loop (and the alerts) for long."""
        age = self.app.config.daemon.prune_unmatched_after
        if not age or time.monotonic() < self.next_prune:
            return
        try:
            outcome = prune_unmatched_texts(self.app.sessions, timedelta(seconds=age), limit=PRUNE_BATCH)
        except Exception:  # a broken database must not end the daemon; tried again in an hour
            log.exception("retention failed; will retry")
            self.next_prune = time.monotonic() + 3600
            return
        if outcome.articles:
            log.info("retention: the texts of %d unmatched articles older than %.0f days pruned",
                     outcome.articles, age / 86400)
        self.next_prune = time.monotonic() + (0 if not outcome.done else PRUNE_EVERY)

    def _shutdown(self) -> None:
        if self.child is not None and self.child.poll() is None:
            log.info("stopping the running crawl (grace %.0fs)", self.app.config.daemon.shutdown_grace)
            self.child.send_signal(signal.SIGTERM)
            self._wait_child(timeout=self.app.config.daemon.shutdown_grace)
        if self._stop_web:
            self._stop_web()
        if self._metrics_server:
            self._metrics_server.shutdown()
            shutil.rmtree(os.environ.pop(METRICS_DIR_ENV, ""), ignore_errors=True)
        self.app.close()
        self.watches.close()
        log.info("newswatch daemon stopped")

    # -- metrics
    def _start_metrics(self):
        """Serve /metrics and /healthz; returns the delivery worker's metrics observer."""
        # multiprocess mode, chosen before anything imports prometheus_client; crawl children inherit it
        os.environ[METRICS_DIR_ENV] = tempfile.mkdtemp(prefix="newswatch-metrics-")
        from crawler import metrics

        self._metrics_server = metrics.serve(self.app.config.daemon.metrics_address, self.app.sessions, self.health)
        return metrics.DeliveryMetrics()

    def health(self) -> tuple[bool, dict]:
        """Healthy when the database answers and a crawl started recently: within twice the longest
        interval of an enabled source (and at least an hour), or there is nothing to crawl."""
        from pipelines.queries import status_summary

        try:
            with self.app.sessions() as session:
                summary = status_summary(session)
        except Exception as exc:
            return False, {"database": f"unreachable: {type(exc).__name__}", "ok": False}
        now = utcnow()
        last = summary["last_crawl_started"]
        allowed = max(2 * (summary["longest_interval"] or 0), 3600.0)
        recent = summary["sources_enabled"] == 0 or (last is not None and (now - last).total_seconds() <= allowed)
        if last is None and summary["sources_enabled"]:  # just started: not stale before its first crawl
            recent = (time.monotonic() - self.started) <= allowed
        return recent, {"ok": recent, "database": "ok", "last_crawl": summary["last_crawl"],
                        "sources_due": summary["sources_due"], "sources_broken": summary["sources_broken"],
                        "outbox": summary["outbox"]}
