"""rating finalised_at

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_ratings_finalised_at_comment_until', ['finalised_at', 'comment_until'],
                              unique=False)
    # A reviewed rating was final (and announced) when its review was recorded. Ratings whose comment
    # window has lapsed are left to the finaliser, which announces them.
    op.execute("UPDATE ratings SET finalised_at = (SELECT reviewed_at FROM rating_reviews "
               "WHERE rating_reviews.rating_id = ratings.id) "
               "WHERE id IN (SELECT rating_id FROM rating_reviews)")


def downgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_finalised_at_comment_until')
        batch_op.drop_column('finalised_at')
