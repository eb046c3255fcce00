"""Test databases: each service migrated once per run, then handed out fresh to every test.

SQLite: the migrated file is the template and each test gets a copy. PostgreSQL: a template
database is migrated once (``CREATE DATABASE … TEMPLATE`` copies it into one working database per
service), and between tests the working database is cleaned: every table truncated, then the rows
the migrations seeded put back. A system of real processes that outlives one test gets a database of
its own (``dedicated``), never the working one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from shared.migrations import upgrade

POSTGRES_DSN = os.environ.get("SORTES_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
RUN_PREFIX = f"sortes_t{os.getpid()}"


def postgres_url(database: str) -> str:
    base = POSTGRES_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def drop_stale_databases() -> None:
    """Databases left by earlier runs that were killed before they could drop their own."""
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        names = [row[0] for row in await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'sortes\\_t%'")]
        for name in names:
            pid = name[len("sortes_t"):].split("_", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@dataclass
class _Snapshot:
    tables: list[str]
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]


@dataclass
class TestDatabases:
    __test__ = False  # a helper, not a test class
    workdir: Path
    _sqlite_templates: dict[str, Path] = field(default_factory=dict)
    _postgres_ready: dict[str, _Snapshot] = field(default_factory=dict)
    _dedicated: list[str] = field(default_factory=list)
    _copies: int = 0

    def fresh(self, service: str, backend: str) -> str:
        if backend == "sqlite":
            return self._fresh_sqlite(service)
        return asyncio.run(self._fresh_postgres(service))

    def _fresh_sqlite(self, service: str) -> str:
        template = self._sqlite_templates.get(service)
        if template is None:
            template = self.workdir / "templates" / f"{service}.db"
            upgrade(service, f"sqlite+aiosqlite:///{template}")
            self._sqlite_templates[service] = template
        self._copies += 1
        copy = self.workdir / f"{service}-{self._copies}.db"
        shutil.copyfile(template, copy)
        return f"sqlite+aiosqlite:///{copy}"

    def dedicated(self, service: str, owner: str) -> str:
        """A PostgreSQL database of ``owner``'s own, migrated, for a system of real processes that
        outlives one test (a session's or a module's). It must not be the working database that
        ``fresh`` cleans before every test: the system's services go on writing in the background
        (the notification sender, checkpoints), and a test handed the same database would find their
        entries in its audit chain, or have its rows cleaned under the running system."""
        return asyncio.run(self._dedicated_postgres(service, owner))

    async def _prepare_postgres(self, service: str) -> bool:
        """Once per run and service: the template migrated, the working database copied from it and its
        seeded rows kept for cleaning. True when this call prepared them (the working database is clean)."""
        if service in self._postgres_ready:
            return False
        template = _template_name(service)
        await postgres_admin(f'CREATE DATABASE "{template}"')
        await asyncio.to_thread(upgrade, service, postgres_url(template))
        await postgres_admin(f'CREATE DATABASE "{_working_name(service)}" TEMPLATE "{template}"')
        self._postgres_ready[service] = await _take_snapshot(_working_name(service))
        return True

    async def _fresh_postgres(self, service: str) -> str:
        if not await self._prepare_postgres(service):
            await _restore_snapshot(_working_name(service), self._postgres_ready[service])
        return postgres_url(_working_name(service))

    async def _dedicated_postgres(self, service: str, owner: str) -> str:
        await self._prepare_postgres(service)
        name = f"{RUN_PREFIX}_{service}_{owner}"
        await postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_template_name(service)}"')
        self._dedicated.append(name)
        return postgres_url(name)

    def drop_postgres(self) -> None:
        async def drop() -> None:
            names = [*self._dedicated]
            for service in self._postgres_ready:
                names += [_working_name(service), _template_name(service)]
            for name in names:
                await postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        if self._postgres_ready or self._dedicated:
            asyncio.run(drop())


def _working_name(service: str) -> str:
    """The database ``fresh`` hands out and cleans before every test."""
    return f"{RUN_PREFIX}_{service}"


def _template_name(service: str) -> str:
    return f"{RUN_PREFIX}_{service}_template"


async def _connect(database: str) -> asyncpg.Connection:
    return await asyncpg.connect(POSTGRES_DSN.rsplit("/", 1)[0] + f"/{database}", timeout=5)


async def _take_snapshot(database: str) -> _Snapshot:
    connection = await _connect(database)
    try:
        tables = [row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in tables:
            records = await connection.fetch(f'SELECT * FROM "{table}"')
            if records:
                rows[table] = (list(records[0].keys()), [tuple(record.values()) for record in records])
        return _Snapshot(tables=tables, rows=rows)
    finally:
        await connection.close()


async def _restore_snapshot(database: str, snapshot: _Snapshot) -> None:
    connection = await _connect(database)
    try:
        async with connection.transaction():
            quoted = ", ".join(f'"{table}"' for table in snapshot.tables)
            await connection.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            # Seeded rows may reference each other (a field's parent): skip FK triggers while restoring.
            await connection.execute("SET LOCAL session_replication_role = replica")
            for table, (columns, records) in snapshot.rows.items():
                await connection.copy_records_to_table(table, records=records, columns=columns)
    finally:
        await connection.close()


def url_of(client: Any) -> str:
    """The database URL a test client's service runs on (password included), to reach it directly."""
    return client.app.state.database.engine.url.render_as_string(hide_password=False)
