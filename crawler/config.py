"""Configuration: one TOML file plus environment overrides → frozen dataclasses.

Where the file comes from, first hit wins: ``--config PATH``, ``$NEWSWATCH_CONFIG``,
``./newswatch.toml``, the bundled ``defaults.toml``. Environment variables override single keys
(``NEWSWATCH_DATABASE_URL`` and the others in ``ENV_OVERRIDES``). This is the only module that reads
``os.environ``.

Every problem is a ``ConfigError`` naming the key and the bad value, so ``newswatch config check``
can print it and the daemon can refuse to start with a clear message instead of a traceback.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from pipelines.outbox import DeliverySettings
    from pipelines.targets import TargetSet

BUNDLED_DEFAULTS = Path(__file__).with_name("defaults.toml")
WATCHLISTS_DIR = Path(__file__).with_name("watchlists")
SOURCE_KINDS = ("feed", "sitemap", "listing")
MIB = 1024 * 1024

# environment variable → (section, key); values are parsed like the TOML value they replace.
ENV_OVERRIDES = {
    "NEWSWATCH_DATABASE_URL": ("database", "url"),
    "NEWSWATCH_ALLOW_PRIVATE_NETWORKS": ("crawl", "allow_private_networks"),
    "NEWSWATCH_USER_AGENT": ("crawl", "user_agent"),
    "NEWSWATCH_NOTIFY_TARGETS": ("notify", "targets"),
    "NEWSWATCH_NOTIFY_OPERATOR_TARGETS": ("notify", "operator_targets"),
    "NEWSWATCH_LOG_LEVEL": ("daemon", "log_level"),
}


class ConfigError(ValueError):
    """A bad configuration: says which key, which value and what is wrong."""

    def __init__(self, key: str, value: Any, problem: str, origin: str | None = None):
        self.key, self.value, self.problem, self.origin = key, value, problem, origin
        where = f"{origin}: " if origin else ""
        super().__init__(f"{where}{key} = {value!r}: {problem}")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any, key: str = "duration") -> float:
    """'15m', '2h', '30s', '1d', or a bare number of seconds → seconds."""
    if isinstance(value, bool):
        raise ConfigError(key, value, "expected a duration such as '15m', '2h' or '30s'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(key, value, "expected a duration such as '15m', '2h' or '30s'")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ConfigError(key, value, "must be greater than zero")
    return seconds


def _default_workers() -> int:
    cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else min(cpus, 4)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str                      # feed | sitemap | listing
    url: str
    interval: float                # seconds between polls
    language: str | None = None    # hint for language detection
    selector: str | None = None    # listing: CSS selector of article links
    enabled: bool = True
    max_articles: int = 50         # newest entries looked at per poll


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///newswatch.db"


@dataclass(frozen=True)
class CrawlConfig:
    allow_private_networks: bool = False
    user_agent: str = "newswatch/0.1 (+https://github.com/newswatch/newswatch; news monitoring bot)"
    obey_robots_txt: bool = True
    download_delay: float = 1.0          # seconds between requests to one host
    concurrent_requests: int = 16
    concurrent_requests_per_host: int = 2
    download_timeout: float = 30.0
    max_response_bytes: int = 15 * MIB   # after decompression
    max_redirects: int = 5
    retry_times: int = 2
    retry_after_max: float = 600.0       # longest pause a 429/503 Retry-After may impose on a host
    default_interval: float = 1800.0
    max_articles_per_source: int = 50
    # extraction and matching run in this many worker processes; 0: in the crawler's own process
    process_workers: int = field(default_factory=lambda: _default_workers())


@dataclass(frozen=True)
class NotifyConfig:
    targets: tuple[str, ...] = ()        # Apprise URLs
    console: bool | None = None          # print alerts; default: only when no targets
    max_attempts: int = 8                # then the alert is dead-lettered
    backoff_initial: float = 60.0
    backoff_max: float = 6 * 3600.0
    batch_size: int = 50
    lease: float = 300.0                 # a claimed row is reclaimable after this
    min_interval: float | None = None    # seconds between sends to one target; None: Apprise's own
    # operators' alerts (a source broke, a source recovered) go to these Apprise URLs, not to targets
    operator_targets: tuple[str, ...] = ()
    source_failure_threshold: int = 3    # consecutive failed polls before a source is reported broken

    @property
    def print_to_console(self) -> bool:
        return self.console if self.console is not None else not self.targets

    def load_targets(self) -> "TargetSet":
        """Both lists of Apprise URLs, validated (``TargetError`` names a bad one), plus the console."""
        from pipelines.targets import load_target_set

        return load_target_set(self.targets, self.operator_targets, self.print_to_console)

    def delivery_settings(self) -> "DeliverySettings":
        from pipelines.outbox import DeliverySettings, RetryPolicy

        retry = RetryPolicy(self.max_attempts, self.backoff_initial, self.backoff_max)
        return DeliverySettings(self.batch_size, self.lease, retry, self.min_interval)


@dataclass(frozen=True)
class WatchConfig:
    include_bundled: bool = True
    paths: tuple[Path, ...] = ()


@dataclass(frozen=True)
class DaemonConfig:
    tick: float = 5.0                    # how often the scheduler looks for due sources
    notify_interval: float = 10.0
    log_level: str = "INFO"
    shutdown_grace: float = 30.0


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    watches: WatchConfig = field(default_factory=WatchConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    sources: tuple[SourceConfig, ...] = ()
    origin: str = "built-in"             # which file this came from

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError("--source", name, f"no such source; known: {', '.join(s.name for s in self.sources)}")

    def with_watch_files(self, files: list[Path]) -> "Config":
        """The same configuration with exactly these watch files."""
        return replace(self, watches=WatchConfig(include_bundled=False, paths=tuple(files)))

    def watch_paths(self) -> list[Path]:
        bundled = bundled_watch_paths() if self.watches.include_bundled else []
        return [*bundled, *self.watches.paths]


def bundled_watch_paths() -> list[Path]:
    """The watch files shipped with newswatch (crawler/watchlists/*.toml)."""
    return sorted(WATCHLISTS_DIR.glob("*.toml"))


def locate(explicit: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if environ.get("NEWSWATCH_CONFIG"):
        return Path(environ["NEWSWATCH_CONFIG"])
    local = Path("newswatch.toml")
    return local if local.exists() else BUNDLED_DEFAULTS


def load(explicit: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Find, read, override from the environment and validate the configuration."""
    environ = os.environ if environ is None else environ
    path = locate(explicit, environ)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("--config", str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", str(path), f"not valid TOML: {exc}") from None
    _apply_env(raw, environ)
    try:
        return from_dict(raw, origin=str(path), base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError(exc.key, exc.value, exc.problem, str(path)) from None


def _apply_env(raw: dict, environ: Mapping[str, str]) -> None:
    for variable, (section, key) in ENV_OVERRIDES.items():
        if variable not in environ:
            continue
        text = environ[variable]
        if key in ("targets", "operator_targets"):
            value: Any = [t for t in re.split(r"[\s,]+", text) if t]
        elif key == "allow_private_networks":
            value = _parse_bool(text, variable)
        else:
            value = text
        raw.setdefault(section, {})[key] = value


def _parse_bool(text: str, key: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(key, text, "expected true or false")


class _Section:
    """Reads typed keys from one TOML table and complains about unknown ones."""

    def __init__(self, raw: Any, name: str):
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(name, raw, "expected a table")
        self.raw, self.name, self.used = raw, name, set()

    def get(self, key: str, kind: type | tuple, default: Any) -> Any:
        self.used.add(key)
        if key not in self.raw:
            return default
        value = self.raw[key]
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
        if not ok:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise ConfigError(f"{self.name}.{key}", value, f"expected {names}")
        return value

    def duration(self, key: str, default: float) -> float:
        self.used.add(key)
        return parse_duration(self.raw[key], f"{self.name}.{key}") if key in self.raw else default

    def positive(self, key: str, kind: type, default: Any) -> Any:
        value = self.get(key, (int, float) if kind is float else kind, default)
        if value <= 0:
            raise ConfigError(f"{self.name}.{key}", value, "must be greater than zero")
        return kind(value)

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise ConfigError(f"{self.name}.{unknown[0]}", self.raw[unknown[0]], "unknown key")


def from_dict(raw: dict, origin: str = "built-in", base_dir: Path | None = None) -> Config:
    known = {"database", "crawl", "notify", "watches", "daemon", "sources"}
    for key in raw:
        if key not in known:
            raise ConfigError(key, raw[key], f"unknown section; expected one of {', '.join(sorted(known))}")

    db = _Section(raw.get("database"), "database")
    database = DatabaseConfig(url=db.get("url", str, DatabaseConfig.url))
    if "://" not in database.url:
        raise ConfigError("database.url", database.url, "expected an SQLAlchemy URL such as sqlite:///newswatch.db")
    db.finish()

    c = _Section(raw.get("crawl"), "crawl")
    d = CrawlConfig()
    crawl = CrawlConfig(
        allow_private_networks=c.get("allow_private_networks", bool, d.allow_private_networks),
        user_agent=c.get("user_agent", str, d.user_agent),
        obey_robots_txt=c.get("obey_robots_txt", bool, d.obey_robots_txt),
        download_delay=float(c.get("download_delay", (int, float), d.download_delay)),
        concurrent_requests=c.positive("concurrent_requests", int, d.concurrent_requests),
        concurrent_requests_per_host=c.positive("concurrent_requests_per_host", int, d.concurrent_requests_per_host),
        download_timeout=c.duration("download_timeout", d.download_timeout),
        max_response_bytes=c.positive("max_response_bytes", int, d.max_response_bytes),
        max_redirects=c.positive("max_redirects", int, d.max_redirects),
        retry_times=c.get("retry_times", int, d.retry_times),
        retry_after_max=c.duration("retry_after_max", d.retry_after_max),
        default_interval=c.duration("default_interval", d.default_interval),
        max_articles_per_source=c.positive("max_articles_per_source", int, d.max_articles_per_source),
        process_workers=c.get("process_workers", int, d.process_workers),
    )
    if crawl.process_workers < 0:
        raise ConfigError("crawl.process_workers", crawl.process_workers, "must be 0 (in-process) or more")
    if crawl.download_delay < 0:
        raise ConfigError("crawl.download_delay", crawl.download_delay, "must not be negative")
    if not crawl.user_agent.strip():
        raise ConfigError("crawl.user_agent", crawl.user_agent, "must not be empty: be honest about who crawls")
    c.finish()

    n = _Section(raw.get("notify"), "notify")
    dn = NotifyConfig()
    targets = _urls(n, "targets")
    operator_targets = _urls(n, "operator_targets")
    notify = NotifyConfig(
        targets=tuple(targets),
        console=n.get("console", bool, None),
        max_attempts=n.positive("max_attempts", int, dn.max_attempts),
        backoff_initial=n.duration("backoff_initial", dn.backoff_initial),
        backoff_max=n.duration("backoff_max", dn.backoff_max),
        batch_size=n.positive("batch_size", int, dn.batch_size),
        lease=n.duration("lease", dn.lease),
        min_interval=_min_interval(n),
        operator_targets=tuple(operator_targets),
        source_failure_threshold=n.positive("source_failure_threshold", int, dn.source_failure_threshold),
    )
    n.finish()

    w = _Section(raw.get("watches"), "watches")
    base = base_dir or Path(".")
    watch_paths = []
    for i, p in enumerate(w.get("paths", list, [])):
        if not isinstance(p, str):
            raise ConfigError(f"watches.paths[{i}]", p, "expected a file path")
        path = Path(p) if Path(p).is_absolute() else base / p
        if not path.exists():
            raise ConfigError(f"watches.paths[{i}]", p, f"file not found ({path})")
        watch_paths.append(path)
    watches = WatchConfig(include_bundled=w.get("include_bundled", bool, True), paths=tuple(watch_paths))
    w.finish()

    dm = _Section(raw.get("daemon"), "daemon")
    dd = DaemonConfig()
    daemon = DaemonConfig(
        tick=dm.duration("tick", dd.tick),
        notify_interval=dm.duration("notify_interval", dd.notify_interval),
        log_level=dm.get("log_level", str, dd.log_level).upper(),
        shutdown_grace=dm.duration("shutdown_grace", dd.shutdown_grace),
    )
    if daemon.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("daemon.log_level", daemon.log_level, "expected DEBUG, INFO, WARNING or ERROR")
    dm.finish()

    raw_sources = raw.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError("sources", raw_sources, "expected [[sources]] tables")
    sources: list[SourceConfig] = []
    for i, item in enumerate(raw_sources):
        sources.append(_source(item, i, crawl))
    names = [s.name for s in sources]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError("sources.name", name, "two sources have this name; names must be unique")
    return Config(database, crawl, notify, watches, daemon, tuple(sources), origin)


def _urls(section: _Section, key: str) -> list[str]:
    urls = section.get(key, list, [])
    for i, url in enumerate(urls):
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError(f"notify.{key}[{i}]", url, "expected an Apprise URL such as mailto://… or slack://…")
    return urls


def _min_interval(section: _Section) -> float | None:
    section.used.add("min_interval")
    value = section.raw.get("min_interval")
    if value in (None, 0, "0", "0s"):
        return None if value is None else 0.0
    return parse_duration(value, "notify.min_interval")


def _source(item: Any, i: int, crawl: CrawlConfig) -> SourceConfig:
    s = _Section(item, f"sources[{i}]")
    name = s.get("name", str, None)
    if not name or not name.strip():
        raise ConfigError(f"sources[{i}].name", name, "every source needs a name")
    s.name = f"sources[{i}] ({name})"
    kind = s.get("kind", str, "feed")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{s.name}.kind", kind, f"expected one of {', '.join(SOURCE_KINDS)}")
    url = s.get("url", str, None)
    if not url or not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"{s.name}.url", url, "expected an http:// or https:// URL")
    language = s.get("language", str, None)
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise ConfigError(f"{s.name}.language", language, "expected an ISO 639 code such as en, pl, ru, ur")
    source = SourceConfig(
        name=name.strip(),
        kind=kind,
        url=url,
        interval=s.duration("interval", crawl.default_interval),
        language=language,
        selector=s.get("selector", str, None),
        enabled=s.get("enabled", bool, True),
        max_articles=s.positive("max_articles", int, crawl.max_articles_per_source),
    )
    s.finish()
    return source
