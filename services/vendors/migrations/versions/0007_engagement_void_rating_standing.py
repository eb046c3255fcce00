"""engagement void, rating engagement

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
    # Ratings made before standing was checked keep no engagement (NULL); the unique constraint leaves
    # them alone, since NULLs never collide.
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagement_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_ratings_engagement_id', ['engagement_id'], unique=False)
        batch_op.create_foreign_key('fk_ratings_engagement_id_engagements', 'engagements', ['engagement_id'], ['id'])
        batch_op.create_unique_constraint('uq_ratings_engagement_stage', ['engagement_id', 'stage'])


def downgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ratings_engagement_stage', type_='unique')
        batch_op.drop_constraint('fk_ratings_engagement_id_engagements', type_='foreignkey')
        batch_op.drop_index('ix_ratings_engagement_id')
        batch_op.drop_column('engagement_id')
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by')
        batch_op.drop_column('voided_at')
