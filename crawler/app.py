"""What every command needs: the configuration, a database with an up-to-date schema, sessions,
the alert targets and a delivery worker, each made once per process.

An embedded SQLite database is created and migrated on first use; a server database (PostgreSQL)
is migrated only by ``newswatch db upgrade``, so an operator decides when its schema changes.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from crawler.config import Config
from pipelines import db
from pipelines.outbox import Delivery
from pipelines.targets import TargetSet

log = logging.getLogger(__name__)


class SchemaOutOfDate(RuntimeError):
    pass


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


@dataclass
class App:
    config: Config

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.config.database.url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions on a database whose schema is current: checked (SQLite: migrated) on first use."""
        self.ensure_schema()
        return db.session_factory(self.engine)

    @cached_property
    def targets(self) -> TargetSet:
        """The analysts' and operators' targets, validated once (``TargetError`` on a bad URL)."""
        return self.config.notify.load_targets()

    @property
    def is_sqlite(self) -> bool:
        return self.config.database.url.startswith("sqlite")

    def delivery(self, **options) -> Delivery:
        """A delivery worker over this database and these targets; keep it for the process's life."""
        return Delivery(self.sessions, self.targets, self.config.notify.delivery_settings(), **options)

    def ensure_schema(self) -> None:
        url = self.config.database.url
        current, head = db.current_revision(url), head_revision()
        if current == head:
            return
        if self.is_sqlite:
            log.info("bringing the SQLite database up to date (revision %s → head)", current)
            db.upgrade(url)
            return
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing'}, not {head}: run `newswatch db upgrade`"
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    def __deepcopy__(self, memo) -> "App":
        # One App per process: Scrapy deep-copies its settings, which carry the App to the ingest
        # pipeline; a copy would open a second engine (and cannot copy a live one).
        return self


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The level goes on the handler too: Scrapy lowers the root logger's level when a crawl
    # starts, which would otherwise let every DEBUG line (each item's whole HTML) through.
    for handler in logging.getLogger().handlers:
        handler.setLevel(getattr(logging, level, logging.INFO))
    from pipelines.targets import install_log_redaction

    install_log_redaction()  # Apprise logs whole target URLs, secrets included
    for noisy in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    # Alembic announces its plugins and context on every schema check
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
