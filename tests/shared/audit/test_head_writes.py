"""What a write transaction does while it holds the audit chain's head, which every other writer of the
service waits for: on PostgreSQL one statement (the entries, the row digests and a due checkpoint
inserted by the head's own UPDATE), then the commit — one statement whatever the number of rows, an
import's included, and the same text for writes of the same tables, so it is not compiled or prepared
again under the lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.experts.helpers import valid_id_number
from tests.experts.test_panels import ask_panel, build_pool, panel_body, register_project, reveal
from tests.experts.test_spreadsheets import csv_file, row, upload
from tests.shared.audit.test_rows_and_checkpoints import run_sql


@contextmanager
def statements_under_the_head_lock(client) -> Iterator[list[str]]:
    """The statements a write runs after it has locked the audit chain's head, until its commit."""
    engine = client.app.state.database.engine.sync_engine
    seen: list[str] = []

    def note(_connection, _cursor, statement: str, *_: object) -> None:
        if seen or statement.startswith("SELECT audit_head.seq, audit_head.entry_hash, audit_head.profile"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    held: list[str] = []
    try:
        yield held
    finally:
        event.remove(engine, "before_cursor_execute", note)
        held.extend(seen[1:])  # after the lock itself


async def test_a_reveal_holds_the_head_for_one_statement_and_the_commit(experts_client, minter, backend) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    draw = await ask_panel(experts_client, minter, panel_body(count=2, reserves=1))
    with statements_under_the_head_lock(experts_client) as held:
        await reveal(experts_client, minter, draw["id"])
    written = ("INSERT INTO audit_log", "INSERT INTO audit_row_digests", "INSERT INTO audit_checkpoints",
               "INSERT INTO outbox_events", "UPDATE audit_head")
    if backend == "postgresql":
        assert len(held) == 1 and held[0].startswith("WITH ")
        assert all(part in held[0] for part in written)
    else:  # SQLite: one writer at a time anyway, and its WITH clauses cannot write
        assert [next(part for part in written if statement.startswith(part)) for statement in held] == list(written)


async def test_writes_of_different_sizes_run_the_same_statement_under_the_lock(experts_client, minter,
                                                                               backend) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 12)
    held_by_size = {}
    for seats, reserves in ((1, 1), (3, 2)):
        draw = await ask_panel(experts_client, minter, panel_body(count=seats, reserves=reserves))
        with statements_under_the_head_lock(experts_client) as held:
            await reveal(experts_client, minter, draw["id"])
        held_by_size[seats] = held
    assert held_by_size[1] == held_by_size[3]
    assert len(held_by_size[1]) == (1 if backend == "postgresql" else 5)


async def test_an_import_binds_every_row_in_the_one_statement(experts_client, minter, backend) -> None:
    # 250 experts: more rows than PostgreSQL would take as one parameter each (32,767 in a statement)
    # — each table's rows go as one array a column, so even an import's append is one statement.
    rows = [row(f"导入专家{n}", valid_id_number(dt.date(1970, 1, 1) + dt.timedelta(days=n)), 手机号码=f"139{n:08d}")
            for n in range(250)]
    with statements_under_the_head_lock(experts_client) as held:
        imported = await upload(experts_client, minter, csv_file(rows), "experts.csv")
    assert imported.status_code == 200, imported.text
    if backend == "postgresql":
        assert len(held) == 1 and held[0].startswith("WITH ")
    auditor = minter.headers("experts", "auditor")
    report = (await experts_client.get("/api/v1/audit/verification", headers=auditor)).json()
    assert report["ok"] is True, report
    [[(bound,)]] = await run_sql(experts_client, "SELECT count(*) FROM audit_row_digests WHERE table_name = 'experts'")
    assert bound >= 250
