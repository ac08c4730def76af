"""PostgreSQL restarted under newswatch: connections come back, nothing half-committed remains.

Each test gets its own throwaway PostgreSQL cluster: ``initdb`` into a temporary directory (trust
auth, listening only on 127.0.0.1 on a free port and on a unix socket inside that directory), one
database made by the migrations, and ``pg_ctl … -m fast`` to restart it under newswatch (open
transactions are rolled back, connections cut). The machine's shared server is never touched.
PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` system user.
Without ``initdb``/``pg_ctl``/``postgres`` (on PATH or under /usr/lib/postgresql/*/bin), or when
``initdb`` fails, the tests skip and say why (under ``CI=true`` they fail instead). The server is
always stopped and the directory removed afterwards, even when a test fails.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Alert, Article, CrawlRun, Match
from tests.generated_site import story_text
from tests.procinfo import alive
from tests.test_crash_recovery import (
    PAGES,
    alert_statuses,
    check_store,
    count,
    newswatch,
    paced,
    site,
    start,
    titles,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.slow

PG_TOOLS = ("initdb", "pg_ctl", "postgres")
DATABASE = "newswatch"
IDLE_OUTAGE = "could not look for due sources; will retry"


# --- the throwaway cluster ----------------------------------------------------------------------

def _skip(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: the PostgreSQL restart tests must run)")
    pytest.skip(reason)


def _pg_bin() -> Path | str:
    """The directory holding initdb, pg_ctl and postgres (PATH first, then the newest
    /usr/lib/postgresql/*/bin), or why there is none."""
    on_path = [shutil.which(tool) for tool in PG_TOOLS]
    if all(on_path) and len({Path(p).parent for p in on_path}) == 1:
        return Path(on_path[0]).parent
    versioned = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                       key=lambda d: [int(x) if x.isdigit() else 0 for x in Path(d).parent.name.split(".")],
                       reverse=True)
    for directory in versioned:
        if all(os.access(Path(directory, tool), os.X_OK) for tool in PG_TOOLS):
            return Path(directory)
    missing = [tool for tool, path in zip(PG_TOOLS, on_path) if not path]
    if missing:
        return f"PostgreSQL server binaries not found: {', '.join(missing)} (not on PATH nor in /usr/lib/postgresql/*/bin)"
    return f"initdb, pg_ctl and postgres are on PATH but in different directories: {on_path}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, run by the current user, or by ``postgres``
    when that is root."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="nw-pg-"))
        self.data, self.sockets, self.log = self.root / "data", self.root / "sockets", self.root / "postgresql.log"
        self.port = 0
        self.sockets.mkdir()
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        # cwd: the postgres user may not be allowed into the project directory
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=timeout)

    def pg_ctl(self, action: str, timeout: float = 120) -> subprocess.CompletedProcess:
        args = ["-D", str(self.data), "-w", "-t", str(int(timeout) - 5), action]
        if action in ("start", "restart"):
            args += ["-l", str(self.log)]
        if action in ("stop", "restart"):
            args += ["-m", "fast"]
        return self.run("pg_ctl", *args, timeout=timeout)

    def init(self) -> str | None:
        """initdb (trust auth, superuser ``postgres``); returns why it failed, or None."""
        done = self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C", "--no-sync")
        if done.returncode != 0:
            return f"initdb failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}"
        return None

    def start(self) -> None:
        """Start on a free port (another one if that was taken meanwhile); fails with the log."""
        for _ in range(5):
            self.configure(_free_port())
            done = self.pg_ctl("start")
            if done.returncode == 0:
                return
            if "could not bind" not in self.log_tail() and "already in use" not in self.log_tail():
                break
        pytest.fail(f"the throwaway PostgreSQL did not start ({done.returncode}): "
                    f"{(done.stderr or done.stdout).strip()}\n{self.log_tail()}")

    def configure(self, port: int) -> None:
        self.port = port
        conf = self.data / "postgresql.auto.conf"  # read after postgresql.conf: these settings win
        conf.write_text("# throwaway cluster of tests/test_postgres_restart.py\n"
                        "listen_addresses = '127.0.0.1'\n"
                        f"port = {port}\n"
                        f"unix_socket_directories = '{self.sockets}'\n"
                        "fsync = off\n"  # nothing outlives it; a fast shutdown still checkpoints
                        "shared_buffers = 16MB\n")
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(conf, owner.pw_uid, owner.pw_gid)

    def restart(self, down_until=None, timeout: float = 60) -> float:
        """Restart the server (fast mode). With ``down_until``, stop it, keep it down until
        ``down_until()`` is true (at most ``timeout`` seconds), then start it again. Returns the
        seconds pg_ctl took (stopping and starting, not the time kept down)."""
        if down_until is None:
            started = time.monotonic()
            done = self.pg_ctl("restart")
            assert done.returncode == 0, f"pg_ctl restart failed: {done.stderr}\n{self.log_tail()}"
            return time.monotonic() - started
        started = time.monotonic()
        done = self.pg_ctl("stop")
        assert done.returncode == 0, f"pg_ctl stop failed: {done.stderr}\n{self.log_tail()}"
        took = time.monotonic() - started
        happened = wait_for(down_until, timeout=timeout)
        started = time.monotonic()
        done = self.pg_ctl("start")
        assert done.returncode == 0, f"pg_ctl start failed: {done.stderr}\n{self.log_tail()}"
        took += time.monotonic() - started
        assert happened, f"what the server was kept down for did not happen within {timeout:g}s"
        return took

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server, whatever state it is in: fast, then immediate, then SIGKILL."""
        pid = self.postmaster_pid()
        if pid is None or not alive(pid):
            return
        try:
            self.pg_ctl("stop", timeout=60)
        except subprocess.TimeoutExpired:
            pass
        if alive(pid):
            try:
                self.run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "stop", "-m", "immediate", timeout=40)
            except subprocess.TimeoutExpired:
                pass
        if alive(pid):
            os.kill(pid, signal.SIGKILL)  # its backends exit when they see the postmaster gone
            wait_for(lambda: not alive(pid), timeout=30)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster():
    """A running throwaway cluster with an empty database ``DATABASE``; stopped and removed
    afterwards, whatever happened."""
    bin_dir = _pg_bin()
    if isinstance(bin_dir, str):
        _skip(bin_dir)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            _skip("running as root, and runuser (to run PostgreSQL as the postgres user) is not installed")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _skip("running as root, and there is no postgres system user to run PostgreSQL as")

    pg = Cluster(bin_dir)
    try:
        why = pg.init()
        if why:
            _skip(why)
        pg.start()
        import psycopg

        with psycopg.connect(pg.url("postgres").replace("postgresql+psycopg://", "postgresql://", 1),
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

        yield pg
    finally:
        pg.stop()
        pg.remove()


@pytest.fixture
def pg_url(cluster):
    """The throwaway cluster's database, migrated."""
    url = cluster.url()
    upgrade(url)
    return url


