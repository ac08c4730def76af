"""Alerts analysts want: targets served at once and paced, bursts as digests, routing, schedules
and quiet hours (SQLite and PostgreSQL, real Apprise delivery to local receivers)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from crawler.config import NotifyConfig
from pipelines.alert_policy import HOLD_DIGEST, HOLD_QUIET, Route, Schedule
from pipelines.digest import DigestItem, render_digest
from pipelines.models import Alert, Message
from pipelines.notifier import assert_no_live_slack_markup
from pipelines.outbox import create_alerts
from pipelines.targets import load_target
from tests.alert_servers import webhook_server
from tests.delivery import delivery
from tests.test_outbox import make_match

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
CONFIG = NotifyConfig(min_interval=0, console=False, max_attempts=3)


def seed(sessions, targets, count):
    with sessions() as session:
        for n in range(count):
            create_alerts(session, make_match(session, n), targets)
        session.commit()


def titles(hook) -> list[str]:
    return [json.loads(body)["title"] for body in hook.bodies]


# --- digests ------------------------------------------------------------------------------------

def test_a_burst_goes_out_as_one_digest_and_every_alert_is_recorded_in_it(sessions):
    with webhook_server() as burst_hook, webhook_server() as calm_hook:
        burst, calm = load_target(burst_hook.url("/burst")), load_target(calm_hook.url("/calm"))
        with sessions() as session:  # twelve matches for one target, three of them for the other
            for n in range(12):
                create_alerts(session, make_match(session, n), [burst, calm] if n < 3 else [burst])
            session.commit()
        report = delivery(sessions, [burst, calm], CONFIG, now=T0).run_once()
        assert (report.sent, report.messages) == (15, 4)  # 12 in one digest, 3 alone
        assert len(burst_hook.requests) == 1 and "digest: 12 alerts" in titles(burst_hook)[0]
        body = json.loads(burst_hook.bodies[0])["message"]
        assert all(f"Article {n}: Rosja i Pakistan" in body for n in range(12))
        assert len(calm_hook.requests) == 3 and not any("digest" in t for t in titles(calm_hook))
    with sessions() as session:
        messages = {m.id: m for m in session.scalars(select(Message))}
        rows = session.scalars(select(Alert)).all()
    assert sorted((m.kind, m.alerts) for m in messages.values()) == [("alert", 1)] * 3 + [("digest", 12)]
    assert all(r.status == "sent" and r.message_id in messages for r in rows)
    assert {r.message_id for r in rows if r.target_key == burst.key} == {
        m.id for m in messages.values() if m.kind == "digest"}
    assert delivery(sessions, [burst, calm], CONFIG, now=T0 + timedelta(days=1)).run_once().sent == 0


def digest_items(count: int, title: str = "Rosja i Pakistan", url: str = "https://news.example/a?id=1&x=2"):
    return [DigestItem((n,), "russia_pakistan_security" if n % 3 else "other watch", f"{title} {n}",
                       f"{url}&n={n}", "Example News", f"score {n} (threshold 5), hit \"Rosji\" (Rosja)",
                       ("Dawn", "TASS") if n % 2 else ()) for n in range(count)]


def test_digests_split_to_fit_the_channel_and_carry_every_alert_once():
    hostile = "<!channel> & <@U123> *bold* `code` " + "&" * 300
    for channel in ("slack", "email", "generic"):
        parts = render_digest(digest_items(60, title=hostile), channel)
        carried = [alert_id for _, ids in parts for alert_id in ids]
        assert sorted(carried) == list(range(60)), channel
        assert len(parts) > 1 if channel != "email" else len(parts) == 1
        for message, _ in parts:
            limit = {"slack": 2900, "email": 100_000}.get(channel, 3500)
            assert len(message.body) <= limit, (channel, len(message.body))
            if channel == "slack":
                assert_no_live_slack_markup(message.body)
                assert "&lt;!channel&gt;" in message.body
            if channel == "email":
                assert set(re.findall(r"<(/?\w+)", message.body)) <= {
                    "html", "/html", "body", "/body", "p", "/p", "b", "/b", "div", "/div", "a", "/a"}
                assert "also reported by Dawn, TASS" in message.body
    [(email, _)] = render_digest(digest_items(4), "email")
    assert "russia_pakistan_security (2)" in email.body and "other watch (2)" in email.body


# --- targets at once, each at its pace ------------------------------------------------------------

def test_a_slow_target_does_not_delay_another(sessions):
    with webhook_server(delay=1.0) as slow_hook, webhook_server() as fast_hook:
        slow, fast = load_target(slow_hook.url("/slow")), load_target(fast_hook.url("/fast"))
        seed(sessions, [slow, fast], 3)
        report = delivery(sessions, [slow, fast], CONFIG, now=T0).run_once()
        assert report.sent == 6
        # the fast target's three alerts all arrived before the slow one answered its second
        assert max(r.at for r in fast_hook.requests) < sorted(r.at for r in slow_hook.requests)[1]


def test_each_target_is_paced(sessions):
    waits, elapsed = [], [100.0]  # pacing's clock stands still while a message is sent

    def sleep(seconds):
        waits.append(seconds)
        elapsed[0] += seconds

    with webhook_server() as hook:
        paced = replace(load_target(hook.url("/paced")), pace=1.0)
        seed(sessions, [paced], 3)
        worker = delivery(sessions, [paced], NotifyConfig(console=False), now=T0, sleep=sleep,
                          ticks=lambda: elapsed[0])
        assert worker.run_once().sent == 3
        assert len(hook.bodies) == 3
    assert waits == [1.0, 1.0]  # the first message goes at once, then one a second
    # by channel when the target sets no pace: Slack's one message a second, no pause for a webhook
    assert worker.pace_of(load_target("slack://T1SECRETA/B2SECRETB/c3secretsecretsecretsecretc")) == 1.0
    assert worker.pace_of(load_target(hook.url("/other"))) == 0.0


# --- routing ------------------------------------------------------------------------------------

def test_routing_decides_which_targets_get_a_row():
    route = Route(watches=frozenset({"russia_pakistan_security"}), languages=frozenset({"pl", "ru"}), min_score=7)
    assert route.accepts("russia_pakistan_security", 7.5, "pl", "Example News")
    assert not route.accepts("other", 9, "pl", None)
    assert not route.accepts("russia_pakistan_security", 6.9, "pl", None)
    assert not route.accepts("russia_pakistan_security", 9, "en", None)
    assert Route(sources=frozenset({"Dawn"})).accepts("w", 0, None, "Dawn")
    assert not Route(sources=frozenset({"Dawn"})).accepts("w", 0, None, "TASS")


def test_a_target_gets_only_the_alerts_its_route_takes(sessions):
    from pipelines.store import queue_alerts

    everything = load_target("json://127.0.0.1:9/all")
    picky = replace(load_target("json://127.0.0.1:9/picky"), route=Route(min_score=8))
    other_watch = replace(load_target("json://127.0.0.1:9/w"), route=Route(watches=frozenset({"other"})))
    with sessions() as session:
        match = make_match(session)  # score 7.5, Polish, Example News
        assert queue_alerts(session, match, [everything, picky, other_watch]) == 1
        session.commit()
        assert [a.target_key for a in session.scalars(select(Alert))] == [everything.key]


# --- schedules and quiet hours ------------------------------------------------------------------

def test_quiet_hours_hold_until_they_end_in_the_targets_time_zone():
    quiet = Schedule(quiet=(time(22), time(7)), timezone="Asia/Karachi", urgent_score=20)  # UTC+5
    night = datetime(2030, 1, 1, 20, 30, tzinfo=timezone.utc)  # 01:30 in Karachi
    assert quiet.release(night, 10) == (datetime(2030, 1, 2, 2, 0, tzinfo=timezone.utc), HOLD_QUIET)
    assert quiet.release(night, 25) == (night, None)  # urgent: at once
    day = datetime(2030, 1, 1, 6, 0, tzinfo=timezone.utc)  # 11:00 in Karachi
    assert quiet.release(day, 10) == (day, None)
    evening = datetime(2030, 1, 1, 17, 0, tzinfo=timezone.utc)  # 22:00 sharp: quiet begins
    assert quiet.release(evening, 10)[1] == HOLD_QUIET


def test_digest_schedules_every_period_or_daily_at_a_local_time():
    hourly = Schedule(mode="digest", every=3600)
    assert hourly.release(datetime(2030, 1, 1, 12, 20, tzinfo=timezone.utc), 5) == (
        datetime(2030, 1, 1, 13, 0, tzinfo=timezone.utc), HOLD_DIGEST)
    daily = Schedule(mode="digest", at=time(8), timezone="Europe/Warsaw")  # UTC+1 in January
    assert daily.release(datetime(2030, 1, 1, 6, 0, tzinfo=timezone.utc), 5)[0] == datetime(
        2030, 1, 1, 7, 0, tzinfo=timezone.utc)
    assert daily.release(datetime(2030, 1, 1, 7, 30, tzinfo=timezone.utc), 5)[0] == datetime(
        2030, 1, 2, 7, 0, tzinfo=timezone.utc)
    summer = daily.release(datetime(2030, 7, 1, 5, 0, tzinfo=timezone.utc), 5)[0]
    assert summer == datetime(2030, 7, 1, 6, 0, tzinfo=timezone.utc)  # UTC+2: the offset follows DST


def test_held_alerts_wait_then_go_as_one_digest(sessions):
    with webhook_server() as hook:
        nightly = replace(load_target(hook.url("/night")),
                          schedule=Schedule(quiet=(time(22), time(7)), timezone="UTC"))
        night = datetime(2030, 1, 1, 23, 0, tzinfo=timezone.utc)
        with sessions() as session:
            for n in range(2):
                create_alerts(session, make_match(session, n), [nightly], now=night)
            session.commit()
            rows = session.scalars(select(Alert)).all()
        assert {(r.hold, r.next_attempt_at) for r in rows} == {
            (HOLD_QUIET, datetime(2030, 1, 2, 7, 0, tzinfo=timezone.utc))}
        assert delivery(sessions, [nightly], CONFIG, now=datetime(2030, 1, 2, 6, 59, tzinfo=timezone.utc)
                        ).run_once().sent == 0
        assert delivery(sessions, [nightly], CONFIG, now=datetime(2030, 1, 2, 7, 0, tzinfo=timezone.utc)
                        ).run_once().sent == 2
        assert len(hook.requests) == 1 and "digest: 2 alerts" in titles(hook)[0]


def test_the_outbox_says_why_each_alert_waits(sessions):
    from pipelines.queries import outbox

    digest = replace(load_target("json://127.0.0.1:9/digest"), schedule=Schedule(mode="digest", every=3600))
    quiet = replace(load_target("json://127.0.0.1:9/quiet"), schedule=Schedule(quiet=(time(22), time(7))))
    now_target = load_target("json://127.0.0.1:9/now")
    with sessions() as session:
        create_alerts(session, make_match(session), [digest, quiet, now_target],
                      now=datetime(2030, 1, 1, 23, 20, tzinfo=timezone.utc))
        session.commit()
        rows = {r["target"]: r["waiting"] for r in outbox(session, now=datetime(2030, 1, 1, 23, 30, tzinfo=timezone.utc))}
    assert rows == {"json://127.0.0.1:9/digest": "digest due at 2030-01-02 00:00 UTC",
                    "json://127.0.0.1:9/quiet": "quiet hours until 2030-01-02 07:00 UTC",
                    "json://127.0.0.1:9/now": "due now"}


# --- configuration ------------------------------------------------------------------------------

def test_target_tables_configure_routing_and_timing():
    from crawler.config import from_dict

    config = from_dict({"notify": {"targets": ["json://127.0.0.1:9/plain"], "target": [
        {"url": "json://127.0.0.1:9/desk", "watches": ["russia_pakistan_security"], "min_score": 15,
         "mode": "digest", "every": "1h", "quiet": "22:00-07:00", "timezone": "Asia/Karachi",
         "urgent_score": 30, "pace": "2s", "burst": 10},
        {"url": "json://127.0.0.1:9/ops", "operators": True}]}})
    targets = config.load_targets()
    plain, desk = targets.analysts
    assert plain.route == Route() and plain.schedule == Schedule()
    assert desk.route == Route(watches=frozenset({"russia_pakistan_security"}), min_score=15)
    assert desk.schedule == Schedule(mode="digest", every=3600, quiet=(time(22), time(7)),
                                     timezone="Asia/Karachi", urgent_score=30)
    assert (desk.pace, desk.burst) == (2.0, 10)
    assert [t.label for t in targets.operators] == ["json://127.0.0.1:9/ops"]
    assert not config.notify.print_to_console  # a table target counts as a target


def test_target_tables_name_the_bad_key():
    import pytest

    from crawler.config import ConfigError, from_dict

    cases = {
        "timezone": ({"timezone": "Mars/Base"}, "IANA time zone"),
        "mode": ({"mode": "digest"}, "every = '1h' or at = '08:00'"),
        "quiet": ({"quiet": "22-7"}, "'22:00-07:00'"),
        "every": ({"every": "1h"}, "only a digest target"),
        "at": ({"mode": "digest", "at": "25:00"}, "time of day"),
        "colour": ({"colour": "red"}, "unknown key"),
    }
    for key, (extra, problem) in cases.items():
        with pytest.raises(ConfigError, match=f"notify.target\\[0\\].{key}.*{re.escape(problem)}"):
            from_dict({"notify": {"target": [{"url": "json://127.0.0.1:9/x", **extra}]}})
    with pytest.raises(ConfigError, match="configured twice"):
        from_dict({"notify": {"targets": ["json://127.0.0.1:9/x"], "target": [{"url": "json://127.0.0.1:9/x"}]}})


# --- structured webhooks ------------------------------------------------------------------------

def test_a_json_webhook_gets_the_alert_fields_as_data(sessions):
    with webhook_server() as hook:
        single = load_target(hook.url("/single") + "?:team=desk")  # an extra of the URL's own is kept
        burst = load_target(hook.url("/burst"))
        with sessions() as session:
            for n in range(7):
                match = make_match(session, n)
                if n == 3:  # its page failed: the feed's summary was matched
                    match.article.content_origin, match.article.fallback_reason = "feed-summary", "timeout"
                create_alerts(session, match, [single] if n == 0 else [burst])
            session.commit()
        delivery(sessions, [single, burst], CONFIG, now=T0).run_once()
        payloads = {r.path: json.loads(r.body) for r in hook.requests}
    alone = payloads["/single"]
    assert alone["kind"] == "alert" and alone["team"] == "desk" and alone["title"].startswith("[newswatch]")
    fields = alone["alert"]
    assert {k: fields[k] for k in ("watch", "score", "threshold", "title", "source", "language")} == {
        "watch": "Russia–Pakistan security", "score": 7.5, "threshold": 5.0, "title": "Article 0: Rosja i Pakistan",
        "source": "Example News", "language": "pl"}
    assert fields["published_at"] == "2024-03-05T08:30:00+00:00" and fields["url"].startswith("https://news.example/a/0")
    assert {"term": "Pakistan", "form": "Pakistanem", "group": "country"} in fields["terms"]
    assert fields["story_id"] and fields["also_reported_by"] == [] and isinstance(fields["match_id"], int)
    assert (fields["content_origin"], fields["fallback_reason"]) == ("page", None)
    digest = payloads["/burst"]
    assert digest["kind"] == "digest" and [a["alert"]["title"] for a in digest["alerts"]] == [
        f"Article {n}: Rosja i Pakistan" for n in range(1, 7)]
    # the digest says which one the watch read from its feed's summary, in its text and its data
    assert digest["message"].count("read from the feed's summary only; the page was not used (timeout)") == 1
    assert [a["alert"]["content_origin"] for a in digest["alerts"]].count("feed-summary") == 1


def test_alerts_carry_signed_one_click_verdict_links(sessions, smtp):
    from functools import partial

    from pipelines.feedback_links import feedback_urls, verify
    from pipelines.outbox import Delivery, DeliverySettings
    from pipelines.targets import TargetSet

    secret = "a-long-random-secret-for-links"
    # signed at the worker's clock: each target renders its own message, and links signed on the
    # wall clock a second apart carry different expiries (the email's and the webhook's then differ)
    links = partial(feedback_urls, "https://review.example", secret, now=T0)
    with webhook_server() as hook:
        email, data = load_target(smtp.url()), load_target(hook.url("/data"))
        seed(sessions, [email, data], 1)
        worker = Delivery(sessions, TargetSet((email, data)), DeliverySettings(min_interval=0, feedback_links=links),
                          clock=lambda: T0)
        assert worker.run_once().sent == 2
        payload = json.loads(hook.bodies[0])
    urls = payload["alert"]["feedback"]
    assert set(urls) == {"relevant", "irrelevant"}
    match_id = payload["alert"]["match_id"]
    assert {verify(secret, url.rsplit("/f/", 1)[1]) for url in urls.values()} == {
        (match_id, "relevant"), (match_id, "irrelevant")}
    html = smtp.messages[0].part("text/html")
    assert urls["relevant"] in html and urls["irrelevant"] in html and "Your verdict:" in html
    # a digest carries them per entry too
    [(digest, _)] = render_digest([DigestItem((1,), "w", "t", "https://x.example/a", "S", "d", (), urls)], "email")
    assert urls["irrelevant"] in digest.body
