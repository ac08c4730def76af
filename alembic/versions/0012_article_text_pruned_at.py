"""articles.text_pruned_at: when retention dropped an old, unmatched article's text

Plain ADD COLUMN (nullable): ``articles`` is referenced by matches and near_duplicates, so
SQLite's batch copy (which would fire their ON DELETE actions) is avoided.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 06:20:00
"""
from alembic import op
import sqlalchemy as sa

import pipelines.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('articles', sa.Column('text_pruned_at', pipelines.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('articles', 'text_pruned_at')  # SQLite 3.35+: DROP COLUMN in place
