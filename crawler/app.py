"""What every command needs: the configuration, a database with an up-to-date schema, sessions,
the alert targets and a delivery worker, each made once per process.

An embedded SQLite database is created and migrated on first use; a server database (PostgreSQL)
is migrated only by ``newswatch db upgrade``, so an operator decides when its schema changes.
``database_problem`` words the database's own failures (unreachable, no driver, unknown dialect)
as one line with what to do; the CLI's command group uses it for every command.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crawler.config import Config
from pipelines import db
from pipelines.feedback_links import feedback_urls
from pipelines.outbox import Delivery
from pipelines.targets import TargetSet
from pipelines.text import clip, one_line

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
        return self.config.load_targets()

    def check_before_work(self) -> None:
        """For commands that send alerts: refuse at once, before any work, when an alert target is
        bad (``TargetError``), then when the database cannot be used."""
        _ = self.targets  # loading them is the check
        _ = self.sessions  # checks (SQLite: migrates) the schema on first use

    @property
    def is_sqlite(self) -> bool:
        return self.config.database.url.startswith("sqlite")

    def delivery(self, **options) -> Delivery:
        """A delivery worker over this database and these targets; keep it for the process's life."""
        self.check_before_work()
        settings = self.config.notify.delivery_settings()
        web = self.config.web
        if web.base_url and web.secret:  # alerts carry signed "relevant / not relevant" links to the app
            ttl = timedelta(seconds=web.link_ttl)
            settings = replace(settings, feedback_links=lambda match_id: feedback_urls(
                web.base_url, web.secret, match_id, ttl))
        return Delivery(self.sessions, self.targets, settings, **options)

    def ensure_schema(self) -> None:
        url = self.config.database.url
        current, head = db.current_revision(url), head_revision()
        if current == head:
            return
        if self.is_sqlite:
            log.info("bringing the SQLite database up to date (revision %s → head)", current)
            db.upgrade(url)
            return
        raise _out_of_date(current, head)

    def schema_status(self) -> str:
        """The database's schema revision in words, for `config check`. Connects (raising as any use
        would), except to an SQLite file not made yet: checking must not create it."""
        path = sqlite_file(self.config.database.url)
        if path is not None and not path.exists() and path.parent.is_dir():
            return "none yet (the SQLite file is made on first use)"
        current, head = db.current_revision(self.config.database.url), head_revision()
        if current == head:
            return f"at {current} (up to date)"
        if not self.is_sqlite:
            raise _out_of_date(current, head)
        return f"at {current or 'nothing'}, not {head} (brought up to date on first use)"

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    def __deepcopy__(self, memo) -> "App":
        # One App per process: Scrapy deep-copies its settings, which carry the App to the ingest
        # pipeline; a copy would open a second engine (and cannot copy a live one).
        return self


def _out_of_date(current: str | None, head: str) -> SchemaOutOfDate:
    return SchemaOutOfDate(f"the database schema is at {current or 'nothing'}, not {head}: run `newswatch db upgrade`")


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None: another database, or SQLite in memory)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def database_problem(exc: BaseException, url: str | None) -> str | None:
    """One line saying what is wrong with the database and what to do; None when ``exc`` is not a
    problem of the database itself (a bug keeps its traceback)."""
    shown = make_url(url).render_as_string(hide_password=True) if url else "(not configured)"
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("psycopg", "psycopg2"):
        return (f"database {shown} needs the PostgreSQL driver, which is not installed: "
                "pip install 'newswatch[postgres]' and write the URL as postgresql+psycopg://…")
    if isinstance(exc, NoSuchModuleError):
        kind = url.partition("://")[0] if url else "?"
        hint = ("write postgresql+psycopg://USER@HOST/DB" if kind.startswith("postgres")
                else "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return f"database.url {shown}: SQLAlchemy knows no database kind {kind!r}: {hint}"
    if isinstance(exc, OperationalError):
        reason = clip(one_line(str(exc.orig or exc)), 300)
        password = str(make_url(url).password or "") if url else ""
        if len(password) >= 4:  # drivers do not echo it; shorter ones would mask letters of words
            reason = reason.replace(password, "***")
        if url and sqlite_file(url) is not None:
            return f"database {shown} cannot be opened: {reason} (does its folder exist, and may newswatch write there?)"
        return (f"database {shown} is not reachable: {reason} "
                "(check the host, the port and the credentials, and that the server is running)")
    return None


class JsonLines(logging.Formatter):
    """One JSON object per log line, for log shippers (``daemon.log_format = "json"``). Ten lines
    of stdlib: not worth a dependency."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                "logger": record.name, "message": record.getMessage(), "pid": record.process}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str, fmt: str = "text") -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if fmt == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
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
