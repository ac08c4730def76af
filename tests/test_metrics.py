"""`newswatch run` with daemon.metrics_address: /metrics scraped and parsed with prometheus_client's
own parser after a real crawl and delivery; /healthz; `newswatch status`."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.mockserver import MockServer
from tests.shared_data import PROJECT_ROOT
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a daemon with a crawl child, scraped over HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(url: str) -> dict:
    """metric samples by (name, labels as a sorted tuple)."""
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_and_health_after_a_crawl_and_its_alerts(tmp_path, webhook):
    port, web_port = free_port(), free_port()
    db = tmp_path / "nw.db"
    with MockServer() as server:
        config = tmp_path / "newswatch.toml"
        config.write_text(f"""
[database]
url = "sqlite:///{db}"
[crawl]
allow_private_networks = true
download_delay = 0
[notify]
targets = ["{webhook.url('/metrics-test')}"]
min_interval = 0
[daemon]
tick = "200ms"
notify_interval = "300ms"
metrics_address = "127.0.0.1:{port}"
log_format = "json"
[web]
port = {web_port}
[[sources]]
name = "Atom feed"
url = "{server.url('/feeds/atom.xml')}"
interval = "1h"
[[sources]]
name = "Broken"
url = "{server.url('/__status/500')}"
interval = "1h"
""")
        env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
        log = (tmp_path / "daemon.log").open("w")
        daemon = subprocess.Popen([sys.executable, "-m", "crawler.cli", "run", "--web"], env=env, cwd=PROJECT_ROOT,
                                  stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            assert wait_for(lambda: len(webhook.requests) >= 1, timeout=90), "no alert from the daemon"

            def crawled() -> bool:
                try:
                    return scrape(base + "/metrics").get(("newswatch_crawl_duration_seconds_count", ()), 0) >= 1
                except OSError:
                    return False

            assert wait_for(crawled, timeout=90), "the crawl never finished"
            samples = scrape(base + "/metrics")
            health = json.loads(urllib.request.urlopen(base + "/healthz", timeout=10).read())
            inbox = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=10)  # run --web
            status = subprocess.run([sys.executable, "-m", "crawler.cli", "status"], env=env, cwd=PROJECT_ROOT,
                                    capture_output=True, text=True, timeout=60)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
            log.close()
    # recorded in the crawl child (multiprocess mode), summed by the daemon
    assert samples[("newswatch_polls_total", (("kind", "feed"), ("status", "ok")))] == 1
    assert samples[("newswatch_polls_total", (("kind", "feed"), ("status", "error")))] == 1
    assert samples[("newswatch_fetch_seconds_count", (("kind", "feed"),))] >= 3
    # recorded by the daemon's delivery worker
    sent = samples[("newswatch_alerts_sent_total", (("channel", "generic"),))]
    assert sent >= 1 and samples[("newswatch_alert_latency_seconds_count", (("channel", "generic"),))] == sent
    # read from the database at the scrape
    assert samples[("newswatch_articles_stored_total", ())] >= 3
    assert samples[("newswatch_matches_total", (("watch", "russia_pakistan_security"),))] >= 1
    assert samples[("newswatch_outbox_depth", (("status", "sent"),))] == sent
    assert samples[("newswatch_last_crawl_timestamp_seconds", ())] > 0
    assert health["ok"] is True and health["database"] == "ok" and "finished" in health["last_crawl"]
    assert status.returncode == 0 and "sources: 2 (2 enabled" in status.stdout and "last crawl: finished" in status.stdout
    lines = [line for line in (tmp_path / "daemon.log").read_text().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(json.loads(line)) for line in lines)
    assert inbox.status == 200
    assert daemon.returncode == 0
