"""applications to join the pool (入库申请) and experts' own change requests, both reviewed by an admin

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'expert_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('recommended_by_unit', sa.String(length=64), nullable=True),
        sa.Column('submitted_by', sa.String(length=100), nullable=True),
        sa.Column('receipt_digest', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('unit_uscc', sa.String(length=18), nullable=False),
        sa.Column('unit_name', sa.String(length=200), nullable=False),
        sa.Column('title', sa.String(length=50), nullable=False),
        sa.Column('years_in_field', sa.Integer(), nullable=False),
        sa.Column('fields', sa.Text(), nullable=False),
        sa.Column('certificates', sa.Text(), nullable=False),
        sa.Column('phone_token', sa.String(length=255), nullable=True),
        sa.Column('id_number_token', sa.String(length=255), nullable=False),
        sa.Column('id_number_index', sa.String(length=64), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decision_reason', sa.String(length=500), nullable=True),
        sa.Column('expert_code', sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_applications')),
        sa.UniqueConstraint('number', name=op.f('uq_expert_applications_number')),
    )
    with op.batch_alter_table('expert_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_applications_id_number_index'), ['id_number_index'],
                              unique=False)
    op.create_table(
        'expert_change_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=16), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('submitted_by', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('changes', sa.Text(), nullable=False),
        sa.Column('phone_token', sa.String(length=255), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decision_reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['expert_id'], ['experts.id'],
                                name=op.f('fk_expert_change_requests_expert_id_experts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_change_requests')),
        sa.UniqueConstraint('number', name=op.f('uq_expert_change_requests_number')),
    )
    with op.batch_alter_table('expert_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_change_requests_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_change_requests_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('expert_change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_change_requests_status'))
        batch_op.drop_index(batch_op.f('ix_expert_change_requests_expert_id'))
    op.drop_table('expert_change_requests')
    with op.batch_alter_table('expert_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_applications_id_number_index'))
        batch_op.drop_index(batch_op.f('ix_expert_applications_status'))
    op.drop_table('expert_applications')
