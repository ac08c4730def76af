"""`newswatch run`: polls due sources, delivers alerts as they appear, stops cleanly on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipelines.db import make_engine, session_factory
from pipelines.models import Alert, CrawlRun
from tests.mockserver import MockServer
from tests.shared_data import PROJECT_ROOT
from tests.waiting import wait_for

SITE = PROJECT_ROOT / "tests" / "site"


def config_text(server, db_url, target, interval="1h"):
    return f"""
[database]
url = "{db_url}"
[crawl]
allow_private_networks = true
download_delay = 0
[notify]
targets = [{json.dumps(target)}]
min_interval = 0
[daemon]
tick = "200ms"
notify_interval = "300ms"
shutdown_grace = "20s"
[[sources]]
name = "Atom feed"
url = "{server.url('/feeds/atom.xml')}"
interval = "{interval}"
"""


def start(config_path):
    env = {**os.environ, "NEWSWATCH_CONFIG": str(config_path)}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", "run"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def round_finished(db_url) -> bool:
    """The daemon's first round is over: its crawl finished and every alert of it was sent."""
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            finished = session.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "finished"))
            unsent = session.scalar(select(func.count()).select_from(Alert).where(Alert.status != "sent"))
        return finished == 1 and unsent == 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_daemon_crawls_alerts_and_stops_on_sigterm(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with MockServer() as server:
        config = tmp_path / "newswatch.toml"
        config.write_text(config_text(server, db_url, webhook.url("/daemon")))
        daemon = start(config)
        try:
            assert wait_for(lambda: len(webhook.requests) >= 1, timeout=90), "no alert arrived from the daemon"
            # then it idles until the interval is up
            assert wait_for(lambda: round_finished(db_url), timeout=90), "the first round did not finish"
            feed_polls = server.count("/feeds/atom.xml")
            daemon.send_signal(signal.SIGTERM)
            output, _ = daemon.communicate(timeout=30)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert daemon.returncode == 0, output
        assert "daemon stopped" in output
        assert feed_polls == 1, "the source was polled again before its interval was up"

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.status != "sent")) == 0
        assert session.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "finished")) == 1
        sent = session.scalar(select(func.count()).select_from(Alert))
    engine.dispose()
    assert sent == len(webhook.requests)  # one message per alert row, none twice


@pytest.mark.slow
def test_daemon_sigterm_during_a_crawl_exits_within_the_grace_period(tmp_path, webhook):
    db_url = f"sqlite:///{tmp_path / 'nw.db'}"
    with MockServer(routes={"/slow-feed.xml": {"body_file": str(SITE / "feeds" / "atom.xml"), "delay": 60,
                                               "headers": {"Content-Type": "application/atom+xml"}}}) as server:
        config = tmp_path / "newswatch.toml"
        # a grace of 5 s, not the other tests' 20: the feed's 60 s answer holds the crawl for all of
        # it, so the test waits it out in full
        config.write_text(config_text(server, db_url, webhook.url("/d")).replace("/feeds/atom.xml", "/slow-feed.xml")
                          .replace('shutdown_grace = "20s"', 'shutdown_grace = "5s"'))
        daemon = start(config)
        try:
            assert wait_for(lambda: server.count("/slow-feed.xml") >= 1, timeout=60)
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            output, _ = daemon.communicate(timeout=40)
            elapsed = time.monotonic() - started
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert daemon.returncode == 0, output
        assert elapsed < 10, f"took {elapsed:.1f}s to stop (grace 5s)"


