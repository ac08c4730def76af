"""Shared fixtures: databases (SQLite and PostgreSQL, schema made by the migrations) and the real
SMTP and webhook receivers from ``tests/alert_servers.py``."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

from tests.alert_servers import smtp_server, webhook_server

PG_URL = os.environ.get("NEWSWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin_connect():
    import psycopg

    conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(conninfo, connect_timeout=3, autocommit=True)


def _postgres_or_skip():
    try:
        return _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server for this run"
        reason = f"PostgreSQL not reachable at {PG_URL.split('@')[-1]}: {type(exc).__name__}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, migrated database: a temp SQLite file, or a new PostgreSQL schema per test."""
    from pipelines.db import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'newswatch.db'}"
        upgrade(url)
        yield url
        return

    with postgres_schema() as (url, _conn, _schema):
        upgrade(url)
        yield url


@contextmanager
def postgres_schema():
    """(url, admin connection, schema name) of a new, empty PostgreSQL schema, dropped afterwards;
    skips (fails under CI=true) without a server."""
    conn = _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    # Every connection of this URL sees only the test's schema (tables and alembic_version).
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url, conn, schema
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture
def engine(db_url):
    from pipelines.db import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    from pipelines.db import session_factory

    return session_factory(engine)


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def webhook():
    with webhook_server() as server:
        yield server


def at_the_same_instant(db_url: str, names: list[str], work) -> dict:
    """``work(session, name)`` in one thread per name, each with its own engine, released together
    by a barrier: {name: what it returned}. Re-raises the first error a thread met."""
    import threading

    from pipelines.db import make_engine, session_factory

    barrier, results, errors = threading.Barrier(len(names)), {}, []

    def run(name):
        engine = make_engine(db_url)
        try:
            with session_factory(engine)() as session:
                barrier.wait()
                results[name] = work(session, name)
        except Exception as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results
