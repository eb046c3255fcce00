"""panel purposes of Arts. 10 and 18, participating units, venue, start times, contact and notice

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00.000000

The one purpose ``acceptance`` becomes ``initial_acceptance`` (初验): every such panel was asked for by
its project's own unit, which is who organises an initial acceptance (Art. 18); a final acceptance
(终验) of a major project is organised by the bureau and was not told apart before. Only the panels
change: a draw's purpose is part of its signed commitment and stays as it was committed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('participating_units', sa.Text(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('venue', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('starts_at', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('contact_phone_token', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('organiser_unit_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('supervisor_unit_name', sa.String(length=200), nullable=True))
    op.execute("UPDATE panels SET purpose = 'initial_acceptance' WHERE purpose = 'acceptance'")


def downgrade() -> None:
    op.execute("UPDATE panels SET purpose = 'acceptance' WHERE purpose IN ('initial_acceptance', 'final_acceptance')")
    with op.batch_alter_table('panels', schema=None) as batch_op:
        for column in ('supervisor_unit_name', 'organiser_unit_name', 'notice', 'contact_phone_token',
                       'contact_name', 'starts_at', 'venue', 'participating_units'):
            batch_op.drop_column(column)
