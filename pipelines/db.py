"""Engines, sessions and migrations.

SQLite gets WAL (readers never block the writer) and a busy timeout (writers wait for each other
instead of failing with "database is locked"). PostgreSQL connections are checked before use so a
restarted server costs one reconnect, not a crash.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# The migrations: inside the package when installed from a wheel or `pip install .` (pyproject maps
# the repository's alembic/ onto pipelines.migrations), else the checkout's alembic/ (a checkout,
# an editable install). Not `parents[1] / "alembic"` alone: in site-packages that is the Alembic library.
PACKAGED_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CHECKOUT_MIGRATIONS = Path(__file__).resolve().parents[1] / "alembic"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT = 10  # seconds


def migrations_dir() -> Path:
    """The Alembic script directory (env.py, versions/) of this installation."""
    for candidate in (PACKAGED_MIGRATIONS, CHECKOUT_MIGRATIONS):
        if (candidate / "env.py").is_file():
            return candidate
    raise RuntimeError(
        f"the database migrations are missing: neither {PACKAGED_MIGRATIONS} nor {CHECKOUT_MIGRATIONS} "
        "has an env.py (a broken installation: reinstall newswatch)"
    )


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # a server that drops packets (rather than refusing) would hang the first connect for the
    # system's TCP timeout, minutes: ten seconds, unless the URL asks otherwise
    connect_args = {} if "connect_timeout=" in url else {"connect_timeout": PG_CONNECT_TIMEOUT}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def insert_for(session: Session):
    """The dialect's ``insert`` (PostgreSQL's or SQLite's), which has ON CONFLICT DO NOTHING."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database: {dialect}")
    return insert


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema up to date (creates it when new)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
