"""matches.page_silent_at: a match made on the feed's text that the page, read later, does not bear out

Plain ADD COLUMN (nullable): ``matches`` is referenced by alerts and feedback, so SQLite's batch
copy (which would fire their ON DELETE actions) is avoided.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:10:00
"""
from alembic import op
import sqlalchemy as sa

import pipelines.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('matches', sa.Column('page_silent_at', pipelines.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('matches', 'page_silent_at')  # SQLite 3.35+: DROP COLUMN in place
