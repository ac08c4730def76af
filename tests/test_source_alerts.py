"""Operators hear about a broken source once, and once more when it recovers — through the outbox,
to their own targets, delivered by Apprise to a real webhook receiver (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crawler.cli import main
from crawler.config import NotifyConfig, SourceConfig, from_dict, load
from pipelines.items import SourcePoll
from pipelines.models import Alert, Source, SourceEvent
from pipelines.render import SourceEventContent, render_source_event
from pipelines.sources import record_poll, sync_sources
from pipelines.targets import CONSOLE, load_target
from tests.alert_servers import webhook_server
from tests.delivery import deliver

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
FEED = SourceConfig(name="Dawn", kind="feed", url="https://www.dawn.com/feeds/home", interval=1800)


def notify_config(hook, **extra) -> NotifyConfig:
    return NotifyConfig(operator_targets=(hook.url("/ops"),), console=False, min_interval=0, max_attempts=3,
                        backoff_initial=60.0, backoff_max=600.0, **extra)


class Ops:
    """Polls one source and delivers what is due, the way the crawler and the daemon do."""

    def __init__(self, sessions, hook, **config):
        self.sessions, self.hook = sessions, hook
        self.config = notify_config(hook, **config)
        self.targets = self.config.load_targets().operators
        self.clock = T0
        with sessions() as session:
            sync_sources(session, (FEED,))

    def poll(self, status: str, error: str | None = None):
        self.clock += timedelta(hours=1)
        with self.sessions() as session:
            return record_poll(session, SourcePoll(source="Dawn", status=status, error=error), self.clock,
                               failure_threshold=self.config.source_failure_threshold, targets=self.targets)

    def deliver(self):
        # the analysts' targets only: operators' come from the configuration, as in the daemon
        return deliver(self.sessions, [], self.config, now=self.clock + timedelta(minutes=1))

    def messages(self) -> list[dict]:
        return [json.loads(body) for body in self.hook.bodies]

    def source(self) -> Source:
        with self.sessions() as session:
            return session.scalar(select(Source).where(Source.name == "Dawn"))


def test_broken_once_recovered_once_broken_again(sessions, webhook):
    ops = Ops(sessions, webhook)
    # two failures: below the threshold, nobody is told
    for _ in range(2):
        assert ops.poll("error", "HTTP 503 Service Unavailable") is None
    ops.deliver()
    assert webhook.requests == []
    assert ops.source().reported_broken_at is None

    # the third: exactly one "broken" alert
    event = ops.poll("error", "HTTP 503 Service Unavailable")
    assert event is not None and event.kind == "broken"
    assert ops.deliver().sent == 1
    [broken] = ops.messages()
    assert broken["title"] == "[newswatch] source broken: Dawn"
    body = broken["message"]
    assert "https://www.dawn.com/feeds/home" in body
    assert "3 consecutive failed polls" in body
    assert "Failing since: 2030-01-01 13:00 UTC" in body
    assert "HTTP 503 Service Unavailable" in body
    assert ops.source().reported_broken_at == T0 + timedelta(hours=3)

    # more failures: nothing more
    for _ in range(4):
        assert ops.poll("error", "timeout") is None
    ops.deliver()
    assert len(webhook.requests) == 1

    # the first success: exactly one "recovered" alert, saying for how long it was down
    event = ops.poll("not-modified")
    assert event is not None and event.kind == "recovered"
    assert ops.deliver().sent == 1
    recovered = ops.messages()[1]
    assert recovered["title"] == "[newswatch] source recovered: Dawn"
    assert "Down for: 7 h (failing since 2030-01-01 13:00 UTC, 7 failed polls)" in recovered["message"]
    assert "timeout" in recovered["message"]
    source = ops.source()
    assert source.reported_broken_at is None and source.failing_since is None
    assert source.consecutive_failures == 0

    # working on: nothing; failing once: nothing
    ops.poll("ok")
    ops.poll("error", "HTTP 500")
    ops.deliver()
    assert len(webhook.requests) == 2

    # a second break is a new "broken" alert
    ops.poll("error", "HTTP 500")
    ops.poll("error", "DNS lookup failed")
    assert ops.deliver().sent == 1
    again = ops.messages()[2]
    assert again["title"] == "[newswatch] source broken: Dawn"
    assert "DNS lookup failed" in again["message"]
    assert [m["title"].split(":")[0] for m in ops.messages()] == [
        "[newswatch] source broken", "[newswatch] source recovered", "[newswatch] source broken"]
    with sessions() as session:
        kinds = list(session.scalars(select(SourceEvent.kind).order_by(SourceEvent.id)))
        assert kinds == ["broken", "recovered", "broken"]
        assert session.scalar(select(func.count()).select_from(Alert)) == 3


def test_a_failed_delivery_is_retried_with_backoff_and_sent_once(sessions):
    with webhook_server(fail_first=1) as hook:
        ops = Ops(sessions, hook, source_failure_threshold=1)
        ops.poll("error", "HTTP 404")
        report = ops.deliver()
        assert (report.sent, report.failed) == (0, 1)
        with sessions() as session:
            [row] = session.scalars(select(Alert)).all()
            assert row.status == "pending" and row.attempts == 1 and row.source_event_id is not None
        # not due yet
        assert deliver(sessions, [], ops.config, now=ops.clock + timedelta(seconds=90)).sent == 0
        assert deliver(sessions, [], ops.config, now=ops.clock + timedelta(minutes=5)).sent == 1
        assert deliver(sessions, [], ops.config, now=ops.clock + timedelta(days=1)).sent == 0
        assert len(hook.requests) == 2
        assert [json.loads(b)["title"] for b in hook.bodies] == ["[newswatch] source broken: Dawn"] * 2


def test_operator_alerts_go_to_operator_targets_only(sessions):
    with webhook_server() as analysts, webhook_server() as operators:
        ops = Ops(sessions, operators, source_failure_threshold=1)
        ops.poll("error", "HTTP 500")
        deliver(sessions, [load_target(analysts.url("/analysts"))], ops.config,
                        now=ops.clock + timedelta(minutes=1))
        assert analysts.requests == []
        assert [r.path for r in operators.requests] == ["/ops"]


def test_without_operator_targets_the_event_is_still_recorded(sessions):
    with sessions() as session:
        sync_sources(session, (FEED,))
        for hour in range(3):
            event = record_poll(session, SourcePoll(source="Dawn", status="error", error="HTTP 500"),
                                T0 + timedelta(hours=hour), targets=())
        assert event is not None and event.kind == "broken"
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
        assert session.scalar(select(Source.reported_broken_at)) == T0 + timedelta(hours=2)


def test_an_alert_has_exactly_one_subject(sessions):
    with sessions() as session:
        session.add(Alert(target_key="k", target_label="l"))  # neither a match nor a source event
        with pytest.raises(IntegrityError):
            session.commit()


def test_operator_targets_come_from_the_configuration():
    config = from_dict({"notify": {"targets": ["json://127.0.0.1:9/analysts"],
                                   "operator_targets": ["json://127.0.0.1:9/ops"],
                                   "source_failure_threshold": 5}})
    assert config.notify.operator_targets == ("json://127.0.0.1:9/ops",)
    assert config.notify.source_failure_threshold == 5
    assert [t.label for t in config.notify.load_targets().operators] == [load_target("json://127.0.0.1:9/ops").label]
    # no analyst targets: alerts are printed, operators' too
    assert from_dict({}).notify.load_targets().operators == (CONSOLE,)
    assert from_dict({}).notify.source_failure_threshold == 3
    with pytest.raises(ValueError, match="notify.operator_targets"):
        from_dict({"notify": {"operator_targets": ["not a url"]}})
    with pytest.raises(ValueError, match="notify.source_failure_threshold"):
        from_dict({"notify": {"source_failure_threshold": 0}})


def test_operator_targets_from_the_environment(tmp_path):
    path = tmp_path / "newswatch.toml"
    path.write_text("", encoding="utf-8")
    config = load(path, {"NEWSWATCH_NOTIFY_OPERATOR_TARGETS": "json://127.0.0.1:9/a, json://127.0.0.1:9/b"})
    assert config.notify.operator_targets == ("json://127.0.0.1:9/a", "json://127.0.0.1:9/b")


def test_sources_command_shows_a_source_reported_broken(tmp_path):
    url = f"sqlite:///{tmp_path / 'nw.db'}"
    path = tmp_path / "newswatch.toml"
    path.write_text(f'[database]\nurl = "{url}"\n\n[[sources]]\nname = "Dawn"\nurl = "{FEED.url}"\n',
                    encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "sources", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["broken_since"] is None

    from pipelines.db import make_engine, session_factory

    engine = make_engine(url)
    with session_factory(engine)() as session:
        for hour in range(3):
            record_poll(session, SourcePoll(source="Dawn", status="error", error="HTTP 500"),
                        T0 + timedelta(hours=hour), targets=[CONSOLE])
    engine.dispose()
    result = runner.invoke(main, ["--config", str(path), "sources", "--format", "json"])
    [row] = json.loads(result.output)
    assert row["broken_since"] == "2030-01-01T14:00:00+00:00"
    assert row["failing_since"] == "2030-01-01T12:00:00+00:00" and row["failures"] == 3
    table = runner.invoke(main, ["--config", str(path), "sources"]).output
    assert "broken_since" in table.splitlines()[0] and "2030-01-01T14:00:00" in table
    alerts = runner.invoke(main, ["--config", str(path), "alerts", "--status", "all", "--format", "json"])
    assert alerts.exit_code == 0, alerts.output
    [alert] = json.loads(alerts.output)
    assert alert["title"] == "source broken: Dawn" and alert["watch"] is None and alert["status"] == "pending"


HOSTILE = SourceEventContent(
    kind="broken", source="Dawn <!channel>", url="https://example.org/feed?a=1&b=<2>", at=T0,
    failing_since=T0 - timedelta(hours=3), failures=4,
    last_error="HTTP 500: <script>alert(1)</script> <!here> *bold*\r\nX-Injected: yes",
    last_success_at=None,
)


def test_operator_messages_are_escaped_for_each_channel():
    email = render_source_event(HOSTILE, "email")
    assert "<script>" not in email.body and "&lt;script&gt;" in email.body
    assert "\n" not in email.title and "\r" not in email.title
    slack = render_source_event(HOSTILE, "slack")
    assert "<!channel>" not in slack.body and "<!here>" not in slack.body and "<2>" not in slack.body
    from pipelines.notifier import assert_no_live_slack_markup

    assert_no_live_slack_markup(slack.body)
    plain = render_source_event(HOSTILE, "generic")
    assert "Last success: never" in plain.text and "4 consecutive failed polls" in plain.text
    assert "X-Injected" in plain.text and "\r" not in plain.text  # one line per fact
    assert len(plain.text.splitlines()) == 7


def test_alerts_stats_counts_and_times_deliveries_per_target(db_url, sessions, webhook, tmp_path):
    ops = Ops(sessions, webhook, source_failure_threshold=1)
    ops.poll("error", "HTTP 500")  # broken: queued at the clock, delivered a minute later
    assert ops.deliver().sent == 1
    ops.poll("ok")  # recovered: queued, not delivered yet
    path = tmp_path / "newswatch.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "alerts", "--stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert "/ops" in row["target"] or "127.0.0.1" in row["target"], row
    assert (row["sent"], row["waiting"], row["dead"]) == (1, 1, 0)
    assert row["median_s"] == row["p95_s"] == row["max_s"] == 60.0
    table = runner.invoke(main, ["--config", str(path), "alerts", "--stats"]).output
    assert "p95_s" in table.splitlines()[0] and "60.0" in table
    refused = runner.invoke(main, ["--config", str(path), "alerts", "--stats", "--status", "sent"])
    assert refused.exit_code == 2 and "leave out --status" in refused.output
