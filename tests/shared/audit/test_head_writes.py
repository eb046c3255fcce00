"""What a write transaction does while it holds the audit chain's head, which every other writer of the
service waits for: on PostgreSQL one statement (the entries, the row digests and a due checkpoint
inserted by the head's own UPDATE), then the commit; a transaction too large for one statement (an
import) still writes every entry and row digest."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from shared.audit import recorder
from tests.experts.helpers import valid_id_number
from tests.experts.test_panels import ask_panel, build_pool, panel_body, register_project, reveal
from tests.experts.test_spreadsheets import csv_file, row, upload
from tests.shared.audit.test_rows_and_checkpoints import run_sql


async def test_a_reveal_holds_the_head_for_one_statement_and_the_commit(experts_client, minter, backend) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    draw = await ask_panel(experts_client, minter, panel_body(count=2, reserves=1))
    engine = experts_client.app.state.database.engine.sync_engine
    after_lock: list[str] = []

    def seen(_connection, _cursor, statement: str, *_: object) -> None:
        if after_lock or statement.startswith("SELECT audit_head.seq, audit_head.entry_hash, audit_head.profile"):
            after_lock.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        await reveal(experts_client, minter, draw["id"])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    held = after_lock[1:]  # after the lock itself, until the commit
    written = ("INSERT INTO audit_log", "INSERT INTO audit_row_digests", "INSERT INTO audit_checkpoints",
               "INSERT INTO outbox_events", "UPDATE audit_head")
    if backend == "postgresql":
        assert len(held) == 1 and held[0].startswith("WITH ")
        assert all(part in held[0] for part in written)
    else:  # SQLite: one writer at a time anyway, and its WITH clauses cannot write
        assert [next(part for part in written if statement.startswith(part)) for statement in held] == list(written)


@pytest.mark.parametrize("rows_in_one_statement", [10_000, 10])
async def test_an_import_binds_every_row_in_one_statement_or_in_several(experts_client, minter, rows_in_one_statement,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder, "_ROWS_IN_ONE_STATEMENT", rows_in_one_statement)
    rows = [row(f"导入专家{n}", valid_id_number(dt.date(1970, 1, 1) + dt.timedelta(days=n)), 手机号码=f"139{n:08d}")
            for n in range(250)]
    imported = await upload(experts_client, minter, csv_file(rows), "experts.csv")
    assert imported.status_code == 200, imported.text
    auditor = minter.headers("experts", "auditor")
    report = (await experts_client.get("/api/v1/audit/verification", headers=auditor)).json()
    assert report["ok"] is True, report
    [[(bound,)]] = await run_sql(experts_client, "SELECT count(*) FROM audit_row_digests WHERE table_name = 'experts'")
    assert bound >= 250