# --- a store interrupted by the restart ---------------------------------------------------------

def _record(n: int):
    from crawler.config import bundled_watch_paths
    from pipelines.ingest import ArticleRecord
    from pipelines.watch import Document, Matcher, load_watches

    title, body = f"Restart article {n}", story_text(n)
    record = ArticleRecord(url=f"https://r.example/{n}", canonical_url=f"https://r.example/{n}",
                           content_hash=f"{n:064d}", source="r", title=title, author=None, text=body,
                           language="en", published_at=None, content_origin="page", fallback_reason=None,
                           entry_id=None, discovered_via="feed")
    results = Matcher(load_watches(bundled_watch_paths())).match(Document(title, body, "en"))
    assert results
    return record, results


def test_a_store_cut_by_a_restart_rolls_back_whole_and_pre_ping_reconnects(pg_url, cluster):
    from pipelines.store import store_article
    from pipelines.targets import load_target

    targets = [load_target("json://127.0.0.1:9/a"), load_target("json://127.0.0.1:9/b")]
    engine = make_engine(pg_url)          # pool_pre_ping
    idle = make_engine(pg_url)            # pool_pre_ping, a pooled connection idle across the restart
    plain = create_engine(pg_url)         # the control: no pre-ping
    for e in (engine, idle, plain):
        with e.connect() as conn:
            conn.execute(text("select 1"))
    sessions = session_factory(engine)

    def restart_before_commit(session):  # the article, its match and alerts are in; COMMIT is next
        event.remove(sessions, "before_commit", restart_before_commit)
        cluster.restart()

    event.listen(sessions, "before_commit", restart_before_commit)
    with pytest.raises(OperationalError):
        store_article(sessions, *_record(0), targets, None)

    check = make_engine(pg_url)
    with session_factory(check)() as session:
        assert [session.scalar(select(func.count()).select_from(t)) for t in (Article, Match, Alert)] == [0, 0, 0]
    check.dispose()

    # without pre-ping the pooled connection is dead and the first use fails; with it, it is replaced
    with pytest.raises(OperationalError):
        with plain.connect() as conn:
            conn.execute(text("select 1"))
    outcome = store_article(session_factory(idle), *_record(1), targets, None)
    assert outcome.status == "new" and outcome.alerts == 2
    for e in (engine, idle, plain):
        e.dispose()


