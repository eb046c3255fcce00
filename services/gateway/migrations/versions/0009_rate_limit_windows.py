"""rate limit windows: the API quota counted in the database, shared by every gateway process

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_windows',
        sa.Column('caller', sa.String(length=150), nullable=False),
        sa.Column('window_end', sa.BigInteger(), nullable=False),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('caller'),
    )


def downgrade() -> None:
    op.drop_table('rate_limit_windows')
