"""Configuration: one TOML file plus environment overrides → frozen dataclasses.

Where the file comes from, first hit wins: ``--config PATH``, ``$NEWSWATCH_CONFIG``,
``./newswatch.toml``, the bundled ``defaults.toml``. Environment variables override single keys
(``NEWSWATCH_DATABASE_URL`` and the others in ``ENV_OVERRIDES``). This is the only module that reads
``os.environ``.

Every problem is a ``ConfigError`` naming where it comes from (the file or the environment
variable), the key and the bad value, on one line, so ``newswatch config check`` can print it and
the daemon can refuse to start with a clear message instead of a traceback. A value that may hold a
secret (anything in ``[notify]`` or ``[database]``) is shown only as its type and a masked form.
"""
from __future__ import annotations

import logging
import math
import os
import re
import reprlib
import tomllib
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.netguard import url_problem
from pipelines.alert_policy import DEFAULT_BURST, Route, Schedule
from pipelines.retention import MIN_AGE as PRUNE_MIN_AGE
from pipelines.targets import masked
from pipelines.text import TooLarge, clip, one_line, read_at_most

if TYPE_CHECKING:
    from pipelines.outbox import DeliverySettings
    from pipelines.targets import TargetSet

BUNDLED_DEFAULTS = Path(__file__).with_name("defaults.toml")
WATCHLISTS_DIR = Path(__file__).with_name("watchlists")
SOURCE_KINDS = ("feed", "sitemap", "listing")
MIB = 1024 * 1024
MAX_CONFIG_BYTES = MIB          # a configuration file is a few kB; /dev/zero must not fill memory
MAX_INT = 2**31 - 1             # fits an integer column of either database
MAX_DURATION = 36500 * 86400.0  # 100 years: past it, dates and timers overflow
MAX_PROCESS_WORKERS = 64
# sections whose values may hold secrets (target URLs, database passwords): never echoed in errors
SECRET_SECTIONS = ("notify", "database", "web")

# environment variable → (section, key); values are parsed like the TOML value they replace.
ENV_OVERRIDES = {
    "NEWSWATCH_DATABASE_URL": ("database", "url"),
    "NEWSWATCH_ALLOW_PRIVATE_NETWORKS": ("crawl", "allow_private_networks"),
    "NEWSWATCH_USER_AGENT": ("crawl", "user_agent"),
    "NEWSWATCH_NOTIFY_TARGETS": ("notify", "targets"),
    "NEWSWATCH_NOTIFY_OPERATOR_TARGETS": ("notify", "operator_targets"),
    "NEWSWATCH_LOG_LEVEL": ("daemon", "log_level"),
    "NEWSWATCH_METRICS_ADDRESS": ("daemon", "metrics_address"),
    "NEWSWATCH_WEB_SECRET": ("web", "secret"),
    "NEWSWATCH_WEB_PASSWORD_HASH": ("web", "password_hash"),
    "NEWSWATCH_WEB_BASE_URL": ("web", "base_url"),
}