# --- the daemon across a restart ----------------------------------------------------------------

def test_the_daemon_rides_out_restarts_and_nothing_is_lost(tmp_path, pg_url, cluster, webhook):
    with site(tmp_path, slow=lambda p: 0.1 if paced(p) < 1 else 0.7) as (server, pages):
        config = write_config(tmp_path / "nw.toml", pg_url, server.url("/feed.xml"), [webhook.url("/pg")],
                              lease="3s")
        daemon = start(config, "run")
        try:
            # 1. mid-crawl: the crawl child loses the items being stored, keeps going, and finishes
            assert wait_for(lambda: len(webhook.requests) >= 1, timeout=60), "no alert before the restart"
            assert count(pg_url, Article) < PAGES, "the crawl finished before the restart"
            assert cluster.restart() < 30
            assert wait_for(lambda: count(pg_url, CrawlRun) == 1 and _finished(pg_url), timeout=60), \
                "the crawl did not finish after the restart"
            # 2. while the daemon idles: it looks for due sources every tick and finds no server
            #    (kept down until the daemon has said so, however long that takes on a busy machine)
            before = _noticed(daemon)
            assert cluster.restart(down_until=lambda: _noticed(daemon) > before) < 30
            assert wait_for(lambda: set(alert_statuses(pg_url)) == {"sent"}, timeout=30), alert_statuses(pg_url)
            assert daemon.poll() is None, "the daemon died with the database"
            daemon.send_signal(signal.SIGTERM)
            output, _ = daemon.communicate(timeout=30)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
        assert daemon.returncode == 0, output[-4000:]
        assert IDLE_OUTAGE in output, "the idle restart was not noticed"

        # nothing half-stored; what the restart cut off is fetched by the next crawl (not known,
        # and the feed's validators were not kept), and every alert goes out (one duplicate at most)
        check_store(pg_url, pages, targets=1)
        newswatch(config, "crawl")
        newswatch(config, "notify")
        stored = check_store(pg_url, pages, targets=1)
        assert set(stored) == {p.path for p in pages}
        assert alert_statuses(pg_url) == {"sent": sum(p.relevant for p in pages)}
        received = titles(webhook.requests)
        assert len(received) == sum(p.relevant for p in pages)
        assert sum(c - 1 for c in received.values()) <= 1, f"more than one duplicate: {received}"


def _noticed(daemon) -> int:
    """How many times the daemon has logged that it could not reach the database to look for due sources."""
    return daemon.log.read_text(errors="replace").count(IDLE_OUTAGE)


def _finished(url: str) -> bool:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(CrawlRun.status)) == "finished"
    except Exception:  # noqa: BLE001 - the server may still be coming back
        return False
    finally:
        engine.dispose()
