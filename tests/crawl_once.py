"""Run one real crawl in a subprocess and collect what the spiders yield, for tests.

The Twisted reactor cannot restart, so every crawl gets its own process:

    result = crawl([SourceConfig(...)], validators={...}, known={...}, allow_private=True)
    result.polls      # list of SourcePoll-like dicts
    result.articles   # list of ArticleItem-like dicts (datetimes as ISO strings)

Inside the child, ``JsonLinesPipeline`` (a test-only item pipeline) writes each item as one JSON
line with its type. ``settings`` entries override ``build_settings(CrawlConfig(...))``.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crawler.config import CrawlConfig, SourceConfig

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class JsonLinesPipeline:
    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("NEWSWATCH_TEST_OUTPUT"))

    def process_item(self, item, spider=None):
        record = {"type": type(item).__name__, **dataclasses.asdict(item)}
        self.file.write(json.dumps(record, default=_json_default, ensure_ascii=False) + "\n")
        self.file.flush()
        return item

    def close_spider(self, spider=None):
        self.file.close()


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@dataclass
class CrawlResult:
    polls: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    log: str = ""

    def poll(self, source: str) -> dict:
        found = [p for p in self.polls if p["source"] == source]
        assert len(found) == 1, f"expected one poll for {source}, got {found}\n{self.log[-3000:]}"
        return found[0]

    def article(self, url_end: str) -> dict:
        found = [a for a in self.articles if a["url"].endswith(url_end)]
        assert len(found) == 1, f"expected one article ending {url_end}, got {[a['url'] for a in self.articles]}"
        return found[0]


def crawl(sources: list[SourceConfig], validators: dict | None = None, known: set[str] | None = None,
          allow_private: bool = True, settings: dict | None = None, timeout: float = 120, **crawl_config) -> CrawlResult:
    crawl_config.setdefault("download_delay", 0.0)
    crawl_config.setdefault("retry_times", 0)
    with tempfile.TemporaryDirectory(prefix="newswatch-crawl-") as tmp:
        spec = Path(tmp) / "spec.json"
        out = Path(tmp) / "items.jsonl"
        spec.write_text(json.dumps({
            "sources": [dataclasses.asdict(s) for s in sources],
            "validators": validators or {},
            "known": sorted(known or ()),
            "crawl": {"allow_private_networks": allow_private, **crawl_config},
            "settings": settings or {},
            "output": str(out),
        }))
        proc = subprocess.run([sys.executable, "-m", "tests.crawl_once", str(spec)], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"crawl failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
        # split("\n"), not splitlines(): page text may hold U+2028 or \x1c, which json.dumps
        # leaves unescaped and splitlines() would break a record at
        lines = out.read_text(encoding="utf-8").split("\n") if out.exists() else []
        records = [json.loads(line) for line in lines if line.strip()]
    result = CrawlResult(log=proc.stderr)
    for record in records:
        (result.polls if record.pop("type") == "SourcePoll" else result.articles).append(record)
    return result


def main(spec_path: str) -> None:
    from crawler.runner import run_spiders
    from crawler.settings import build_settings

    spec = json.loads(Path(spec_path).read_text())
    settings = build_settings(CrawlConfig(**spec["crawl"]))
    settings.update(spec["settings"])
    settings["ITEM_PIPELINES"] = {"tests.crawl_once.JsonLinesPipeline": 100}
    settings["NEWSWATCH_TEST_OUTPUT"] = spec["output"]
    known = set(spec["known"])
    validators = {name: tuple(v) for name, v in spec["validators"].items()}
    run_spiders(settings, [SourceConfig(**s) for s in spec["sources"]], validators, known.__contains__)


if __name__ == "__main__":
    main(sys.argv[1])
