"""Alembic environment: the models' metadata, batch mode for SQLite, the URL from Alembic's config.

Ships inside the package as ``pipelines.migrations`` (see pyproject.toml), so it imports nothing
from ``crawler``. The database URL is ``sqlalchemy.url`` of the Alembic config (``newswatch db
upgrade`` and ``pipelines.db.upgrade`` set it), else ``-x url=…`` on the plain ``alembic`` command.
"""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError

from pipelines.db import make_engine
from pipelines.models import Base
from pipelines.search import unmanaged

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def include_name(name, type_, parent_names) -> bool:
    """Autogenerate leaves the full-text search objects alone (made by revision 0007, not models)."""
    return not unmanaged(name, type_)


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    raise CommandError(
        "no database URL: pass it to alembic as `-x url=<SQLAlchemy URL>` "
        "(e.g. `alembic -x url=sqlite:////tmp/x.db upgrade head`), or use `newswatch db upgrade`"
    )


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True, include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
