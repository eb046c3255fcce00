"""the audit chain's crypto profile on its head (the commercial-cryptography profile, SM3)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:00:00.000000

NULL is the standard profile (SHA-256), so every chain from before this revision goes on as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('profile')
