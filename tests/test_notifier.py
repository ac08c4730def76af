"""Delivery through real Apprise to real receivers: aiosmtpd for email, an HTTP server for
webhooks, and the same HTTP server standing in for hooks.slack.com (so the test sees the exact
JSON Apprise's Slack plugin puts on the wire)."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest

from pipelines.notifier import Notifier, assert_no_live_slack_markup
from pipelines.render import render
from pipelines.targets import CONSOLE, TargetError, load_target, load_targets
from tests.alert_servers import webhook_server
from tests.test_render import HOSTILE, content

SLACK_URL = "slack://T1SECRETA/B2SECRETB/c3secretsecretsecretsecretc"


def send(target, alert_content, notifier=None):
    return (notifier or Notifier()).send(target, render(alert_content, target.channel))


# --- targets -------------------------------------------------------------------------------------

def test_target_key_label_and_channel(smtp):
    email = load_target(smtp.url())
    assert email.channel == "email" and len(email.key) == 64
    assert smtp.password not in email.label and "****" in email.label
    assert smtp.password not in repr(email)
    assert load_target(SLACK_URL).channel == "slack"
    assert "SECRET" not in load_target(SLACK_URL).label
    assert load_target("json://127.0.0.1:9/hook").channel == "generic"


def test_invalid_target_error_is_privacy_safe(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TargetError) as err:
        load_targets(["json://127.0.0.1/x", "slack://ONLYONESECRETTOKEN"])
    assert "#2" in str(err.value) and "slack://" in str(err.value)
    assert "ONLYONESECRETTOKEN" not in str(err.value)
    assert "ONLYONESECRETTOKEN" not in caplog.text  # Apprise logs the raw URL; our filter masks it
    with pytest.raises(TargetError):
        load_target("nosuchscheme://user:pw@host/")


def test_console_target_prints():
    out = io.StringIO()
    assert load_targets([], console=True) == [CONSOLE]
    result = Notifier(stream=out).send(CONSOLE, render(content(), CONSOLE.channel))
    assert result.ok and "[[Pakistanem]]" in out.getvalue() and "Russia–Pakistan security" in out.getvalue()


# --- email ---------------------------------------------------------------------------------------

def test_email_through_apprise_to_smtp(smtp):
    target = load_target(smtp.url())
    result = send(target, content(title="Pakistan & Rosja\nBcc: victim@example.org", snippet_spans=[(12, 22)]))
    assert result.ok, result.error
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["analyst@example.org"]
    msg = mail.message
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Bcc"] is None
    assert msg["Subject"] == "[newswatch] Russia–Pakistan security: Pakistan & Rosja Bcc: victim@example.org"
    html_part, text_part = mail.part("text/html"), mail.part("text/plain")
    assert "<mark>Pakistanem</mark>" in html_part
    assert 'href="https://news.example/a?id=1&amp;x=2"' in html_part
    assert "Pakistan &amp; Rosja" in html_part
    # The text/plain part is Apprise's conversion of our HTML: it must still carry everything.
    for needle in ("Russia–Pakistan security", 'found as "Pakistanem"', "Rosji", "Score: 7.5 (threshold 5)",
                   "Example News", "2024-03-05 08:30 UTC · pl", "https://news.example/a?id=1&x=2",
                   "Delegacja z Pakistanem rozmawiała"):
        assert needle in text_part, needle


def test_email_failure_is_reported_without_the_password(smtp, caplog):
    caplog.set_level(logging.DEBUG)
    target = load_target(smtp.url(password="Wr0ngPassw0rdXYZ"))
    result = send(target, content())
    assert not result.ok and smtp.messages == []
    assert "Wr0ngPassw0rdXYZ" not in result.error and "Wr0ngPassw0rdXYZ" not in caplog.text
    assert "127.0.0.1" in result.error


# --- generic webhook ----------------------------------------------------------------------------

def test_json_webhook_gets_plain_text(webhook):
    target = load_target(webhook.url("/hooks/alerts"))
    result = send(target, content(snippet=HOSTILE, snippet_spans=[]))
    assert result.ok, result.error
    assert len(webhook.requests) == 1 and webhook.requests[0].path == "/hooks/alerts"
    payload = json.loads(webhook.requests[0].body)
    assert payload["title"].startswith("[newswatch] Russia–Pakistan security")
    # A generic JSON consumer gets the article text as text: its own job to escape for display.
    assert "Snippet: Alert <!channel> and &lt;!channel&gt;" in payload["message"]
    assert "All hits: Pakistan" in payload["message"]


def test_webhook_500_is_a_failure_with_a_safe_message():
    with webhook_server(fail_first=1) as hook:
        target = load_target(hook.url("/hook/SECRETPATHTOKEN") + "?token=QuerySecretValue")
        result = send(target, content())
        assert not result.ok and "500" in result.error
        assert "QuerySecretValue" not in result.error
        assert send(target, content()).ok


# --- Slack: the bytes on the wire ---------------------------------------------------------------

def slack_via(hook, url=SLACK_URL):
    """A Slack target whose Apprise plugin posts to the local receiver instead of hooks.slack.com."""
    target = load_target(url)
    notifier = Notifier()
    for plugin in notifier._client(target):
        plugin.webhook_url = f"http://127.0.0.1:{hook.port}/services"
    return target, notifier


@pytest.mark.parametrize("url", [SLACK_URL, SLACK_URL + "?blocks=no", SLACK_URL + "?blocks=yes"])
def test_slack_wire_has_no_live_mentions(webhook, url):
    target, notifier = slack_via(webhook, url)
    hostile = content(title=HOSTILE, snippet=HOSTILE + " !here|gotcha and Rosji", source=HOSTILE,
                      snippet_spans=[(0, 5)], terms=[{"term": "<!channel>", "form": "&lt;!here&gt;", "group": "x"}])
    result = send(target, hostile, notifier)
    assert result.ok, result.error
    [request] = webhook.requests
    assert request.path == "/services/T1SECRETA/B2SECRETB/c3secretsecretsecretsecretc"
    raw = request.body.decode()
    payload = json.loads(raw)
    texts = [b["text"]["text"] for a in payload["attachments"] for b in a.get("blocks", []) if "text" in b]
    body = next(t for t in texts if "newswatch alert" in t)
    # Verbatim: Slack links no bare URL or #channel and parses no @here of its own accord.
    assert [b["text"].get("verbatim") for a in payload["attachments"] for b in a["blocks"]] == [True]
    # Exactly one live '<…>' reaches Slack: our link. Mentions arrive escaped, once or twice.
    [link] = re.findall(r"<[^>]*>", body)  # the headline's link, its label the escaped title
    assert link.startswith("<https://news.example/a?id=1&amp;x=2|") and "<!" not in link
    assert "&lt;!channel&gt;" in body and "&amp;lt;!channel&amp;gt;" in body and "&lt;@U123ABC&gt;" in body
    assert "<!" not in raw and "<@" not in raw and "\\u003c!" not in raw
    assert body == render(hostile, "slack").body  # verbatim: no second escaping, no _italics_


def test_slack_guard_refuses_live_markup():
    assert_no_live_slack_markup("ok <https://x.example/a|Open article>")
    for bad in ("<!channel>", "<@U1>", "<http://x|y> <!here>", "<#C1>"):
        with pytest.raises(ValueError):
            assert_no_live_slack_markup(bad)
