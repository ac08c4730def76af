"""What each chat service would receive for a hostile article: the exact requests Apprise's plugin
makes, caught at its HTTP layer (``requests.post``/``get``/``put``/``request`` as the plugins call
them; no network). An article may write mentions and markup; none of it may reach a service live."""
from __future__ import annotations

import json
import os

import pytest
import requests

from pipelines.digest import DigestItem, render_digest
from pipelines.notifier import Notifier, assert_no_live_slack_markup
from pipelines.render import render
from pipelines.targets import load_target
from tests.test_render import content

# Everything a service could read as a ping or a link, written by the article.
MENTIONS = ["@everyone", "@here", "@channel", "@all", "@room", "@**all**", "\uff20everyone", "@alice",
            "<@123456789012345678>", "<@&987>", "<#555>", "<!channel>", "<users/all>", "<https://evil.example"]
MARKUP = ["**bold**", "||spoiler||", "~~strike~~", "`code`", "_it_", "[click](https://evil.example)"]
HOSTILE = " ".join(MENTIONS) + " " + " ".join(MARKUP) + " a@b.org Rosji"


def hostile_alert():
    return content(title="Breaking @everyone [click](https://evil.example) **bold**", snippet=HOSTILE,
                   snippet_spans=[(HOSTILE.index("Rosji"), len(HOSTILE))], source="<@&987> News",
                   url="https://news.example/@everyone/a_(b)?id=1",
                   terms=[{"term": "Rosja", "form": "@here", "group": "<!channel>"}])


class FakeResponse:
    """What every plugin below accepts as success (each reads only the fields it needs)."""

    status_code = 200
    headers: dict = {}  # noqa: RUF012 - read only

    def __init__(self, url):
        if url.startswith("https://hooks.slack.com/"):
            self.content, self.text = b"ok", "ok"  # what a Slack webhook answers
            return
        self.content = json.dumps({
            "ok": True, "result": {"message_id": 1}, "status": "success", "id": "1",
            "user_id": "@bot:mx.example", "room_id": "!room:mx.example", "event_id": "$e",
            "data": {"authToken": "t", "userId": "u"}}).encode()
        self.text = self.content.decode()

    def json(self):
        return json.loads(self.content)


@pytest.fixture
def wire(monkeypatch):
    """Every request the plugins make: (method, url, decoded body)."""
    sent = []

    def fake(method):
        def call(url, *args, **kwargs):
            body = kwargs.get("data") if kwargs.get("data") is not None else kwargs.get("json")
            sent.append((method, url, body))
            return FakeResponse(url)
        return call

    for method in ("post", "get", "put"):
        monkeypatch.setattr(requests, method, fake(method.upper()))
    monkeypatch.setattr(requests, "request", lambda method, url, **kwargs: fake(method.upper())(url, **kwargs))
    return sent


