"""Prometheus metrics: what the daemon and its crawls did, for a team's monitoring to scrape.

Counters and histograms are recorded where things happen, in the daemon and in each crawl child
process, through prometheus_client's multiprocess mode: the daemon sets PROMETHEUS_MULTIPROC_DIR
before anything imports prometheus_client, its crawl children inherit it, and ``/metrics``
sums every process's files (a finished crawl's counts stay). Figures the database holds anyway
(outbox depth, broken sources, stored articles, matches by watch, last crawl) are read from it at
each scrape, so they are right whichever daemon did the work. README "Metrics" lists them all.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DURATIONS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LATENCIES = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400)

POLLS = Counter("newswatch_polls", "Polls of a source's entry point (feed, sitemap, listing page)",
                ["kind", "status"])  # status: ok | not_modified | error
FETCH_SECONDS = Histogram("newswatch_fetch_seconds", "Download time of a page or entry point", ["kind"],
                          buckets=DURATIONS)
ALERTS_SENT = Counter("newswatch_alerts_sent", "Alerts delivered, alone or in a digest", ["channel"])
ALERTS_FAILED = Counter("newswatch_alerts_failed", "Alert delivery attempts that failed and will be retried",
                        ["channel"])
ALERTS_DEAD = Counter("newswatch_alerts_dead", "Alerts given up after their last attempt", ["channel"])
ALERT_LATENCY = Histogram("newswatch_alert_latency_seconds", "From an alert queued to its delivery",
                          ["channel"], buckets=LATENCIES)
CRAWL_SECONDS = Histogram("newswatch_crawl_duration_seconds", "Wall time of one crawl",
                          buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600))


class DeliveryMetrics:
    """The delivery worker's observer (pipelines.outbox.Delivery ``observer``)."""

    def sent(self, channel: str, latencies: list[float]) -> None:
        ALERTS_SENT.labels(channel).inc(len(latencies))
        for seconds in latencies:
            ALERT_LATENCY.labels(channel).observe(seconds)

    def failed(self, channel: str, count: int, dead: int) -> None:
        if count - dead:
            ALERTS_FAILED.labels(channel).inc(count - dead)
        if dead:
            ALERTS_DEAD.labels(channel).inc(dead)


class StoreCollector:
    """Gauges and totals read from the database at each scrape."""

    def __init__(self, sessions):
        self.sessions = sessions

    def collect(self):
        from pipelines.queries import status_summary

        with self.sessions() as session:
            summary = status_summary(session)
        depth = GaugeMetricFamily("newswatch_outbox_depth", "Alerts in the outbox by state", labels=["status"])
        for status, count in summary["outbox"].items():
            depth.add_metric([status], count)
        yield depth
        yield GaugeMetricFamily("newswatch_sources_broken", "Sources reported broken to operators",
                                value=summary["sources_broken"])
        yield GaugeMetricFamily("newswatch_sources_due", "Enabled sources due for a poll now",
                                value=summary["sources_due"])
        yield CounterMetricFamily("newswatch_articles_stored", "Articles stored", value=summary["articles"])
        yield CounterMetricFamily("newswatch_duplicates", "Articles seen again (same URL or text), not stored twice",
                                  value=summary["duplicates"])
        yield CounterMetricFamily("newswatch_near_duplicates", "Articles stored as another outlet's copy of a story",
                                  value=summary["near_duplicates"])
        matches = CounterMetricFamily("newswatch_matches", "Matches stored, by watch", labels=["watch"])
        for watch, count in summary["matches_by_watch"].items():
            matches.add_metric([watch], count)
        yield matches
        last = summary["last_crawl_started"]
        yield GaugeMetricFamily("newswatch_last_crawl_timestamp_seconds", "When the last crawl started (Unix time)",
                                value=last.timestamp() if last else 0)


class CrawlMetrics:
    """A Scrapy extension: polls by source kind and outcome, and download times."""

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        extension = cls()
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def response_received(self, response, request, spider) -> None:
        if "download_latency" in request.meta:
            FETCH_SECONDS.labels(spider.name).observe(request.meta["download_latency"])

    def item_scraped(self, item, response, spider) -> None:
        from pipelines.items import SourcePoll

        if isinstance(item, SourcePoll):
            POLLS.labels(spider.name, item.status.replace("-", "_")).inc()


def registry(sessions) -> CollectorRegistry:
    """What /metrics shows: every process's counters and histograms, and the store's figures."""
    scrape = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(scrape)
    scrape.register(StoreCollector(sessions))
    return scrape


def serve(address: str, sessions, health) -> ThreadingHTTPServer:
    """Serve /metrics and /healthz at ``address`` ("host:port") in a thread; ``health()`` returns
    (ok, details). Returns the server (``shutdown()`` stops it)."""
    host, _, port = address.rpartition(":")
    scrape = registry(sessions)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server naming)
            if self.path.split("?")[0] == "/metrics":
                try:
                    body, status, kind = generate_latest(scrape), 200, CONTENT_TYPE_LATEST
                except Exception as exc:  # the database is away: say so, do not crash the thread
                    body, status, kind = f"# metrics unavailable: {type(exc).__name__}\n".encode(), 503, "text/plain"
            elif self.path.split("?")[0] == "/healthz":
                ok, details = health()
                body, status, kind = json.dumps(details).encode(), 200 if ok else 503, "application/json"
            else:
                body, status, kind = b"not found\n", 404, "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # scrapes every few seconds: not worth a log line each
            pass

    server = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics at http://%s/metrics, health at /healthz", address)
    return server
