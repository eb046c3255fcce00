"""Alembic environment of the experts service (its own tables only)."""

from alembic import context

from services.experts.models import Base
from shared.migrations import run_env

run_env(context, Base.metadata)