def strings(value):
    """Every string in a request body, JSON (even JSON inside a form field) decoded."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            yield value
            return
        yield from strings(decoded) if not isinstance(decoded, str) else [decoded]
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


# (Apprise URL, the host it posts to, whether the service renders Markdown in what it receives)
CHANNELS = {
    "discord": ("discord://123456/webhooktoken", "discord.com", True),
    "guilded": ("guilded://123456/webhooktoken", "media.guilded.gg", True),
    "mattermost": ("mmost://mm.example/hooktokenhooktoken", "mm.example", True),
    "zulip": ("zulip://bot@org/abcdefghijklmnopqrstuvwxyz123456", "org.zulipchat.com", True),
    "ryver": ("ryver://org/tokentokentoken", "org.ryver.com", True),
    "nextcloud-talk": ("nctalk://user:pass@nc.example/room", "nc.example", True),
    "rocket.chat": ("rocket://hookid%2Fhooktoken@rc.example/#general", "rc.example", False),
    "telegram": ("tgram://123456789:abcdefghijklmnopqrstuvwxyzABCDEFGHI/12345", "api.telegram.org", False),
    "matrix": ("matrix://accesstoken@mx.example/!room:mx.example", "mx.example", False),
    "google-chat": ("gchat://workspace/webhookkey/webhooktoken", "chat.googleapis.com", False),
    "ms-teams": ("workflows://teams.example/workflowid/signature", "teams.example", True),
    "ntfy": ("ntfy://newswatch-topic", "ntfy.sh", False),
    "mastodon": ("mastodon://accesstoken@m.example", "m.example", False),
}


@pytest.mark.parametrize("name", list(CHANNELS))
def test_no_live_mention_or_markup_reaches_the_service(wire, name):
    url, host, renders_markdown = CHANNELS[name]
    target = load_target(url)
    result = Notifier(min_interval=0).send(target, render(hostile_alert(), target.channel))
    assert result.ok, result.error
    messages = [r for r in wire if host in r[1] and r[2] and "Rosji" in "".join(strings(r[2]))]
    assert messages, wire
    text = "\n".join(s for _, _, body in messages for s in strings(body))
    for live in MENTIONS + ["[click](https://evil.example)"]:
        assert live not in text, (name, live)
    if renders_markdown:
        topics = {body.get("topic") for _, _, body in messages if isinstance(body, dict)}  # Zulip: plain
        rendered = [s for _, _, body in messages for s in strings(body) if s not in topics]
        for live in MARKUP:
            assert not any(live in s for s in rendered), (name, live)
    # Our link, '@' percent-encoded; where Apprise escapes CommonMark for the service, escaped too.
    assert "https://news.example/%40everyone/a%5F%28b%29?id=1" in text.replace("\\", "")


@pytest.mark.parametrize("name", ["discord", "matrix"])
def test_a_digest_is_neutralised_like_an_alert(wire, name):
    items = [DigestItem((1,), "w", HOSTILE, "https://news.example/@here", "<@&987> News", "score 7")]
    [(digest, _)] = render_digest(items, "generic")
    assert Notifier(min_interval=0).send(load_target(CHANNELS[name][0]), digest).ok
    text = "\n".join(s for _, url, body in wire if body and CHANNELS[name][1] in url for s in strings(body))
    for live in MENTIONS + ["[click](https://evil.example)"]:
        assert live not in text, (name, live)
    assert "https://news.example/%40here" in text  # the link, still working


def test_zulip_topic_is_plain_text(wire):
    target = load_target(CHANNELS["zulip"][0])
    assert Notifier(min_interval=0).send(target, render(hostile_alert(), target.channel)).ok
    [(_, _, body)] = wire
    assert body["topic"] == render(hostile_alert(), "chat").title
    assert "\\" not in body["topic"]


def test_json_webhook_still_gets_the_article_text_as_data(wire):
    target = load_target("json://hooks.example/alerts")
    assert Notifier(min_interval=0).send(target, render(hostile_alert(), target.channel)).ok
    [(_, _, body)] = wire
    message = json.loads(body)["message"]
    assert all(live in message for live in MENTIONS + MARKUP)


# --- Slack: verbatim, so Slack itself links and parses nothing -----------------------------------

SLACK_HOOK = "slack://T1SECRETA/B2SECRETB/c3secretsecretsecretsecretc"
SLACK_BOT = "slack://xoxb-1234-1234-abc124/#alerts"


def slack_sections(wire):
    [(_, _, body)] = [r for r in wire if "slack.com" in r[1]]
    payload = json.loads(body)
    return [b for a in payload["attachments"] for b in a["blocks"] if b["type"] == "section"]


@pytest.mark.parametrize("url", [SLACK_HOOK, SLACK_HOOK + "?blocks=no", SLACK_BOT])
def test_slack_section_is_verbatim_mrkdwn(wire, url):
    target = load_target(url)
    alert = render(hostile_alert(), target.channel)
    assert Notifier(min_interval=0).send(target, alert).ok
    [section] = slack_sections(wire)
    assert section["text"] == {"type": "mrkdwn", "text": alert.body, "verbatim": True}
    assert_no_live_slack_markup(section["text"]["text"])


def test_slack_template_is_written_again_when_a_cleaner_removes_it(wire):
    target, notifier = load_target(SLACK_HOOK), Notifier(min_interval=0)
    assert notifier.send(target, render(content(), "slack")).ok
    os.remove(notifier._slack_template)
    wire.clear()
    assert notifier.send(target, render(content(), "slack")).ok
    assert slack_sections(wire)[0]["text"]["verbatim"] is True


def test_slack_payload_stays_within_the_section_limit(wire):
    target = load_target(SLACK_HOOK)
    long = content(title="&" * 300, source="<" * 600, url="https://news.example/?" + "a=1&" * 100,
                   snippet="& " * 2000, snippet_spans=[(0, 1)])
    assert Notifier(min_interval=0).send(target, render(long, "slack")).ok
    text = slack_sections(wire)[0]["text"]["text"]
    assert len(text) <= 3000 and text.splitlines()[1].startswith("*<https://news.example/?a=1")
    assert text.splitlines()[-1].startswith("*All hits:* ")
