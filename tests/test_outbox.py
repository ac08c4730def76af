"""Outbox semantics on SQLite and PostgreSQL, with real Apprise delivery to local receivers."""
from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from crawler.config import NotifyConfig
from pipelines.db import make_engine, session_factory
from pipelines.models import Alert, Article, Match, Source
from pipelines.notifier import Notifier
from pipelines.outbox import UNCONFIGURED, RetryPolicy, claim_due, create_alerts, requeue
from pipelines.targets import CONSOLE, load_target
from tests.alert_servers import webhook_server
from tests.conftest import at_the_same_instant
from tests.delivery import ManualClock, deliver
from tests.test_render import SNIPPET

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
CONFIG = NotifyConfig(max_attempts=3, backoff_initial=60.0, backoff_max=600.0, batch_size=50, lease=300.0)


def make_match(session, n: int = 0) -> Match:
    source = session.scalar(select(Source).where(Source.name == "Example News"))
    if source is None:
        source = Source(name="Example News", kind="feed", url="https://news.example/feed", language="pl",
                        interval_seconds=600)
    article = Article(
        source=source, url=f"https://news.example/a/{n}?x=1&y=2", canonical_url=f"https://news.example/a/{n}",
        content_hash=hashlib.sha256(str(n).encode()).hexdigest(), title=f"Article {n}: Rosja i Pakistan",
        text=SNIPPET, language="pl", published_at=datetime(2024, 3, 5, 8, 30, tzinfo=timezone.utc),
    )
    match = Match(article=article, watch="Russia–Pakistan security", score=7.5, threshold=5.0,
                  terms=[{"term": "Pakistan", "form": "Pakistanem", "group": "country", "start": 0, "end": 0},
                         {"term": "Rosja", "form": "Rosji", "group": "country", "start": 0, "end": 0}],
                  rules=["country pair"], snippet=SNIPPET, detail={})
    session.add(match)
    session.flush()
    return match


def seed(sessions, targets, count: int = 1) -> list[int]:
    with sessions() as session:
        ids = []
        for n in range(count):
            match = make_match(session, n)
            create_alerts(session, match, targets)
            ids.append(match.id)
        session.commit()
    return ids


def rows(sessions) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def titles(hook) -> list[str]:
    return [json.loads(body)["title"] for body in hook.bodies]


# --- rows ----------------------------------------------------------------------------------------

def test_one_row_per_match_and_target(sessions, webhook):
    a, b = load_target(webhook.url("/a")), load_target(webhook.url("/b"))
    with sessions() as session:
        match = make_match(session)
        assert create_alerts(session, match, [a, b]) == 2
        assert create_alerts(session, match, [a, b, CONSOLE]) == 1  # only the new target
        session.commit()
    got = rows(sessions)
    assert sorted(r.target_key for r in got) == sorted([a.key, b.key, "console"])
    assert all(r.status == "pending" and r.attempts == 0 for r in got)
    assert {r.target_label for r in got} >= {a.label, b.label}


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(1)
    for attempts, base in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (9, 600)]:
        delay = RetryPolicy(initial=60, maximum=600).delay(attempts, rng)
        assert base * 0.9 <= delay <= min(600, base * 1.1)


# --- delivery ------------------------------------------------------------------------------------

def test_webhook_500_then_retry_with_backoff_then_sent(sessions):
    with webhook_server(fail_first=1) as hook:
        target = load_target(hook.url("/hook"))
        seed(sessions, [target])

        report = deliver(sessions, [target], CONFIG, now=T0)
        assert (report.sent, report.failed, report.dead) == (0, 1, 0)
        [row] = rows(sessions)
        assert row.status == "pending" and row.attempts == 1 and "500" in row.last_error
        assert T0 + timedelta(seconds=54) <= row.next_attempt_at <= T0 + timedelta(seconds=67)
        assert row.claimed_by is None

        # Not due yet: nothing is claimed, nothing sent.
        assert deliver(sessions, [target], CONFIG, now=T0 + timedelta(seconds=30)).sent == 0
        assert len(hook.requests) == 1

        report = deliver(sessions, [target], CONFIG, now=T0 + timedelta(seconds=70))
        assert report.sent == 1
        [row] = rows(sessions)
        assert row.status == "sent" and row.attempts == 2 and row.last_error is None and row.sent_at
        assert len(hook.requests) == 2
        # Sent is final.
        assert deliver(sessions, [target], CONFIG, now=T0 + timedelta(days=1)).sent == 0
        assert len(hook.requests) == 2


