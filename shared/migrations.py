"""Alembic for each service: one env routine shared by every service's ``migrations/env.py``.

A service's migrations live in ``services/<name>/migrations``; its database URL comes from
``SORTES_<NAME>_DATABASE_URL`` unless the caller passes one in the Alembic config.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import database_url

SERVICES = ("experts", "vendors", "gateway")
_SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, url: str | None = None) -> Config:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    config = Config()
    config.set_main_option("script_location", str(_SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", url or database_url(service))
    return config


def upgrade(service: str, url: str | None = None, revision: str = "head") -> None:
    """Apply the service's migrations; safe to repeat (already applied steps are skipped)."""
    target_url = url or database_url(service)
    if target_url.startswith("sqlite"):
        Path(target_url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, target_url), revision)


def run_env(context, target_metadata: MetaData) -> None:  # type: ignore[no-untyped-def]
    """Body of every service's ``env.py``: run migrations online over an async engine."""
    url = context.config.get_main_option("sqlalchemy.url")

    def run_sync(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run_sync)
        await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async())
        return
    # Called from inside an event loop (an async test or a running service): use a private loop.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, run_async()).result()
