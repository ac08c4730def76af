"""crawl runs say which process runs them

``crawl_runs.host`` and ``crawl_runs.pid``: a row left "running" by a process that is gone (killed
with SIGKILL, crashed, the machine restarted) is closed as "interrupted" by the next crawl on that
host. Plain ADD COLUMN (nullable) on both backends; nothing references the table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('crawl_runs', sa.Column('host', sa.String(length=255), nullable=True))
    op.add_column('crawl_runs', sa.Column('pid', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_column('pid')
        batch_op.drop_column('host')