def test_dead_after_max_attempts_and_requeue(sessions):
    with webhook_server(fail_first=1000) as hook:
        target = load_target(hook.url("/hook"))
        seed(sessions, [target])
        now, statuses = T0, []
        for _ in range(CONFIG.max_attempts):
            report = deliver(sessions, [target], CONFIG, now=now)
            statuses.append((report.failed, report.dead))
            now += timedelta(seconds=CONFIG.backoff_max + 1)
        assert statuses == [(1, 0), (1, 0), (0, 1)]
        [row] = rows(sessions)
        assert row.status == "dead" and row.attempts == 3
        assert deliver(sessions, [target], CONFIG, now=now + timedelta(days=1)).failed == 0
        assert len(hook.requests) == 3

        hook.fail_first = 0
        with sessions() as session:
            assert requeue(session, all_dead=True, now=now) == 1
            session.commit()
        assert deliver(sessions, [target], CONFIG, now=now).sent == 1
        assert rows(sessions)[0].status == "sent"
        with sessions() as session:
            assert requeue(session, ids=[rows(sessions)[0].id]) == 0  # sent rows stay sent


def test_target_that_succeeded_is_not_resent_when_another_fails(sessions):
    with webhook_server() as good_hook, webhook_server(fail_first=1000) as bad_hook:
        good, bad = load_target(good_hook.url("/good")), load_target(bad_hook.url("/bad"))
        seed(sessions, [good, bad])
        now = T0
        for _ in range(3):
            deliver(sessions, [good, bad], CONFIG, now=now)
            now += timedelta(seconds=CONFIG.backoff_max + 1)
        assert len(good_hook.requests) == 1
        assert len(bad_hook.requests) == 3
        status = {r.target_key: r.status for r in rows(sessions)}
        assert status == {good.key: "sent", bad.key: "dead"}


def test_email_outbox_sends_exactly_one_message_per_alert(sessions, smtp):
    target = load_target(smtp.url())
    seed(sessions, [target], count=3)
    # min_interval=0: skip Apprise's 5.5 s spacing between emails to one server (local test).
    report = deliver(sessions, [target], CONFIG, now=T0, notifier=Notifier(min_interval=0))
    assert report.sent == 3
    assert deliver(sessions, [target], CONFIG, now=T0 + timedelta(days=1)).sent == 0
    subjects = sorted(m.message["Subject"] for m in smtp.messages)
    assert subjects == [f"[newswatch] Russia–Pakistan security: Article {n}: Rosja i Pakistan" for n in range(3)]
    html = smtp.messages[0].part("text/html")
    assert "<mark>Pakistanem</mark>" in html and "<mark>Rosji</mark>" in html  # spans found from the forms
    assert "https://news.example/a/" in smtp.messages[0].part("text/plain")


def test_console_target_through_the_outbox(sessions, capsys):
    seed(sessions, [CONSOLE])
    assert deliver(sessions, [CONSOLE], CONFIG, now=T0).sent == 1
    out = capsys.readouterr().out
    assert "Watch: Russia–Pakistan security" in out and "[[Pakistanem]]" in out


def test_unconfigured_target_rows_stay_pending_with_a_reason(sessions, webhook):
    gone, kept = load_target(webhook.url("/gone")), load_target(webhook.url("/kept"))
    seed(sessions, [gone, kept])
    report = deliver(sessions, [kept], CONFIG, now=T0)
    assert report.sent == 1 and report.unconfigured == 1
    row = next(r for r in rows(sessions) if r.target_key == gone.key)
    assert row.status == "pending" and row.attempts == 0 and row.last_error == UNCONFIGURED
    assert [r.path for r in webhook.requests] == ["/kept"]
    # Configured again: delivered.
    assert deliver(sessions, [gone, kept], CONFIG, now=T0).sent == 1


# --- crashes and concurrency --------------------------------------------------------------------

def test_claim_left_by_a_killed_worker_is_reclaimed(sessions, webhook):
    target = load_target(webhook.url("/hook"))
    seed(sessions, [target], count=2)
    with sessions() as session:
        stale, live = session.scalars(select(Alert).order_by(Alert.id)).all()
        stale.status, stale.claimed_by, stale.claimed_until = "sending", "killed-worker", T0 - timedelta(seconds=1)
        live.status, live.claimed_by, live.claimed_until = "sending", "busy-worker", T0 + timedelta(seconds=60)
        session.commit()
        stale_id, live_id = stale.id, live.id
    report = deliver(sessions, [target], CONFIG, now=T0, worker_id="rescuer")
    assert report.sent == 1
    status = {r.id: (r.status, r.claimed_by) for r in rows(sessions)}
    assert status[stale_id] == ("sent", None)
    assert status[live_id] == ("sending", "busy-worker")  # its lease still runs: hands off
    assert titles(webhook) == ["[newswatch] Russia–Pakistan security: Article 0: Rosja i Pakistan"]


