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
  In Block Kit mode the undeclared body goes out untouched, so Slack targets are sent in blocks,
  undeclared; ``assert_no_live_slack_markup`` double-checks our text. Escaping is not enough:
  unless a mrkdwn text object says ``"verbatim": true``, Slack itself links bare URLs and
  #channel names and parses @here/@channel/@everyone written as plain words. Apprise's own
  Block Kit payload has no ``verbatim``; only a Slack *template* (a JSON file Apprise reads at
  every send, ``{{app_body}}`` JSON-escaped) can add it, so webhook and bot targets get ours
  (SLACK_TEMPLATE, written to a private temporary file, again if a cleaner removed it; a
  ``?template=`` in the URL is overridden). Workflow Builder targets take a bare ``text``
  variable and no blocks: they get the same escaped text, without ``verbatim``.
- JSON webhooks (``json://``, ``jsons://``): besides Apprise's own keys (title, message, type),
  the payload carries the alert's fields as data (``RenderedAlert.data``: ``kind`` "alert",
  "digest" or "source_event" and the fields; README "Structured webhooks"), set as the plugin's
  payload extras for that one send (the URL's own ``:key=value`` extras are kept).
- everything else: plain text (an alert's or a digest's) in the dialect its service needs
  (``dialect_of``, ``render.in_dialect``), so nothing an article writes pings anyone or becomes
  markup; links keep working, their '@' and Markdown characters percent-encoded:
  - "markdown" (mentions and inline Markdown neutralised by us, ``render.no_markdown``, and
    declared MARKDOWN so Apprise passes our escaped text on): services that render Markdown and
    mentions in the text Apprise hands them unchanged: Discord, Guilded and Fluxer (``content``:
    @everyone/@here, <@id>, <@&role>, ||spoilers||, [masked links](…); Apprise sets no
    ``allowed_mentions``), Mattermost (@here, @channel, @all, Slack-style <!channel>), Zulip
    (@**all**, #**stream**; its title is a plain-text topic name: mentions neutralised only),
    Ryver, Nextcloud Talk (@all), and MS Teams workflows (Apprise escapes the body but puts the
    title unescaped in a Markdown TextBlock).
  - "generic" (as is): Apprise's JSON, XML and form webhooks. Their consumer gets the article's
    text as data and escapes it for wherever it shows it.
  - "chat" (mentions neutralised by us, ``render.no_mentions``; markup left to Apprise): every
    other service. Where the service reads markup, Apprise escapes our declared TEXT for it:
    Telegram (sent as HTML, escaped), Rocket.Chat, Webex, Revolt (CommonMark, escaped), Google
    Chat (CommonMark escaped, then Apprise's Chat dialect un-escapes '[' and '(': '](' carries our
    zero-width space, so '[text](url)' stays text in either Chat syntax). The mentions are ours to
    stop: Rocket.Chat @all/@here, Telegram @user, Matrix @room (plain ``body``, no
    ``formatted_body``; Apprise sends no ``m.mentions``), Google Chat <users/all>, Mastodon and
    Misskey @user@host. Services with neither (ntfy without ``X-Markdown``, SMS, push, e-mail
    APIs) show an invisible zero-width space after '@' and '<'.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass

from pipelines.render import RenderedAlert, in_dialect
from pipelines.targets import Target, install_log_redaction, make_asset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None   # privacy-safe: passed through Target.redact; the outbox clips it


# Our Slack text may open exactly one kind of '<…>': a link '<http…|label>' (the headline, the verdicts).
_LIVE_SLACK = re.compile(r"<(?!https?://[^|<>\s]+\|[^<>]*>)")


def assert_no_live_slack_markup(body: str) -> None:
    if _LIVE_SLACK.search(body):
        raise ValueError("refusing to send Slack text with live markup other than the article link")


# One mrkdwn section, verbatim: Slack parses our markup and nothing else (see module docstring).
SLACK_TEMPLATE = {
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "{{app_body}}", "verbatim": True}}],
    "color": "{{app_color}}",
}

# Apprise plugin class → the plain-text dialect its service needs (see module docstring).
_MARKDOWN_SERVICES = {"NotifyDiscord", "NotifyGuilded", "NotifyFluxer", "NotifyMattermost", "NotifyZulip",
                      "NotifyRyver", "NotifyNextcloudTalk", "NotifyWorkflows"}
_DATA_SERVICES = {"NotifyJSON", "NotifyXML", "NotifyForm"}
_PLAIN_TITLE_SERVICES = {"NotifyZulip"}  # the title is a topic name: plain text


def dialect_of(plugin) -> str:
    name = type(plugin).__name__
    return "markdown" if name in _MARKDOWN_SERVICES else "generic" if name in _DATA_SERVICES else "chat"


def _write_slack_template() -> str:
    fd, path = tempfile.mkstemp(prefix="newswatch-slack-", suffix=".json")  # private: 0600, new name
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(SLACK_TEMPLATE, out)
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


class Notifier:
    """Keeps one Apprise object per target key; one thread at a time per target.

    Apprise's own per-service throttle (``request_rate_per_sec``: 5.5 s for email, 1.2 s for
    Slack in Apprise 2.3) applies unless ``min_interval`` overrides it; the outbox's delivery
    sets 0 and paces each target itself.
    """

    def __init__(self, stream=None, min_interval: float | None = None):
        self._apprise: dict[str, object] = {}
        self._stream = stream
        self._min_interval = min_interval
        self._lock = threading.Lock()
        self._slack_template: str | None = None
        self._json_extras: dict[str, dict] = {}  # a JSON webhook's payload extras from its URL
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

    def _verbatim_slack(self, client) -> None:
        """Point the client's Slack plugins at our template, written again if it went missing."""
        from apprise import AppriseAttachment
        from apprise.plugins.slack import SlackMode

        if not (self._slack_template and os.path.isfile(self._slack_template)):
            self._slack_template = _write_slack_template()
        for plugin in client:
            if plugin.mode in (SlackMode.WEBHOOK, SlackMode.WEBHOOK_GOV, SlackMode.BOT):  # they post blocks
                plugin.template = AppriseAttachment(self._slack_template, asset=plugin.asset)

    def _notify(self, target: Target, alert: RenderedAlert) -> SendResult:
        from apprise import NotifyFormat

        client = self._client(target)
        if target.channel == "email":
            title, body, fmt = alert.title, alert.body, NotifyFormat.HTML
        elif target.channel == "slack" and alert.channel == "slack":
            assert_no_live_slack_markup(alert.body)
            self._verbatim_slack(client)
            title, body, fmt = "", alert.body, None
        else:
            plugin = next(iter(client))
            dialect = dialect_of(plugin)
            title = in_dialect(alert.title, "chat" if type(plugin).__name__ in _PLAIN_TITLE_SERVICES else dialect)
            body = in_dialect(alert.text, dialect)
            # Our "markdown" text is escaped CommonMark already: declared so, Apprise passes it on.
            fmt = NotifyFormat.MARKDOWN if dialect == "markdown" else NotifyFormat.TEXT
        self._with_data(target, client, alert.data)
        result = client.notify(body=body, title=title, body_format=fmt)
        if result:
            return SendResult(True)
        return SendResult(False, target.redact(_failure_text(result, target)))


    def _with_data(self, target: Target, client, data: dict | None) -> None:
        """A JSON webhook's payload extras: the URL's own, plus this alert's fields."""
        for plugin in client:
            if type(plugin).__name__ == "NotifyJSON":
                base = self._json_extras.setdefault(target.key, dict(plugin.payload_extras))
                plugin.payload_extras = {**base, **(data or {})}


def _failure_text(result, target: Target) -> str:
    """Apprise's own warnings for this call, or its status when it logged none."""
    try:
        messages = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    except Exception:  # older Apprise returned a plain bool
        messages = []
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    detail = "; ".join(dict.fromkeys(messages)) or "no detail from Apprise"
    return f"{status} sending to {target.label}: {detail}"
