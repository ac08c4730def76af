"""The models and the migrations cannot drift: `alembic check` on a database built by the migrations."""
import subprocess
import sys

from sqlalchemy import inspect

from pipelines import db
from pipelines.models import Base
from tests.shared_data import PROJECT_ROOT


def test_alembic_check_finds_nothing_to_generate(db_url):
    # db_url is already upgraded to head by the fixture (SQLite and PostgreSQL)
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={db_url}", "check"], cwd=PROJECT_ROOT,
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_migrations_create_every_table_and_downgrade_cleanly(db_url):
    engine = db.make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        from alembic import command

        command.downgrade(db.alembic_config(db_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(db.alembic_config(db_url), "head")
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()
