"""articles.text_replaced_at: when a refetch put the page's text in place of the feed's

Other storing processes re-read these rows' signatures (store.RecentSignatures). Plain ADD COLUMN
(nullable) and an index: ``articles`` is referenced by matches and near_duplicates, so SQLite's
batch copy (which would fire their ON DELETE actions) is avoided.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 06:00:00
"""
from alembic import op
import sqlalchemy as sa

import pipelines.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('articles', sa.Column('text_replaced_at', pipelines.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_articles_text_replaced_at'), 'articles', ['text_replaced_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_articles_text_replaced_at'), table_name='articles')
    op.drop_column('articles', 'text_replaced_at')  # SQLite 3.35+: DROP COLUMN in place
