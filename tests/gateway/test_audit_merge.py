"""The gateway's one view of the three audit logs, sorted as a column header asks: each service's
page sorted the same way, merged in that order, ties newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.gateway.audit import logs
from shared.audit.store import AuditEntryView, AuditFilter, AuditPage

START = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
ENTRIES = {  # service → (seq, minutes after START, actor, action)
    "gateway": [(1, 0, "user:b", "user.created"), (2, 30, "user:a", "user.signed_in")],
    "experts": [(1, 10, "user:c", "expert.created"), (2, 20, "user:a", "draw.committed")],
    "vendors": [(1, 5, "user:b", "vendor.created")],
}
ORDERS = {"recorded_at": lambda e: e.recorded_at, "actor": lambda e: e.actor, "action": lambda e: e.action}


def view(service: str, seq: int, minutes: int, actor: str, action: str) -> AuditEntryView:
    return AuditEntryView(service=service, seq=seq, recorded_at=START + dt.timedelta(minutes=minutes), actor=actor,
                          actor_roles=[], actor_unit="", action=action, object_type="x", object_id="1",
                          before_digest=None, after_digest=None, details={}, entry_hash="")


async def one_service(database: Any, audit: Any, upstreams: Any, identity: Any, service: str,
                      criteria: AuditFilter, page: int, page_size: int) -> AuditPage:
    """As a service answers: its own entries in the order asked, ties by seq newest first."""
    items = sorted((view(service, *entry) for entry in ENTRIES[service]), key=lambda e: e.seq, reverse=True)
    key = criteria.sort.removeprefix("-")
    items = sorted(items, key=ORDERS[key], reverse=criteria.sort.startswith("-"))
    return AuditPage(items=items[(page - 1) * page_size:page * page_size], total=len(items), page=page,
                     page_size=page_size)


@pytest.mark.parametrize("sort", ["-recorded_at", "recorded_at", "actor", "-actor", "action", "-action"])
async def test_the_merged_log_is_in_the_order_asked_across_services_and_pages(monkeypatch: Any, sort: str) -> None:
    monkeypatch.setattr(logs, "_one_service", one_service)
    shown: list[AuditEntryView] = []
    for number in (1, 2, 3):
        page = await logs.audit_page(None, None, None, None, None, AuditFilter(sort=sort), number, 2)  # type: ignore[arg-type]
        assert page.total == 5
        shown.extend(page.items)
    key = ORDERS[sort.removeprefix("-")]
    assert len(shown) == 5
    assert [key(e) for e in shown] == sorted((key(e) for e in shown), reverse=sort.startswith("-"))
    if sort == "-recorded_at":
        assert [(e.service, e.seq) for e in shown] == [("gateway", 2), ("experts", 2), ("experts", 1),
                                                       ("vendors", 1), ("gateway", 1)]
