"""cancel phase and who on draws and panels, a panel's replaces, avoidance reason codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:30:00.000000

Panels cancelled earlier get their phase from their draws (after_reveal when one was revealed), and
their revealed draws the panel's cancel. Expert avoidances stored before reason codes existed keep
their text as the explanation of the code ``other``, so supplementary draws and the supervisor's
confirmation read them as any other.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REASON_CODES = {"close_relative", "employer_within_3_years", "prior_project_work", "vendor_interest", "other"}
_panels = sa.table("panels", sa.column("id", sa.String), sa.column("avoidances", sa.Text))


def upgrade() -> None:
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_phase', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_draws_cancelled_by'), ['cancelled_by'], unique=False)
    op.execute("UPDATE draws SET cancel_phase = 'before_reveal' WHERE status = 'cancelled'")
    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_phase', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaces', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_panels_cancelled_at'), ['cancelled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_panels_replaces'), ['replaces'], unique=True)
    # Panels cancelled before this revision: the phase from their draws, the time of their last change.
    op.execute("UPDATE panels SET cancelled_at = updated_at, cancel_phase = CASE WHEN EXISTS (SELECT 1 FROM draws "
               "WHERE draws.panel_id = panels.id AND draws.status = 'revealed') THEN 'after_reveal' "
               "ELSE 'before_reveal' END WHERE status = 'cancelled'")
    op.execute("UPDATE draws SET cancel_phase = 'after_reveal', cancel_reason = (SELECT cancel_reason FROM panels "
               "WHERE panels.id = draws.panel_id), cancelled_at = (SELECT cancelled_at FROM panels WHERE "
               "panels.id = draws.panel_id) WHERE status = 'revealed' AND panel_id IN (SELECT id FROM panels "
               "WHERE status = 'cancelled')")
    connection = op.get_bind()
    for panel_id, stored in connection.execute(sa.select(_panels.c.id, _panels.c.avoidances)).all():
        avoidances = json.loads(stored)
        experts = [_with_code(expert) for expert in avoidances.get("experts", [])]
        if experts != avoidances.get("experts", []):
            connection.execute(_panels.update().where(_panels.c.id == panel_id).values(
                avoidances=json.dumps({**avoidances, "experts": experts}, ensure_ascii=False)))


def _with_code(expert: dict) -> dict:
    if expert.get("reason") in _REASON_CODES:
        return expert
    return {"code": expert["code"], "reason": "other", "explanation": expert.get("reason")}


def downgrade() -> None:
    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panels_replaces'))
        batch_op.drop_index(batch_op.f('ix_panels_cancelled_at'))
        batch_op.drop_column('replaces')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('cancel_phase')
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draws_cancelled_by'))
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancel_phase')
