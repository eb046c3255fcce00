"""The tables the code declares are the tables the migrations make.

Every query is built from the models and the shared tables (audit, outbox), while every database is
made by the Alembic migrations; a column, length, nullability, index or key declared in one and not the
other goes unseen until a query or an insert meets it in production. Alembic's own comparison of the
metadata with a migrated database finds none, on SQLite and PostgreSQL, for each service.
"""

from __future__ import annotations

import asyncio
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import Database
from tests.support.databases import TestDatabases


@pytest.mark.parametrize("service", ["experts", "vendors", "gateway"])
async def test_the_declared_tables_are_the_migrated_ones(service: str, backend: str,
                                                        test_databases: TestDatabases) -> None:
    metadata = importlib.import_module(f"services.{service}.models").Base.metadata
    database = Database.from_url(await asyncio.to_thread(test_databases.fresh, service, backend))
    try:
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(lambda synchronous: compare_metadata(
                MigrationContext.configure(synchronous, opts={"compare_type": True}), metadata))
    finally:
        await database.dispose()
    assert differences == []
