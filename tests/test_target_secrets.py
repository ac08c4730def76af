"""Secrets in alert target URLs never leave: not in labels, stored rows, errors, listings or logs.

Apprise's own privacy form keeps header and payload parameters (``+X-Api-Key=…``, ``:apikey=…``)
in full and a token's first and last characters (``T...A``); newswatch's labels and log filter
must not.
"""
from __future__ import annotations

import json
import logging
import re

from click.testing import CliRunner
from sqlalchemy import select

from crawler.cli import main
from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Alert
from pipelines.outbox import create_alerts
from pipelines.targets import load_target
from tests.alert_servers import webhook_server
from tests.test_outbox import make_match

SECRETS = ("SuperSecretKey123", "tok3nSecretBearer", "PayloadSecret99", "S3cretPassw0rd", "T1SECRETA",
           "B2SECRETB", "c3secretsecretsecretsecretc")
HALF_MASKED = re.compile(r"(?<![\w.])[^\s/?&=#:@.]\.\.\.[^\s/?&=#:@.](?![\w.])")  # Apprise's "M...2"


def hook_url(port: int) -> str:
    return (f"json://127.0.0.1:{port}/hook?+X-Api-Key=SuperSecretKey123"
            "&+Authorization=Bearer%20tok3nSecretBearer&:apikey=PayloadSecret99")


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert not HALF_MASKED.search(text), HALF_MASKED.search(text)


def test_labels_keep_what_tells_targets_apart_and_nothing_secret():
    cases = {
        "json://127.0.0.1:9/hook?+X-Api-Key=SuperSecretKey123&:apikey=PayloadSecret99": "json://127.0.0.1:9/hook",
        "mailto://bob:S3cretPassw0rd@smtp.example.org?to=analysts@example.org":
            "mailto://bob:****@smtp.example.org/analysts%40example.org",
        "slack://T1SECRETA/B2SECRETB/c3secretsecretsecretsecretc/#russia-pakistan":
            "slack://****/****/****/%23russia-pakistan/",
    }
    for url, label in cases.items():
        target = load_target(url)
        assert target.label == label
        assert_clean(target.label + target.redact(f"failed: {url}"))


def test_failures_store_list_and_log_no_secret(tmp_path, caplog, smtp):
    caplog.set_level(logging.DEBUG)
    db = f"sqlite:///{tmp_path / 'nw.db'}"
    upgrade(db)
    with webhook_server(fail_first=1000) as hook:
        url = hook_url(hook.port)
        mail = smtp.url(password="S3cretPassw0rd")  # the server wants another password: 535
        config = tmp_path / "nw.toml"
        config.write_text(f'[database]\nurl = "{db}"\n[notify]\ntargets = {json.dumps([url, mail])}\n'
                          'min_interval = 0\n', encoding="utf-8")
        engine = make_engine(db)
        with session_factory(engine)() as session:
            create_alerts(session, make_match(session), [load_target(url), load_target(mail)])
            session.commit()
        runner = CliRunner()
        outputs = [runner.invoke(main, ["--config", str(config), *args]).output for args in (
            ["config", "check"], ["notify"], ["alerts", "--status", "all", "--format", "json"],
            ["alerts", "--status", "all", "--format", "csv"], ["alerts", "--status", "all"])]
        assert hook.requests, "the webhook was not even tried"
        # the secrets did go where they belong: in the request's headers and payload
        assert hook.requests[0].headers.get("X-Api-Key") == "SuperSecretKey123"
    with session_factory(engine)() as session:
        rows = session.scalars(select(Alert)).all()
    engine.dispose()
    assert all(row.last_error for row in rows)
    assert_clean(" ".join(outputs) + " ".join(f"{r.target_label} {r.last_error}" for r in rows) + caplog.text)
