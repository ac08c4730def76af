"""Send one rendered alert to one target through Apprise. No retries here: the outbox owns them.

How each channel is handed to Apprise (checked against Apprise 2.3's source):
- email: ``body_format=HTML``. Apprise's email plugin then sends multipart/alternative whose
  text/plain part is its own HTML→text conversion of our HTML; Apprise has no way to pass our
  plain-text twin, so ``render_email`` lays out HTML that converts cleanly.
- Slack: our mrkdwn must reach Slack byte for byte. Declaring a format makes Apprise convert it
  (MARKDOWN runs a CommonMark→mrkdwn pass that escapes '&' again and turns *bold* into _italic_;
  TEXT escapes everything again). Not declaring one (``body_format=None``) skips conversion, but
  in Slack's legacy attachment mode Apprise then re-escapes the text and runs regexes that turn
  '&lt;!channel&gt;', '!here|…&gt;' and '&lt;http://…|…&gt;' back into live mentions and links.
  In Block Kit mode (``use_blocks``) the undeclared body goes out untouched, so Slack targets are
  switched to blocks and sent undeclared; ``assert_no_live_slack_markup`` double-checks our text.
- everything else: plain text declared as TEXT, so Apprise escapes it for that service itself.
"""
from __future__ import annotations

import logging
import re
import sys
import threading
from dataclasses import dataclass

from pipelines.render import RenderedAlert
from pipelines.targets import Target, install_log_redaction, make_asset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None   # privacy-safe: passed through Target.redact; the outbox clips it


# Our Slack text may open exactly one kind of '<…>': the article link '<http…|Open article>'.
_LIVE_SLACK = re.compile(r"<(?!https?://[^|<>\s]+\|[^<>]*>)")


def assert_no_live_slack_markup(body: str) -> None:
    if _LIVE_SLACK.search(body):
        raise ValueError("refusing to send Slack text with live markup other than the article link")


class Notifier:
    """Keeps one Apprise object per target key (use one Notifier per worker thread).

    Reusing the object keeps Apprise's per-service throttle in force (it sleeps so that one
    service gets at most one request per ``request_rate_per_sec`` seconds: 5.5 s for email, 1.2 s
    for Slack in Apprise 2.3). ``min_interval`` overrides that spacing, e.g. 0 for local tests.
    """

    def __init__(self, stream=None, min_interval: float | None = None):
        self._apprise: dict[str, object] = {}
        self._stream = stream
        self._min_interval = min_interval
        self._lock = threading.Lock()
        install_log_redaction()

    def send(self, target: Target, alert: RenderedAlert) -> SendResult:
        try:
            if target.is_console:
                return self._print(alert)
            return self._notify(target, alert)
        except Exception as exc:  # one bad target must not stop the outbox loop
            return SendResult(False, target.redact(f"{type(exc).__name__}: {exc}"))

    def _print(self, alert: RenderedAlert) -> SendResult:
        stream = self._stream or sys.stdout
        stream.write(f"{alert.title}\n{alert.text}\n\n")
        stream.flush()
        return SendResult(True)

    def _client(self, target: Target):
        import apprise

        with self._lock:
            client = self._apprise.get(target.key)
            if client is None:
                client = apprise.Apprise(asset=make_asset())
                if not client.add(target.url):
                    raise ValueError(f"Apprise cannot load target {target.label}")
                for plugin in client:
                    if target.channel == "slack":
                        plugin.use_blocks = True  # see module docstring: the only verbatim path
                    if self._min_interval is not None:
                        plugin.request_rate_per_sec = self._min_interval
                self._apprise[target.key] = client
            return client

    def _notify(self, target: Target, alert: RenderedAlert) -> SendResult:
        from apprise import NotifyFormat

        client = self._client(target)
        if target.channel == "email":
            title, body, fmt = alert.title, alert.body, NotifyFormat.HTML
        elif target.channel == "slack" and alert.channel == "slack":
            assert_no_live_slack_markup(alert.body)
            title, body, fmt = "", alert.body, None
        else:
            title, body, fmt = alert.title, alert.text, NotifyFormat.TEXT
        result = client.notify(body=body, title=title, body_format=fmt)
        if result:
            return SendResult(True)
        return SendResult(False, target.redact(_failure_text(result, target)))


def _failure_text(result, target: Target) -> str:
    """Apprise's own warnings for this call, or its status when it logged none."""
    try:
        messages = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    except Exception:  # older Apprise returned a plain bool
        messages = []
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    detail = "; ".join(dict.fromkeys(messages)) or "no detail from Apprise"
    return f"{status} sending to {target.label}: {detail}"
