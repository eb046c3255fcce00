"""the notification outbox and one-time invitation links

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:50:00.000000

Each invited member gets an SMS (and, where configured, a voice call) with a one-time link to accept or
decline; ``notifications`` is the outbox the sender works through, ``invitation_links`` keeps each
link's token as a digest only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'invitation_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'],
                                name=op.f('fk_invitation_links_member_id_panel_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_links')),
        sa.UniqueConstraint('digest', name=op.f('uq_invitation_links_digest')),
    )
    with op.batch_alter_table('invitation_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_links_member_id'), ['member_id'], unique=False)
    op.create_table(
        'notifications',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('panel_id', sa.String(length=36), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('expert_code', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('payload_token', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lease_owner', sa.String(length=36), nullable=True),
        sa.Column('last_error', sa.String(length=100), nullable=True),
        sa.Column('provider_message_id', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'],
                                name=op.f('fk_notifications_member_id_panel_members')),
        sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_notifications_panel_id_panels')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_panel_id'), ['panel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('notifications')
    op.drop_table('invitation_links')
