"""The connection pool's size and overflow are settings (documented against PostgreSQL's
max_connections), and so is the ``jit`` option sent on connect, which a PostgreSQL-compatible
database may refuse: ``SORTES_DB_JIT=server`` sends nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.db import Database, create_engine, pool_settings
from shared.settings import SettingsError
from tests.support.databases import POSTGRES_DSN, postgres_url


def test_the_pool_takes_its_size_and_overflow_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (pool_settings().size, pool_settings().overflow) == (10, 5)  # 15 a process: 5 processes in 100
    monkeypatch.setenv("SORTES_DB_POOL_SIZE", "3")
    monkeypatch.setenv("SORTES_DB_MAX_OVERFLOW", "1")
    engine = create_engine(postgres_url("sortes_pool_settings_never_connected"))
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 1)  # type: ignore[attr-defined]
    monkeypatch.setenv("SORTES_DB_POOL_SIZE", "0")
    with pytest.raises(SettingsError, match="SORTES_DB_POOL_SIZE"):
        create_engine(postgres_url("sortes_pool_settings_never_connected"))


@pytest.mark.postgres
@pytest.mark.parametrize(("setting", "expected"), [("off", "off"), ("on", "on"), ("server", None)])
async def test_jit_is_sent_only_as_set(setting: str, expected: str | None, monkeypatch: pytest.MonkeyPatch,
                                       postgres_available: bool) -> None:
    monkeypatch.setenv("SORTES_DB_JIT", setting)
    database = Database.from_url(postgres_url(POSTGRES_DSN.rsplit("/", 1)[1] or "postgres"))
    try:
        async with database.reading() as session:
            value = (await session.execute(text("SHOW jit"))).scalar_one()
            source = (await session.execute(text("SELECT source FROM pg_settings WHERE name = 'jit'"))).scalar_one()
    finally:
        await database.dispose()
    if expected is None:
        assert source != "client"  # nothing sent: the server's own value
    else:
        assert (value, source) == (expected, "client")


def test_an_unknown_jit_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTES_DB_JIT", "maybe")
    with pytest.raises(SettingsError, match="SORTES_DB_JIT"):
        create_engine(postgres_url("sortes_pool_settings_never_connected"))
