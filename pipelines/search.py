"""Full-text search over articles' titles and texts: SQLite FTS5 or PostgreSQL full-text.

The index lives beside the models, made by Alembic revision 0007 and kept in sync by the
database itself, so every writer (crawl, rematch, tests) keeps it current without knowing it:
- SQLite: an external-content FTS5 table ``articles_fts`` (rowid = articles.id) with triggers on
  insert, update and delete of ``articles``;
- PostgreSQL: a GIN index on ``to_tsvector('simple', …)`` of the title and the first
  ``PG_CHARS`` characters of the text (a bound: a tsvector may not exceed 1 MB, and an article
  whose index entry fails would not be stored at all).

Neither is a model: Alembic's autogenerate is told to leave these names alone (``unmanaged``).
The 'simple' configuration and FTS5's unicode61 tokenizer do no stemming: the store is in a dozen
languages, and a search for *Pakistan* must not depend on a guess of the language.
"""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

FTS_TABLE = "articles_fts"
PG_INDEX = "ix_articles_search"
PG_CHARS = 100_000


def pg_document(table: str = "") -> str:
    """The indexed expression; the query must spell it the same way for the index to be used."""
    return f"to_tsvector('simple', coalesce({table}title, '') || ' ' || left({table}text, {PG_CHARS}))"


MAX_QUERY_WORDS = 20


def unmanaged(name: str | None, type_: str) -> bool:
    """True for the search objects, which Alembic's autogenerate must neither create nor drop."""
    if not name:
        return False
    return (type_ == "table" and name.startswith(FTS_TABLE)) or (type_ == "index" and name == PG_INDEX)


def words(query: str) -> list[str]:
    """The words of a search box's text (at most MAX_QUERY_WORDS): all must be found."""
    return re.findall(r"\w+", query)[:MAX_QUERY_WORDS]


COMMON = 5000  # SQLite: a word in more articles than this is checked per row, not listed


def matching_articles(session: Session, query: str) -> ColumnElement[bool] | None:
    """A condition on ``articles.id``: the article's title or text holds every word of ``query``,
    in any case (None when the query has no words). The user's text is never search syntax."""
    terms = words(query)
    if not terms:
        return None
    if session.get_bind().dialect.name == "sqlite":
        fts = " ".join(f'"{t}"' for t in terms)  # each word quoted: no column filters, NEAR, OR
        found = session.scalar(text(f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} "
                                    f"MATCH :fts LIMIT {COMMON + 1})").bindparams(fts=fts))
        if found > COMMON:  # listing every hit costs more than checking the newest matches one by one
            return text(f"EXISTS (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts "
                        f"AND {FTS_TABLE}.rowid = articles.id)").bindparams(fts=fts)
        return text(f"articles.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts)").bindparams(fts=fts)
    # plainto_tsquery parses the words as the document was parsed ("Mi-35" is 'mi' and '-35' there)
    return text(f"{pg_document('articles.')} @@ plainto_tsquery('simple', :tsq)").bindparams(tsq=query[:500])


SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON articles BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF title, text ON articles BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{kind}" for kind in ("insert", "delete", "update")] + [
    f"DROP TABLE IF EXISTS {FTS_TABLE}"]
PG_UP = [f"CREATE INDEX {PG_INDEX} ON articles USING gin (({pg_document()}))"]
PG_DOWN = [f"DROP INDEX IF EXISTS {PG_INDEX}"]