class ConfigError(ValueError):
    """A bad configuration: says where, which key, which value and what is wrong, on one line."""

    def __init__(self, key: str, value: Any, problem: str, origin: str | None = None):
        self.key, self.value, self.problem, self.origin = key, value, problem, origin
        where = f"{origin}: " if origin else ""
        super().__init__(one_line(f"{where}{clip(str(key), 100)} = {shown(key, value)}: {problem}"))


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def shown(key: str, value: Any) -> str:
    """A value as an error message may show it. Tables and lists are only described (they may hold
    anything, at any length); under [notify] and [database] a string is masked as a target URL is."""
    if isinstance(value, dict):
        return "<table>"
    if isinstance(value, list):
        return f"<list of {len(value)}>"
    if isinstance(value, PurePath):  # a file we tried to read: shown whole (the OS bounds its length)
        return repr(str(value))
    section = re.split(r"[.\[]", str(key), maxsplit=1)[0]
    if isinstance(value, str) and section in SECRET_SECTIONS:
        return f"<str {masked(value)}>"
    return _REPR.repr(value)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any, key: str = "duration", maximum: float = MAX_DURATION) -> float:
    """'15m', '2h', '30s', '1d', or a bare number of seconds → seconds, at most ``maximum``."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match:
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(min(value, maximum + 1))  # min: float() of a 400-digit int overflows
    else:
        raise ConfigError(key, value, "expected a duration such as '15m', '2h' or '30s'")
    if not seconds > 0:  # "not >": NaN is refused too
        raise ConfigError(key, value, "must be greater than zero")
    if seconds > maximum:
        raise ConfigError(key, value, f"must be at most {maximum / 86400:g}d")
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
    min_interval: float | None = None  # adaptive polling bounds; None: see pipelines.polling
    max_interval: float | None = None


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///newswatch.db"

    @property
    def shown(self) -> str:
        """The URL with its password hidden, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


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
class TargetConfig:
    """A ``[[notify.target]]`` table: one Apprise URL and what it asks of its alerts."""

    url: str
    route: Route = Route()
    schedule: Schedule = Schedule()
    pace: float | None = None            # seconds between two messages; None: by channel
    burst: int = DEFAULT_BURST           # more alerts due at once than this: one digest
    operators: bool = False              # true: operators' source alerts, not article alerts


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
    target_tables: tuple[TargetConfig, ...] = ()  # [[notify.target]]: URLs with routing and timing

    @property
    def print_to_console(self) -> bool:
        if self.console is not None:
            return self.console
        return not self.targets and not any(not t.operators for t in self.target_tables)

    def load_targets(self, origin_of: Callable[[str], str] | None = None) -> "TargetSet":
        """Both lists of Apprise URLs, validated (``TargetError`` names a bad one, prefixed with
        ``origin_of(key)`` when given), plus the console."""
        from pipelines.targets import CONSOLE, TargetSet, load_target, load_targets

        def checked(key: str) -> list:
            setting = f"notify.{key}" if origin_of is None else f"{origin_of(f'notify.{key}')}: notify.{key}"
            return load_targets(getattr(self, key), False, setting)

        def tables(operators: bool) -> list:
            return [replace(load_target(t.url, i, "notify.target"), route=t.route, schedule=t.schedule,
                            pace=t.pace, burst=t.burst)
                    for i, t in enumerate(self.target_tables, start=1) if t.operators == operators]

        # Apprise logs its own complaint about a bad URL: a second line for the error TargetError says
        apprise_log = logging.getLogger("apprise")
        level = apprise_log.level
        apprise_log.setLevel(logging.CRITICAL)
        try:
            console = [CONSOLE] if self.print_to_console else []
            return TargetSet(analysts=tuple(checked("targets") + tables(False) + console),
                             operators=tuple(checked("operator_targets") + tables(True) + console))
        finally:
            apprise_log.setLevel(level)

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
    source_lease: float = 1800.0         # a claimed source is free for any daemon again after this
    metrics_address: str | None = None   # "host:port": serve /metrics and /healthz there
    log_format: str = "text"             # text | json (one JSON object per line, for log shippers)
    prune_unmatched_after: float | None = None  # drop the texts of unmatched articles this old; None: keep all


