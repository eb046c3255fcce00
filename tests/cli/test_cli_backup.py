"""`sortes backup` and `sortes restore`: a service's database into a file and back into a fresh database,
its audit chain verified after the restore; a restore over a database that holds tables refuses
unless --force."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

from shared.audit import AuditSettings, audit_tables, system_actor
from shared.db import Database
from shared.migrations import upgrade
from sortes_cli.main import main
from sortes_cli.postgres import create_database_if_missing, drop_database, is_postgres
from tests.support.databases import RUN_PREFIX, postgres_url

ENTRIES = 5


@pytest.fixture
def database_urls(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A source and two restore targets, none of them created yet."""
    if backend == "sqlite":
        yield {name: f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}" for name in ("source", "fresh", "other")}
        return
    tag = uuid.uuid4().hex[:6]
    urls = {name: postgres_url(f"{RUN_PREFIX}_backup_{tag}_{name}") for name in ("source", "fresh", "other")}
    yield urls
    for url in urls.values():
        asyncio.run(drop_database(url))


async def fill(url: str) -> None:
    """ENTRIES audit entries and a signed checkpoint in the vendors database at ``url``."""
    recorder = AuditSettings.from_env("vendors").recorder("vendors", audit_tables(MetaData()))
    database = Database.from_url(url)
    try:
        for number in range(ENTRIES):
            async with database.transaction() as session:
                await recorder.record(session, actor=system_actor("vendors"), action="vendor.created",
                                      object_type="vendor", object_id=f"V{number}", after={"number": number})
        async with database.transaction() as session:
            await recorder.checkpoint(session)
    finally:
        await database.dispose()


def migrate_and_fill(url: str) -> None:
    if is_postgres(url):
        asyncio.run(create_database_if_missing(url))
    upgrade("vendors", url)
    asyncio.run(fill(url))


async def execute(url: str, statement: str) -> None:
    database = Database.from_url(url)
    try:
        async with database.transaction() as session:
            await session.execute(text(statement))
    finally:
        await database.dispose()


def sortes(monkeypatch: pytest.MonkeyPatch, url: str, *arguments: str) -> int:
    monkeypatch.setenv("SORTES_VENDORS_DATABASE_URL", url)
    return main(list(arguments))


def test_a_backup_restores_into_a_fresh_database_and_its_chain_verifies(
        database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = database_urls["source"]
    migrate_and_fill(source)

    assert sortes(monkeypatch, source, "backup", "--service", "vendors", "--output", str(tmp_path / "out")) == 0
    [written] = list((tmp_path / "out").iterdir())
    assert written.name.startswith("vendors-") and written.suffix in {".dump", ".sqlite"}
    capsys.readouterr()

    assert sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(written)) == 0
    output = capsys.readouterr().out
    assert f"vendors: audit chain OK — {ENTRIES} entries, head {ENTRIES} " in output, output
    assert "1 signed checkpoints matched" in output

    again = sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(written))
    assert again == 1
    assert "already holds" in capsys.readouterr().err
    forced = sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(written),
                    "--force")
    assert forced == 0
    assert "audit chain OK" in capsys.readouterr().out


def test_a_restore_reports_a_chain_that_was_edited_before_the_backup(
        database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = database_urls["source"]
    migrate_and_fill(source)
    asyncio.run(execute(source, "UPDATE audit_log SET object_id = 'V9' WHERE seq = 2"))
    assert sortes(monkeypatch, source, "backup", "--service", "vendors", "--output", str(tmp_path / "out")) == 0
    [written] = list((tmp_path / "out").iterdir())
    capsys.readouterr()

    assert sortes(monkeypatch, database_urls["other"], "restore", "--service", "vendors", "--input", str(written)) == 1
    assert "audit chain FAILED after the restore" in capsys.readouterr().out


def test_a_file_that_is_no_backup_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    assert sortes(monkeypatch, target, "restore", "--service", "vendors", "--input", str(not_a_backup)) == 2
    assert "is not a SQLite backup" in capsys.readouterr().err


def test_backups_are_private_and_sealed_with_a_key_file_restore_whole(
        database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = database_urls["source"]
    migrate_and_fill(source)
    assert sortes(monkeypatch, source, "backup", "--service", "vendors", "--output", str(tmp_path / "plain")) == 0
    [plain] = list((tmp_path / "plain").iterdir())
    assert plain.stat().st_mode & 0o777 == 0o600

    key_file = tmp_path / "backup.key"
    key_file.write_text(os.urandom(32).hex() + "\n")
    assert sortes(monkeypatch, source, "backup", "--service", "vendors", "--output", str(tmp_path / "sealed"),
                  "--key-file", str(key_file)) == 0
    [sealed] = list((tmp_path / "sealed").iterdir())
    assert sealed.name.endswith(".enc") and sealed.stat().st_mode & 0o777 == 0o600
    assert sealed.read_bytes().startswith(b"SORTESBK1\n")
    assert b"vendor.created" not in sealed.read_bytes()  # the audit log's actions are in the plain one
    capsys.readouterr()

    refused = sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(sealed))
    assert refused == 2 and "--key-file" in capsys.readouterr().err
    other_key = tmp_path / "other.key"
    other_key.write_text(os.urandom(32).hex())
    wrong = sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(sealed),
                   "--key-file", str(other_key))
    assert wrong == 1 and "another backup key" in capsys.readouterr().err
    cut = tmp_path / "cut.enc"
    cut.write_bytes(sealed.read_bytes()[:-20])
    truncated = sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(cut),
                       "--key-file", str(key_file))
    assert truncated == 1 and "does not open" in capsys.readouterr().err

    monkeypatch.setenv("SORTES_BACKUP_KEY_FILE", str(key_file))
    assert sortes(monkeypatch, database_urls["fresh"], "restore", "--service", "vendors", "--input", str(sealed),
                  "--key-file", str(key_file)) == 0
    assert f"vendors: audit chain OK — {ENTRIES} entries" in capsys.readouterr().out
