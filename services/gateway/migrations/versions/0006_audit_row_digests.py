"""audit row digests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rows each entry's transaction wrote (docs/audit-log.md, "Row digests"). Rows that exist
    # already are digested once by the service at its next start (the baseline, sequence 0).
    op.create_table('audit_row_digests',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.String(length=300), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('seq', 'table_name', 'row_key')
    )
    with op.batch_alter_table('audit_row_digests', schema=None) as batch_op:
        batch_op.create_index('ix_audit_row_digests_row', ['table_name', 'row_key', 'seq'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows_digest', sa.String(length=64), nullable=True))
    # The gateway's own events (its audit checkpoints), delivered by its dispatcher like the services'.
    op.create_table('outbox_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_type', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )


def downgrade() -> None:
    op.drop_table('outbox_events')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('rows_digest')
    op.drop_table('audit_row_digests')
