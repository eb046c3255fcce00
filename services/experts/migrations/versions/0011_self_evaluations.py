"""the register of submitted self-evaluations a year's spot check draws from (Art. 25)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('self_evaluations',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('project_code', sa.String(length=64), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.Column('unit_uscc', sa.String(length=64), nullable=False),
                    sa.Column('submitted_on', sa.Date(), nullable=False),
                    sa.Column('recorded_by', sa.String(length=100), nullable=False),
                    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_evaluations')),
                    sa.UniqueConstraint('year', 'project_code', 'kind',
                                        name=op.f('uq_self_evaluations_year_project_code_kind')))
    with op.batch_alter_table('self_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_evaluations_year'), ['year'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_evaluations_project_code'), ['project_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('self_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_evaluations_project_code'))
        batch_op.drop_index(batch_op.f('ix_self_evaluations_year'))
    op.drop_table('self_evaluations')
