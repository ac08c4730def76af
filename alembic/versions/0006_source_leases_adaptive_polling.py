"""source leases and adaptive polling

- ``sources.leased_by`` / ``sources.leased_until``: several daemons share one PostgreSQL
  database; the daemon polling a source holds a lease on it, which another takes over once it
  expires (a daemon killed with SIGKILL).
- ``sources.effective_interval``, ``interval_reason``, ``new_per_poll``: each source's interval
  follows how often it publishes (a moving average of new entries per poll), between
  ``min_interval_seconds`` and ``max_interval_seconds`` (from the configuration).
- ``ix_sources_due`` on (enabled, next_poll_at): finding due sources is an index range scan.

Plain ADD COLUMN (nullable) and CREATE INDEX: ``sources`` is referenced by other tables, so
SQLite's batch copy (which would fire their ON DELETE actions) is avoided.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:10:00
"""
from alembic import op
import sqlalchemy as sa
import pipelines.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('sources', sa.Column('effective_interval', sa.Float(), nullable=True))
    op.add_column('sources', sa.Column('interval_reason', sa.Text(), nullable=True))
    op.add_column('sources', sa.Column('new_per_poll', sa.Float(), nullable=True))
    op.add_column('sources', sa.Column('min_interval_seconds', sa.Float(), nullable=True))
    op.add_column('sources', sa.Column('max_interval_seconds', sa.Float(), nullable=True))
    op.add_column('sources', sa.Column('leased_by', sa.String(length=100), nullable=True))
    op.add_column('sources', sa.Column('leased_until', pipelines.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_sources_due', 'sources', ['enabled', 'next_poll_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sources_due', table_name='sources')
    for column in ('leased_until', 'leased_by', 'max_interval_seconds', 'min_interval_seconds', 'new_per_poll',
                   'interval_reason', 'effective_interval'):
        op.drop_column('sources', column)  # SQLite 3.35+: DROP COLUMN in place