@dataclass(frozen=True)
class WebConfig:
    """``[web]``: the review app (``newswatch web``, ``newswatch run --web``)."""

    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str | None = None          # how analysts reach the app; feedback links start with it
    secret: str | None = None            # HMAC key of signed feedback links; none: no links
    link_ttl: float = 14 * 86400.0       # a feedback link expires after this
    user: str = "newswatch"              # the user name of HTTP basic authentication
    password_hash: str | None = None     # pbkdf2_sha256$…, from `newswatch web --hash-password`
    auth_header: str | None = None       # trust this header of a reverse proxy to name the user

    @property
    def authenticated(self) -> bool:
        return bool(self.password_hash or self.auth_header)


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    watches: WatchConfig = field(default_factory=WatchConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    sources: tuple[SourceConfig, ...] = ()
    origin: str = "built-in"             # which file this came from
    env: tuple[tuple[str, str], ...] = ()  # (key, environment variable) for each key a variable set
    web: WebConfig = field(default_factory=WebConfig)

    def origin_of(self, key: str) -> str:
        """Where a key's value came from: ``$VARIABLE`` or the file."""
        return _origin_of(key, dict(self.env), self.origin)

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = clip(", ".join(s.name for s in self.sources), 200)
        raise ConfigError("--source", name, f"no such source; known: {known}")

    def load_targets(self) -> "TargetSet":
        """The notify section's targets; an error names the list's origin (the file or the variable)."""
        return self.notify.load_targets(self.origin_of)

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
    return _locate(explicit, os.environ if environ is None else environ)[0]


def _locate(explicit, environ: Mapping[str, str]) -> tuple[Path, str]:
    """The configuration file, and what named it (for errors about the file itself)."""
    if explicit:
        return Path(explicit), "--config"
    if environ.get("NEWSWATCH_CONFIG"):
        return Path(environ["NEWSWATCH_CONFIG"]), "$NEWSWATCH_CONFIG"
    local = Path("newswatch.toml")
    return (local, "config file") if local.exists() else (BUNDLED_DEFAULTS, "config file")


def load(explicit: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Find, read, override from the environment and validate the configuration."""
    environ = os.environ if environ is None else environ
    path, named_by = _locate(explicit, environ)
    raw = _read(path, named_by)
    from_env = _apply_env(raw, environ)
    try:
        config = from_dict(raw, origin=str(path), base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError(exc.key, exc.value, exc.problem, _origin_of(exc.key, from_env, str(path))) from None
    url = config.database.url
    # A relative SQLite path in a file is relative to that file, as watch paths are. The bundled
    # defaults and $NEWSWATCH_DATABASE_URL keep it relative to the current folder (./newswatch.db).
    if path != BUNDLED_DEFAULTS and "database.url" not in from_env:
        url = _sqlite_relative_to(url, path.resolve().parent)
    return replace(config, database=DatabaseConfig(url), env=tuple(from_env.items()))


def _read(path: Path, named_by: str) -> dict:
    """The file's TOML, read bounded (a device or a huge file is refused, not read to the end)."""
    try:
        data = read_at_most(path, MAX_CONFIG_BYTES)
    except TooLarge:
        raise ConfigError(named_by, path, f"larger than {MAX_CONFIG_BYTES // MIB} MiB: not a configuration file") from None
    except FileNotFoundError:
        raise ConfigError(named_by, path, "file not found") from None
    except OSError as exc:
        raise ConfigError(named_by, path, f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")  # -sig: a UTF-8 byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as exc:
        raise ConfigError(named_by, path, f"not UTF-8 (byte {exc.start}): save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(named_by, path, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(named_by, path, "not valid TOML: arrays or tables nested too deeply") from None


def _origin_of(key: str, from_env: Mapping[str, str], file_origin: str) -> str:
    for setting, variable in from_env.items():
        if key == setting or key.startswith(setting + "["):
            return f"${variable}"
    return file_origin


def _sqlite_relative_to(url: str, folder: Path) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    path = parsed.database
    if not parsed.drivername.startswith("sqlite") or not path or path == ":memory:" or path.startswith("file:"):
        return url
    if Path(path).is_absolute():
        return url
    return parsed.set(database=str(folder / path)).render_as_string(hide_password=False)


def _apply_env(raw: dict, environ: Mapping[str, str]) -> dict[str, str]:
    """Put the environment's values into ``raw``; returns {"section.key": variable} of those set."""
    from_env = {}
    for variable, (section, key) in ENV_OVERRIDES.items():
        if variable not in environ:
            continue
        text = environ[variable]
        if key in ("targets", "operator_targets"):
            value: Any = [t for t in re.split(r"[\s,]+", text) if t]
        elif key == "allow_private_networks":
            value = _parse_bool(text, f"{section}.{key}", f"${variable}")
        else:
            value = text
        table = raw.setdefault(section, {})
        if not isinstance(table, dict):  # e.g. `notify = 1` in the file: from_dict names it
            continue
        table[key] = value
        from_env[f"{section}.{key}"] = variable
    return from_env


def _parse_bool(text: str, key: str, origin: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(key, text, "expected true or false", origin)


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
        # TOML allows inf, nan and integers of any size; none is a sane setting, and a huge integer
        # overflows a database column or a timer later, far from the key that caused it
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{self.name}.{key}", value, "expected a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise ConfigError(f"{self.name}.{key}", value, f"must be at most {MAX_INT}")
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
    known = {"database", "crawl", "notify", "watches", "daemon", "sources", "web"}
    for key in raw:
        if key not in known:
            raise ConfigError(key, raw[key], f"unknown section; expected one of {', '.join(sorted(known))}")

    db = _Section(raw.get("database"), "database")
    database = DatabaseConfig(url=db.get("url", str, DatabaseConfig.url))
    _check_database_url(database.url)
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
    if not 0 <= crawl.process_workers <= MAX_PROCESS_WORKERS:
        raise ConfigError("crawl.process_workers", crawl.process_workers,
                          f"must be 0 (in-process) to {MAX_PROCESS_WORKERS}")
    if crawl.download_delay < 0:
        raise ConfigError("crawl.download_delay", crawl.download_delay, "must not be negative")
    if not crawl.user_agent.strip():
        raise ConfigError("crawl.user_agent", crawl.user_agent, "must not be empty: be honest about who crawls")
    c.finish()

    n = _Section(raw.get("notify"), "notify")
    dn = NotifyConfig()
    targets = _urls(n, "targets")
    operator_targets = _urls(n, "operator_targets")
    tables = [_target_table(item, i) for i, item in enumerate(n.get("target", list, []))]
    _no_url_twice(targets + operator_targets + [t.url for t in tables])
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
        target_tables=tuple(tables),
    )
    n.finish()

    w = _Section(raw.get("watches"), "watches")
    base = base_dir or Path(".")
    watch_paths = []
    for i, p in enumerate(w.get("paths", list, [])):
        if not isinstance(p, str):
            raise ConfigError(f"watches.paths[{i}]", p, "expected a file path")
        path = Path(p) if Path(p).is_absolute() else base / p
        if not _is_file(path):  # a device (/dev/zero), a folder or a FIFO is no watch file
            problem = "not a regular file" if _exists(path) else "file not found"
            raise ConfigError(f"watches.paths[{i}]", p, f"{problem} ({clip(str(path), 200)})")
        watch_paths.append(path)
    watches = WatchConfig(include_bundled=w.get("include_bundled", bool, True), paths=tuple(watch_paths))
    w.finish()

    dm = _Section(raw.get("daemon"), "daemon")
    dd = DaemonConfig()
    log_level = dm.get("log_level", str, dd.log_level)
    daemon = DaemonConfig(
        tick=dm.duration("tick", dd.tick),
        notify_interval=dm.duration("notify_interval", dd.notify_interval),
        log_level=log_level.upper(),
        shutdown_grace=dm.duration("shutdown_grace", dd.shutdown_grace),
        source_lease=dm.duration("source_lease", dd.source_lease),
        metrics_address=dm.get("metrics_address", str, None) or None,
        log_format=dm.get("log_format", str, dd.log_format),
        prune_unmatched_after=dm.duration("prune_unmatched_after", None),
    )
    if daemon.prune_unmatched_after is not None and daemon.prune_unmatched_after < PRUNE_MIN_AGE.total_seconds():
        raise ConfigError("daemon.prune_unmatched_after", dm.raw["prune_unmatched_after"],
                          f"at least {PRUNE_MIN_AGE.days}d (leave it out to keep every text): younger texts are still "
                          "matched again and tried")
    if daemon.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("daemon.log_level", log_level, "expected DEBUG, INFO, WARNING or ERROR")
    if daemon.log_format not in ("text", "json"):
        raise ConfigError("daemon.log_format", daemon.log_format, "expected text or json")
    if daemon.metrics_address and not re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[\w.-]*):\d{1,5}", daemon.metrics_address):
        raise ConfigError("daemon.metrics_address", daemon.metrics_address, "expected host:port such as 127.0.0.1:9464")
    dm.finish()

    raw_sources = raw.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError("sources", raw_sources, "expected [[sources]] tables")
    sources: list[SourceConfig] = []
    for i, item in enumerate(raw_sources):
        sources.append(_source(item, i, crawl))
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise ConfigError("sources.name", source.name, "two sources have this name; names must be unique")
        seen.add(source.name)
    return Config(database, crawl, notify, watches, daemon, tuple(sources), origin, web=_web(raw.get("web")))


def _web(raw: Any) -> WebConfig:
    s = _Section(raw, "web")
    d = WebConfig()
    web = WebConfig(
        host=s.get("host", str, d.host).strip(), port=s.positive("port", int, d.port),
        base_url=(s.get("base_url", str, None) or "").strip().rstrip("/") or None,
        secret=s.get("secret", str, None) or None, link_ttl=s.duration("link_ttl", d.link_ttl),
        user=s.get("user", str, d.user), password_hash=s.get("password_hash", str, None) or None,
        auth_header=(s.get("auth_header", str, None) or "").strip() or None)
    s.finish()
    if web.port > 65535:
        raise ConfigError("web.port", web.port, "must be at most 65535")
    if web.base_url and not re.match(r"^https?://[^/\s]+", web.base_url):
        raise ConfigError("web.base_url", web.base_url, "expected an http:// or https:// URL")
    if web.secret is not None and len(web.secret) < 16:
        raise ConfigError("web.secret", web.secret, "must be at least 16 characters (a random string)")
    if web.password_hash and not web.password_hash.startswith("pbkdf2_sha256$"):
        raise ConfigError("web.password_hash", web.password_hash,
                          "expected a hash from `newswatch web --hash-password` (pbkdf2_sha256$…)")
    return web


def _check_database_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError("database.url", url, "expected an SQLAlchemy URL such as sqlite:///newswatch.db "
                                               "or postgresql+psycopg://user@host/db") from None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _urls(section: _Section, key: str) -> list[str]:
    urls = section.get(key, list, [])
    for i, url in enumerate(urls):
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError(f"notify.{key}[{i}]", url, "expected an Apprise URL such as mailto://… or slack://…")
    return urls


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _clock_time(text: str, key: str) -> time:
    match = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ConfigError(key, text, "expected a time of day such as '08:00'")
    return time(int(match.group(1)), int(match.group(2)))


def _names(section: _Section, key: str) -> frozenset[str]:
    values = section.get(key, list, [])
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError(f"{section.name}.{key}", values, "expected a list of names")
    return frozenset(v.strip() for v in values)


def _target_table(item: Any, i: int) -> TargetConfig:
    """One [[notify.target]] table → TargetConfig (validated: time zone, times, schedule)."""
    t = _Section(item, f"notify.target[{i}]")
    url = t.get("url", str, None)
    if not url or "://" not in url:
        raise ConfigError(f"{t.name}.url", url, "expected an Apprise URL such as mailto://… or slack://…")
    zone = t.get("timezone", str, "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{t.name}.timezone", zone, "expected an IANA time zone such as 'Asia/Karachi'") from None
    mode = t.get("mode", str, "instant")
    every = t.duration("every", 0.0) or None
    at = _clock_time(t.raw["at"], f"{t.name}.at") if "at" in t.raw else None
    t.used.add("at")
    if mode not in ("instant", "digest"):
        raise ConfigError(f"{t.name}.mode", mode, "expected 'instant' or 'digest'")
    if mode == "digest" and (every is None) == (at is None):
        raise ConfigError(f"{t.name}.mode", mode, "a digest needs one of every = '1h' or at = '08:00'")
    if mode == "instant" and (every or at):
        raise ConfigError(f"{t.name}.every" if every else f"{t.name}.at", every or t.raw["at"],
                          "only a digest target (mode = 'digest') has a schedule")
    quiet = None
    if "quiet" in t.raw:
        start, _, end = str(t.get("quiet", str, "")).partition("-")
        if not (_CLOCK.match(start.strip()) and _CLOCK.match(end.strip())):
            raise ConfigError(f"{t.name}.quiet", t.raw["quiet"], "expected a span of the day such as '22:00-07:00'")
        quiet = (_clock_time(start, f"{t.name}.quiet"), _clock_time(end, f"{t.name}.quiet"))
    urgent = t.get("urgent_score", (int, float), None)
    pace = t.get("pace", (int, float, str), None)
    route = Route(watches=_names(t, "watches"), languages=_names(t, "languages"), sources=_names(t, "sources"),
                  min_score=float(t.get("min_score", (int, float), 0.0)))
    target = TargetConfig(
        url=url.strip(), route=route,
        schedule=Schedule(mode=mode, every=every, at=at, quiet=quiet, timezone=zone,
                          urgent_score=float(urgent) if urgent is not None else None),
        pace=None if pace is None else (0.0 if pace in (0, "0", "0s") else parse_duration(pace, f"{t.name}.pace")),
        burst=t.positive("burst", int, DEFAULT_BURST), operators=t.get("operators", bool, False))
    t.finish()
    return target


def _no_url_twice(urls: list[str]) -> None:
    seen = set()
    for url in urls:
        if url.strip() in seen:
            raise ConfigError("notify", url, "this target is configured twice (targets, operator_targets, target)")
        seen.add(url.strip())


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
    problem = url_problem(url)
    if problem:  # userinfo, a port out of range, a host no DNS name can be: refused before any crawl
        raise ConfigError(f"{s.name}.url", _without_userinfo(url), problem.removeprefix("refused by netguard: "))
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
        min_interval=s.duration("min_interval", 0.0) or None,
        max_interval=s.duration("max_interval", 0.0) or None,
    )
    if source.min_interval and source.max_interval and source.min_interval > source.max_interval:
        raise ConfigError(f"{s.name}.min_interval", s.raw["min_interval"], "must not be above max_interval")
    s.finish()
    return source


def _without_userinfo(url: str) -> str:
    """The URL as an error may show it: a user name and password replaced by ****."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/?#]*@", r"\1****@", url, flags=re.I)
