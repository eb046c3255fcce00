"""annual assessments, a decline's reason category, training sessions' own numbers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 17:00:00.000000

A decline recorded before this revision has no category: it counts toward the suspension rules as
a decline without a valid reason, as it did. Training sessions before it get numbers in the order
they were held (T<year>-<nnn>).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decline_category', sa.String(length=20), nullable=True))
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.String(length=16), nullable=True))
    sessions = sa.table('training_sessions', sa.column('id', sa.Integer()), sa.column('held_on', sa.Date()),
                        sa.column('number', sa.String()))
    connection = op.get_bind()
    counters: dict[int, int] = {}
    for session_id, held_on in connection.execute(
            sa.select(sessions.c.id, sessions.c.held_on).order_by(sessions.c.held_on, sessions.c.id)).all():
        counters[held_on.year] = counters.get(held_on.year, 0) + 1
        connection.execute(sessions.update().where(sessions.c.id == session_id)
                           .values(number=f"T{held_on.year}-{counters[held_on.year]:03d}"))
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_training_sessions_number', ['number'], unique=True)
    op.create_table(
        'expert_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('expert_code', sa.String(length=16), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.Column('proposed_grade', sa.String(length=10), nullable=False),
        sa.Column('grade', sa.String(length=10), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('confirmed_by', sa.String(length=100), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('year', 'expert_code'),
    )
    op.create_index('ix_expert_assessments_expert_code', 'expert_assessments', ['expert_code'])


def downgrade() -> None:
    op.drop_index('ix_expert_assessments_expert_code', table_name='expert_assessments')
    op.drop_table('expert_assessments')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_training_sessions_number')
        batch_op.drop_column('number')
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_column('decline_category')
