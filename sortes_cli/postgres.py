"""PostgreSQL from the operator's side: a database per service on one server, databases created when
missing, and libpq's environment for ``pg_dump`` and ``pg_restore`` (no password on a command line)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import URL, make_url

from shared.settings import normalise_database_url

MAINTENANCE_DATABASES = ("postgres", "template1")


def is_postgres(url: str) -> bool:
    return make_url(normalise_database_url(url)).get_backend_name() == "postgresql"


def service_database_url(server_url: str, service: str) -> str:
    """``…/<name>`` becomes ``…/<name>_<service>``: one database per service on the same server."""
    url = make_url(normalise_database_url(server_url))
    return url.set(database=f"{url.database or 'sortes'}_{service}").render_as_string(hide_password=False)


def shown(url: str) -> str:
    """A URL fit to print: the password masked (a string that is no URL is not shown at all)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(not a database URL)"


def _connect_options(url: URL, database: str | None = None) -> dict[str, object]:
    return {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username,
            "password": url.password, "database": database or url.database, "timeout": 10}


async def table_names(url: str) -> list[str]:
    """The tables in the database's current schema."""
    connection = await asyncpg.connect(**_connect_options(make_url(normalise_database_url(url))))
    try:
        return [row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    finally:
        await connection.close()


async def create_database_if_missing(url: str) -> bool:
    """Create the database ``url`` names on its server; True when it was created."""
    target = make_url(normalise_database_url(url))
    connection = await _maintenance_connection(target)
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", target.database):
            return False
        await connection.execute(f'CREATE DATABASE "{_identifier(target.database)}"')
        return True
    finally:
        await connection.close()


async def drop_database(url: str) -> None:
    target = make_url(normalise_database_url(url))
    connection = await _maintenance_connection(target)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{_identifier(target.database)}" WITH (FORCE)')
    finally:
        await connection.close()


async def _maintenance_connection(url: URL) -> asyncpg.Connection:
    error: Exception | None = None
    for database in MAINTENANCE_DATABASES:
        try:
            return await asyncpg.connect(**_connect_options(url, database))
        except asyncpg.InvalidCatalogNameError as missing:  # a server without that database: try the next
            error = missing
    raise RuntimeError(f"no maintenance database ({', '.join(MAINTENANCE_DATABASES)}) on {shown(str(url))}: {error}")


def _identifier(name: str | None) -> str:
    if not name or '"' in name or "\x00" in name:
        raise ValueError(f"unusable database name {name!r}")
    return name


def libpq_environment(url: str) -> dict[str, str]:
    """``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE`` (and ``PGSSLMODE``) for ``url``."""
    parsed = make_url(normalise_database_url(url))
    values = {"PGHOST": parsed.host, "PGPORT": str(parsed.port) if parsed.port else None, "PGUSER": parsed.username,
              "PGPASSWORD": parsed.password, "PGDATABASE": parsed.database,
              "PGSSLMODE": parsed.query.get("sslmode") or parsed.query.get("ssl")}
    return {name: str(value) for name, value in values.items() if value}


async def other_sessions(url: str) -> int:
    """How many sessions other than this one are connected to the database ``url`` names."""
    target = make_url(normalise_database_url(url))
    connection = await _maintenance_connection(target)
    try:
        return int(await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", target.database))
    finally:
        await connection.close()
