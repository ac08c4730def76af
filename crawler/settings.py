"""Scrapy settings: polite and bounded, built from ``CrawlConfig``.

No ITEM_PIPELINES here: spiders know nothing of pipelines; the caller adds them.
Checked against Scrapy 2.19:
- DOWNLOAD_MAXSIZE caps the body as received *and* HttpCompressionMiddleware checks it while
  decompressing (gzip/deflate/br/zstd), raising IgnoreRequest on a bomb; SitemapSpider-style
  gunzip of ``.xml.gz`` bodies is bounded by us with the same figure (see spiders/sitemap.py).
- REQUEST_FINGERPRINTER_IMPLEMENTATION no longer exists (the 2.7+ fingerprinter is the only one).
- DOWNLOAD_VERIFY_CERTIFICATES defaults to False; we turn TLS verification on.
- DOWNLOAD_DELAY applies per download slot (per host) *of one crawler*: the runner's crawlers
  (one per source kind) each keep their own slots, so a host that is a feed and a sitemap
  source at once sees up to one delay/concurrency budget per kind.
- RANDOMIZE_DOWNLOAD_DELAY is deprecated in 2.19; DOWNLOAD_DELAY_JITTER replaces it.
"""
from __future__ import annotations

from crawler.config import CrawlConfig

UNUSED_EXTENSIONS = ("telnet.TelnetConsole", "remote_control.RemoteControl", "logstats.LogStats",
                     "logcount.LogCount", "memusage.MemoryUsage", "memdebug.MemoryDebugger",
                     "feedexport.FeedExporter", "spiderstate.SpiderState", "throttle.AutoThrottle")
NETGUARD = "crawler.netguard.NetGuardMiddleware"
RETRY_AFTER = "crawler.retry_after.RetryAfterMiddleware"


def build_settings(crawl: CrawlConfig) -> dict:
    warn = min(crawl.max_response_bytes, max(crawl.max_response_bytes // 3, 1))
    return {
        "BOT_NAME": "newswatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        # politeness, per host
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,  # delay × 0.5–1.5 (2.19 replaces RANDOMIZE_DOWNLOAD_DELAY)
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_host,
        "DOWNLOADER": "crawler.downloader.SlotBoundDownloader",  # enforces the line above (2.19)
        # Scrapy starts this many asyncio tasks for *every* response's output; an article page
        # yields one item, so the default 100 only costs CPU (~1.5 s per 1,000 pages, measured).
        "CONCURRENT_ITEMS": 8,
        # bounds
        "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
        "DOWNLOAD_WARNSIZE": warn,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DNS_TIMEOUT": min(crawl.download_timeout, 20),
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "METAREFRESH_ENABLED": False,  # a feed entry's page is the page; no meta-refresh chains
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        # 429/503 with Retry-After pause the host that long, capped (crawler/retry_after.py)
        "NEWSWATCH_RETRY_AFTER_MAX": crawl.retry_after_max,
        # Memory stays bounded over months of polling: no cookies, no HTTP cache.
        "COOKIES_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        # A daemon's crawl needs none of these: a telnet console and a remote-control HTTP server
        # (which also writes a job file under $HOME), periodic "Crawled N pages" lines, log-line
        # counting, memory checks, feed exports, job-directory state, autothrottle.
        "EXTENSIONS": {**{f"scrapy.extensions.{name}": None for name in UNUSED_EXTENSIONS},
                       "crawler.metrics.CrawlMetrics": 500},  # polls and download times, for /metrics
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "DOWNLOAD_VERIFY_CERTIFICATES": True,  # Scrapy 2.19 defaults to False
        # Only http(s) may be fetched; netguard refuses the rest too, this removes the handlers.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
        "DOWNLOADER_MIDDLEWARES": {
            NETGUARD: 60,  # right after Offsite (50), before robots.txt
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            RETRY_AFTER: 550,  # RetryMiddleware's place; it is RetryMiddleware plus Retry-After
            # no credentials are ever configured per source
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
            # no http_proxy/https_proxy from the environment: a proxy would resolve and connect on
            # its own, past netguard's check of the address connected to
            "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
        },
        # Spiders follow at most one hop (entry point → article): depth tracking only costs CPU.
        "SPIDER_MIDDLEWARES": {"scrapy.spidermiddlewares.depth.DepthMiddleware": None},
        # A Referer header would tell every site which feed or listing led there. The policy, not
        # removing RefererMiddleware: RedirectMiddleware warns on every crawl when it is missing.
        "REFERRER_POLICY": "no-referrer",
        # A request that failed for good is reported once, by us: as the source's poll error or
        # the article's fallback_reason. Scrapy's own line would say it again, at ERROR.
        "RETRY_GIVE_UP_LOG_LEVEL": "INFO",
        "NEWSWATCH_ALLOW_PRIVATE_NETWORKS": crawl.allow_private_networks,
        # Scrapy's default since 2.13; spelled out because the runner relies on it.
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "ITEM_PIPELINES": {},
    }
