"""A verification that runs while the service keeps writing reports nothing false.

The service does not stop while `sortes audit verify` (or the console's check) reads it: the
notification sender, a draw or an import may commit between two of the verifier's reads. Each check
reads the database as it stood at one instant (one snapshot), so a change committed in the middle —
made through the service, with its audit entry — is neither half-seen as a row "changed outside the
service" nor as an entry "inserted after the recorded head".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import shared.audit.store as store
from shared.audit.routes import verify_own_chain
from tests.experts.test_panels import OWNER, register_project
from tests.support.databases import url_of


async def service_writes(client: Any, minter: Any) -> None:
    """Two audited changes made through the service: a project renamed and a project registered."""
    headers = minter.headers("experts", "service")
    for code, name in (("P1", "城市大脑二期"), ("P2", "智慧水务")):
        response = await client.put(f"/api/v1/projects/{code}", headers=headers, json={
            "name": name, "kind": "construction", "owner_unit": OWNER, "investment_fen": 300_000_000,
            "lots": [], "planned_completion": "2027-12-31"})
        assert response.status_code in (200, 201), response.text


def write_before_the_walk(client: Any, minter: Any, monkeypatch: Any) -> list[bool]:
    """The chain walk starts only after the service committed two audited changes (once); the list
    says whether it did."""
    walk = store._walk_segments
    wrote: list[bool] = []

    async def walk_after_a_write(*args: Any, **kwargs: Any) -> Any:
        if not wrote:
            wrote.append(True)
            await service_writes(client, minter)
        return await walk(*args, **kwargs)

    monkeypatch.setattr(store, "_walk_segments", walk_after_a_write)
    return wrote


async def test_rows_changed_through_the_service_between_two_reads_of_the_check_are_not_named(
        experts_client, minter, monkeypatch) -> None:
    await register_project(experts_client, minter)
    original = AsyncConnection.stream
    calls: dict[int, int] = {}

    async def stream_with_a_write_between(self: AsyncConnection, *args: Any, **kwargs: Any) -> Any:
        calls[id(self)] = calls.get(id(self), 0) + 1
        if calls[id(self)] == 2:  # the digests are read; the rows are next
            await service_writes(experts_client, minter)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncConnection, "stream", stream_with_a_write_between)
    found = await verify_own_chain(experts_client.app.state.database, experts_client.app.state.audit)
    monkeypatch.setattr(AsyncConnection, "stream", original)
    assert max(calls.values()) >= 2, "the write did not happen between the reads"
    assert found.rows == [] and found.ok, found

    again = await verify_own_chain(experts_client.app.state.database, experts_client.app.state.audit)
    assert again.ok and again.head_seq > found.head_seq, again  # the writes are in the next check


async def test_entries_appended_through_the_service_after_the_head_is_read_are_not_called_inserted(
        experts_client, minter, monkeypatch) -> None:
    await register_project(experts_client, minter)
    wrote = write_before_the_walk(experts_client, minter, monkeypatch)
    url = url_of(experts_client)
    audit = experts_client.app.state.audit
    report = await store.verify_stored_chain(url, audit.tables, audit.service, audit.public_keys, workers=1)
    assert wrote and report.ok, report.problem
    later = await store.verify_stored_chain(url, audit.tables, audit.service, audit.public_keys, workers=1)
    assert later.ok and later.head_seq == report.head_seq + 2, later


async def test_a_chain_walked_in_segments_stops_at_the_snapshots_last_entry(
        experts_client, minter, monkeypatch) -> None:
    # The last segment's walker reads in a process of its own: it is bounded by the last entry the
    # check saw, so an entry appended meanwhile is not read past the recorded head.
    await register_project(experts_client, minter)
    monkeypatch.setattr(store, "PARALLEL_FROM", 1)
    wrote = write_before_the_walk(experts_client, minter, monkeypatch)
    audit = experts_client.app.state.audit
    report = await store.verify_stored_chain(url_of(experts_client), audit.tables, audit.service,
                                             audit.public_keys, workers=2)
    assert wrote and report.ok, report.problem