def test_two_claimers_at_once_get_disjoint_rows(db_url, sessions, webhook):
    target = load_target(webhook.url("/hook"))
    seed(sessions, [target], count=20)
    claimed = at_the_same_instant(db_url, ["w0", "w1"],
                                  lambda session, name: [a.id for a in claim_due(session, name, T0, 15, 300)])
    assert not set(claimed["w0"]) & set(claimed["w1"])
    assert len(claimed["w0"]) + len(claimed["w1"]) == 20
    owners = {r.id: r.claimed_by for r in rows(sessions)}
    assert all(owners[i] == "w0" for i in claimed["w0"]) and all(owners[i] == "w1" for i in claimed["w1"])


def test_concurrent_workers_never_send_a_row_twice(db_url, sessions, webhook):
    target = load_target(webhook.url("/hook"))
    count = 24
    seed(sessions, [target], count=count)
    config = NotifyConfig(max_attempts=3, backoff_initial=60, backoff_max=600, batch_size=4, lease=300)
    errors = []

    def worker(name):
        engine = make_engine(db_url)
        try:
            factory = session_factory(engine)
            notifier = Notifier()
            while deliver(factory, [target], config, now=T0, worker_id=name, notifier=notifier).sent:
                pass
        except Exception as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    sent = Counter(titles(webhook))
    assert len(sent) == count and set(sent.values()) == {1}
    assert all(r.status == "sent" and r.attempts == 1 for r in rows(sessions))


# --- secrets -------------------------------------------------------------------------------------

def test_secrets_never_reach_last_error_or_logs(sessions, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    secret_pw = "Sup3rSecretSmtpPw"
    with webhook_server(fail_first=1000) as hook:
        email = load_target(smtp.url(password=secret_pw))
        hook_target = load_target(hook.url("/hook/TopSecretPathToken") + "?apikey=TopSecretQueryKey")
        seed(sessions, [email, hook_target])
        report = deliver(sessions, [email, hook_target], CONFIG, now=T0)
        assert report.failed == 2
    errors = [r.last_error for r in rows(sessions)]
    assert all(errors) and any("535" in e or "127.0.0.1" in e for e in errors)
    stored = " ".join(errors + [r.target_label for r in rows(sessions)])
    for secret in (secret_pw, "TopSecretQueryKey"):
        assert secret not in stored
        assert secret not in caplog.text


# --- robustness ----------------------------------------------------------------------------------

class SlowNotifier(Notifier):
    """Each send takes 0.9 s of the delivery's clock (moved by hand: no real sleep to race)."""

    def __init__(self, clock: ManualClock):
        super().__init__()
        self.clock = clock

    def send(self, target, alert):
        self.clock.advance(0.9)
        return super().send(target, alert)


def test_worker_stops_before_its_lease_runs_out(sessions, webhook):
    target = load_target(webhook.url("/hook"))
    seed(sessions, [target], count=3)
    config = NotifyConfig(max_attempts=3, backoff_initial=60, backoff_max=600, batch_size=10, lease=2.0)
    clock = ManualClock(T0)
    report = deliver(sessions, [target], config, clock=clock, worker_id="slow", notifier=SlowNotifier(clock))
    # 0.9 s per send, lease 2 s, stop when less than 20 % (0.4 s) is left: two sends, one returned.
    assert report.sent == 2 and len(webhook.requests) == 2
    left = [r for r in rows(sessions) if r.status != "sent"]
    assert [(r.status, r.claimed_by, r.attempts) for r in left] == [("pending", None, 0)]


def test_one_broken_row_does_not_stop_the_batch(sessions, webhook, monkeypatch):
    import pipelines.outbox.messages as messages

    target = load_target(webhook.url("/hook"))
    seed(sessions, [target], count=3)
    real_render = messages.render

    def render(content, channel):
        if content.title.startswith("Article 1:"):
            raise RuntimeError("renderer exploded")
        return real_render(content, channel)

    monkeypatch.setattr(messages, "render", render)
    report = deliver(sessions, [target], CONFIG, now=T0)
    assert (report.sent, report.failed) == (2, 1)
    broken = [r for r in rows(sessions) if r.status != "sent"]
    assert len(broken) == 1 and broken[0].status == "pending" and "renderer exploded" in broken[0].last_error
