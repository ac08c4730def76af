"""messages (what carried each alert) and held alerts

- ``messages``: one row per message sent to a target, a single alert or a digest of several
  (``alerts``: how many; a digest split to fit the channel is one message per part).
- ``alerts.message_id``: the message that carried the alert.
- ``alerts.hold``: why a pending alert waits past its creation ("digest", "quiet").

SQLite: ``alerts`` is referenced by no table, so batch mode may copy it (as 0003 did).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:50:00
"""
from alembic import op
import sqlalchemy as sa
import pipelines.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_key', sa.String(length=64), nullable=False),
    sa.Column('target_label', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.Column('sent_at', pipelines.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_target_key'), ['target_key'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alerts_message_id'), ['message_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_alerts_message_id_messages'), 'messages', ['message_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alerts_message_id_messages'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alerts_message_id'))
        batch_op.drop_column('message_id')
        batch_op.drop_column('hold')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_target_key'))

    op.drop_table('messages')
