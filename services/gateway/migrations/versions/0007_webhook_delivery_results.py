"""webhook deliveries keep the class of the subscriber's answer only

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:20:00

A delivery recorded the exact status code and the name of the failure; it now records only what
class of answer came back (2xx, 3xx, 4xx, 5xx), that it was refused (the target is not public) or
that the network failed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.add_column(sa.Column('last_result', sa.String(length=20), nullable=True))
    op.execute("UPDATE webhook_deliveries SET last_result = CASE "
               "WHEN last_status_code IS NOT NULL THEN CAST(last_status_code / 100 AS VARCHAR(1)) || 'xx' "
               "WHEN last_error IS NOT NULL THEN 'network error' END")
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.drop_column('last_status_code')
        batch.drop_column('last_error')


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.add_column(sa.Column('last_status_code', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('last_error', sa.String(length=200), nullable=True))
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.drop_column('last_result')