def test_a_broken_watch_edit_keeps_the_last_good_version(tmp_path, caplog):
    from crawler.daemon import LastGoodWatches
    from pipelines.watch import load_watch

    watch = tmp_path / "mine.toml"
    good = '[watch]\nname = "mine"\nthreshold = 1\n[groups.a]\nterms = ["Druzhba"]\nweight = 1\n[[rules]]\nexpr = "a"\n'
    watch.write_text(good)
    keeper = LastGoodWatches([watch])
    try:
        [copy] = keeper.refresh()
        assert load_watch(copy).name == "mine"

        watch.write_text(good.replace('expr = "a"', 'expr = "a AND nosuchgroup"'))
        with caplog.at_level("ERROR"):
            assert keeper.refresh() == [copy] and keeper.refresh() == [copy]
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1, "a broken file is reported once, not every tick"
        assert f"{watch}:8" in errors[0] and "nosuchgroup" in errors[0] and "last good version" in errors[0]
        assert "nosuchgroup" not in copy.read_text()  # crawls still get the good version

        watch.write_text(good.replace("Druzhba", "Indus"))
        [copy] = keeper.refresh()
        assert "Indus" in copy.read_text()
    finally:
        keeper.close()
    assert not keeper.dir.exists()


GOOD_WATCH = ('[watch]\nname = "mine"\nthreshold = 1\n[groups.a]\nterms = ["Druzhba"]\nweight = 1\n'
              '[[rules]]\nexpr = "a"\n')


@pytest.mark.parametrize("edit", [
    GOOD_WATCH.replace('expr = "a"', 'expr = "' + "(" * 250 + "a" + ")" * 250 + '"'),
    GOOD_WATCH.replace('expr = "a"', 'expr = "' + "NOT " * 10_000 + 'a"'),
    GOOD_WATCH + "".join(f'[groups.g{i}]\ninclude = ["g{i + 1}"]\n' for i in range(5000))
    + '[groups.g5000]\nterms = ["x"]\n',
    GOOD_WATCH + "x = " + "[" * 5000 + "]" * 5000 + "\n",
], ids=["parentheses", "nots", "include-chain", "toml-nesting"])
def test_a_pathological_watch_edit_keeps_the_last_good_version(tmp_path, caplog, edit):
    from crawler.daemon import LastGoodWatches

    watch = tmp_path / "mine.toml"
    watch.write_text(GOOD_WATCH)
    keeper = LastGoodWatches([watch])
    try:
        [copy] = keeper.refresh()
        watch.write_text(edit)
        with caplog.at_level("ERROR"):
            assert keeper.refresh() == [copy] and keeper.refresh() == [copy]
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and str(watch) in errors[0] and "last good version" in errors[0], errors
        assert copy.read_text() == GOOD_WATCH
    finally:
        keeper.close()


def test_any_failure_while_loading_a_watch_keeps_the_last_good_version(tmp_path, caplog, monkeypatch):
    """Not only WatchError: whatever the parser raises, crawls go on with the good copy."""
    import pipelines.watch
    from crawler.daemon import LastGoodWatches

    watch = tmp_path / "mine.toml"
    watch.write_text(GOOD_WATCH)
    keeper = LastGoodWatches([watch])
    try:
        [copy] = keeper.refresh()
        watch.write_text(GOOD_WATCH.replace("Druzhba", "Indus"))

        def broken(text, path):
            raise KeyError("something no one foresaw")

        monkeypatch.setattr(pipelines.watch, "parse_watch", broken)
        with caplog.at_level("ERROR"):
            assert keeper.refresh() == [copy] and keeper.refresh() == [copy]
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and str(watch) in errors[0] and "KeyError" in errors[0], errors
        assert "Druzhba" in copy.read_text()
        monkeypatch.undo()
        [copy] = keeper.refresh()
        assert "Indus" in copy.read_text()
    finally:
        keeper.close()


def test_a_watch_path_that_never_ends_is_refused_not_read(tmp_path, caplog):
    from crawler.daemon import LastGoodWatches

    keeper = LastGoodWatches([Path("/dev/zero")])
    try:
        with caplog.at_level("ERROR"):
            assert keeper.refresh() == []
        [error] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert "/dev/zero" in error and "larger than 1048576 bytes" in error
    finally:
        keeper.close()
