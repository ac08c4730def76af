"""review app: missed articles and full-text search

- ``missed_articles``: articles analysts say a watch should have caught (false negatives), with
  their text and why the watch did not fire; ``report`` counts them for recall.
- Full-text search over articles (``pipelines.search``): SQLite, an external-content FTS5 table
  kept in sync by triggers on ``articles`` and filled from the stored articles here; PostgreSQL, a
  GIN expression index. Neither is a model, and env.py's autogenerate leaves their names alone.

SQLite: a later revision that batch-copies ``articles`` drops its triggers with the old table;
it must recreate them (the statements below), and tests/test_web_search.py checks they exist.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import pipelines.models


# The search objects' SQL as it was when this revision was written (pipelines/search.py may
# change later; a revision must not).
SQLITE_UP = ["CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
 "tokenize='unicode61 remove_diacritics 2')",
 'CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN INSERT INTO articles_fts(rowid, title, '
 'text) VALUES (new.id, new.title, new.text); END',
 'CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN INSERT INTO articles_fts(articles_fts, '
 "rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
 'CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN INSERT INTO '
 "articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); INSERT INTO "
 'articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END',
 "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"]
SQLITE_DOWN = ['DROP TRIGGER IF EXISTS articles_fts_insert',
 'DROP TRIGGER IF EXISTS articles_fts_delete',
 'DROP TRIGGER IF EXISTS articles_fts_update',
 'DROP TABLE IF EXISTS articles_fts']
PG_UP = ["CREATE INDEX ix_articles_search ON articles USING gin ((to_tsvector('simple', coalesce(title, '') || ' ' "
 '|| left(text, 100000))))']
PG_DOWN = ['DROP INDEX IF EXISTS ix_articles_search']

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('missed_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('watch', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('fired', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('created_at', pipelines.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_missed_articles_article_id_articles'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missed_articles'))
    )
    with op.batch_alter_table('missed_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_missed_articles_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_missed_articles_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_missed_articles_watch'), ['watch'], unique=False)
    for statement in SQLITE_UP if op.get_bind().dialect.name == 'sqlite' else PG_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else PG_DOWN:
        op.execute(statement)
    with op.batch_alter_table('missed_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_missed_articles_watch'))
        batch_op.drop_index(batch_op.f('ix_missed_articles_created_at'))
        batch_op.drop_index(batch_op.f('ix_missed_articles_article_id'))
    op.drop_table('missed_articles')
