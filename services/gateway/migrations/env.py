"""Alembic environment of the gateway service (its own tables only)."""

from alembic import context

from services.gateway.models import Base
from shared.migrations import run_env

run_env(context, Base.metadata)
