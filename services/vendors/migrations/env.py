"""Alembic environment of the vendors service (its own tables only)."""

from alembic import context

from services.vendors.models import Base
from shared.migrations import run_env

run_env(context, Base.metadata)
