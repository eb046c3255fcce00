"""The system of real processes a run keeps up never shares a database with a test handed one clean.

The services of a running system write in the background (the notification sender, signed
checkpoints); a test whose database was theirs would find their entries in its audit chain, and the
cleaning before each test would empty the system's tables under it.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text

from shared.db import create_engine
from sortes_cli.local_system import LocalSystem
from tests.e2e.test_projects_across_services import admin, reference
from tests.support.databases import TestDatabases

pytestmark = pytest.mark.e2e


async def audit_entries(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    finally:
        await engine.dispose()


def test_a_clean_database_for_a_test_is_not_the_running_systems_and_cleaning_it_leaves_the_system_alone(
        local_system: LocalSystem, test_databases: TestDatabases) -> None:
    registered = httpx.put(local_system.url() + "/api/v1/projects/PY-ISOLATION-1", json=reference(),
                           headers=admin(local_system), timeout=10)
    assert registered.status_code in (200, 201), registered.text
    backend = "postgresql" if local_system.database_urls else "sqlite"
    ours = local_system.database_url("experts")
    before = asyncio.run(audit_entries(ours))
    handed = test_databases.fresh("experts", backend)
    assert handed != ours
    assert asyncio.run(audit_entries(handed)) == 0
    assert asyncio.run(audit_entries(ours)) >= before > 0  # the system's entries are where they were
