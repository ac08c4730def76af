"""Notification targets: configured Apprise URLs → ``Target`` (key, privacy-safe label, channel).

A target URL carries secrets (passwords, webhook tokens, API keys in header parameters), so it
never leaves this process: the database stores ``key`` (sha256 of the URL) and ``label`` (see
``safe_label``), and every error message that might mention the URL goes through ``Target.redact``.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from pipelines.alert_policy import DEFAULT_BURST, Route, Schedule, pace_for

CONSOLE_KEY = "console"


class TargetError(ValueError):
    """A configured target URL Apprise cannot use. The message never contains the secret."""


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    url: str = field(repr=False)  # secret: keep it out of reprs, logs and tracebacks
    channel: str
    route: Route = Route()            # which analysts' alerts it receives
    schedule: Schedule = Schedule()   # when they go out
    pace: float | None = None         # seconds between two messages; None: the channel's default
    burst: int = DEFAULT_BURST        # more alerts than this due at once: one digest instead

    @property
    def is_console(self) -> bool:
        return self.key == CONSOLE_KEY

    @property
    def seconds_between_messages(self) -> float:
        return pace_for(self.channel, self.pace)

    def redact(self, text: str) -> str:
        """Mask every piece of the URL that Apprise's privacy form does not show."""
        return redact(text, self.url, self.label)


CONSOLE = Target(key=CONSOLE_KEY, label="console (stdout)", url="", channel="generic")


def target_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def load_target(url: str, position: int | None = None, setting: str = "notification target") -> Target:
    """Validate one Apprise URL and describe it. Raises ``TargetError`` (privacy-safe) naming
    ``setting`` and the 1-based ``position`` in it."""
    import apprise  # imported here: rendering and the outbox must not need Apprise at import time

    url = url.strip()
    # Register before parsing: Apprise logs the raw URL when it cannot load it.
    _KNOWN[url] = ""
    install_log_redaction()
    plugin = apprise.Apprise.instantiate(url, asset=make_asset())
    if plugin is None:
        where = f"#{position} " if position is not None else ""
        raise TargetError(
            f"{setting} {where}({masked(url)}) is not a valid Apprise URL: "
            "unknown scheme or missing/invalid parts"
        )
    label = safe_label(plugin.url(privacy=True))
    _KNOWN[url] = label
    return Target(key=target_key(url), label=label, url=url, channel=channel_of(plugin))


def load_targets(urls, console: bool = False, setting: str = "notification target") -> list[Target]:
    """All configured targets, plus the console when asked."""
    targets = [load_target(url, i, setting) for i, url in enumerate(urls, start=1)]
    if console:
        targets.append(CONSOLE)
    return targets


@dataclass(frozen=True)
class TargetSet:
    """Where alerts go. Analysts' targets get article alerts; operators' targets get source events
    (a source broke, a source recovered). The console, when it prints, is in both."""

    analysts: tuple[Target, ...] = ()
    operators: tuple[Target, ...] = ()

    def by_key(self) -> dict[str, Target]:
        """Every target once, by key: what a delivery worker may send to."""
        return {t.key: t for t in (*self.analysts, *self.operators)}


def load_target_set(analyst_urls, operator_urls, console: bool) -> TargetSet:
    """Validate every configured URL (``TargetError`` names the list and position of a bad one)."""
    return TargetSet(
        analysts=tuple(load_targets(analyst_urls, console, "notify.targets")),
        operators=tuple(load_targets(operator_urls, console, "notify.operator_targets")),
    )


# Apprise's privacy form is not private enough: it keeps a token's first and last characters
# ("T...A") and prints header and payload parameters ("+X-Api-Key=…", ":apikey=…") in full. A label
# keeps the scheme, the host, the user, the path with tokens masked, and of the query only the
# parameters that name a recipient (an allow-list: an unknown parameter may be a secret).
_PARTIAL = re.compile(r"(?<![\w.])[^\s/?&=#:@.]\.\.\.[^\s/?&=#:@.](?![\w.])")
_RECIPIENT_PARAMS = {"to", "cc", "bcc", "from", "name", "channel", "channels", "chat", "room", "topic", "user"}


def safe_label(privacy_url: str) -> str:
    """A label to show and store for a target, from Apprise's ``url(privacy=True)``."""
    parts = urlsplit(_PARTIAL.sub("****", privacy_url))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() in _RECIPIENT_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def make_asset():
    import apprise

    # Keep Apprise's persistent store in memory: the daemon should not write caches to $HOME.
    return apprise.AppriseAsset(storage_mode="memory")


def channel_of(plugin) -> str:
    """Which renderer a plugin gets: our own HTML+text email, our own Slack mrkdwn, or plain."""
    from apprise.plugins.email import NotifyEmail
    from apprise.plugins.slack import NotifySlack

    if isinstance(plugin, NotifyEmail):
        return "email"
    if isinstance(plugin, NotifySlack):
        return "slack"
    return "generic"


def masked(url: str) -> str:
    """A URL Apprise could not parse: show its scheme only; anything after it may be a secret."""
    scheme, sep, _rest = url.strip().partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,31}", scheme):
        return "****"
    return f"{scheme}://****"


_SPLIT = re.compile(r"[/:@?&=#,;+\s]+")


def redact(text: str, url: str, label: str = "") -> str:
    """Replace every URL fragment (raw or percent-decoded) absent from ``label`` with ****."""
    if not text or not url:
        return text
    visible = set(_SPLIT.split(unquote(label))) | set(_SPLIT.split(label)) | {url.partition("://")[0]}
    secrets = {url, unquote(url)}
    for piece in _SPLIT.split(url) + _SPLIT.split(unquote(url)):
        if len(piece) >= 4 and piece not in visible:
            secrets.add(piece)
    # Longest first, so a token is masked whole rather than around a shorter piece of it.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "****")
    return text


# --- logs ---------------------------------------------------------------------------------------
# Apprise logs some raw URLs (e.g. "Could not load Slack URL: slack://<token>") and urllib3 logs
# request paths at DEBUG (Slack webhook tokens live in the path). Filters on those loggers mask
# every URL this module has seen before any handler — ours, the daemon's or Apprise's own result
# capture — formats the record.
_KNOWN: dict[str, str] = {}  # raw URL → its privacy label ("" while unparsed)
_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.connection", "requests")


def redact_known(text: str) -> str:
    for url, label in list(_KNOWN.items()):
        text = redact(text, url, label)
    return _PARTIAL.sub("****", text)  # Apprise's own half-masked tokens ("M...2")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _KNOWN:
            message = record.getMessage()
            cleaned = redact_known(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
