"""One view of the three audit logs: the gateway's own and those of experts and vendors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec

from services.gateway.composite.clients import client_for
from services.gateway.edge.upstream import SERVICE_NAMES, Upstreams
from shared.audit.recorder import AuditRecorder
from shared.audit.routes import ChainVerification, verify_own_chain
from shared.audit.store import AuditEntryView, AuditFilter, AuditPage, query_entries
from shared.db import Database
from shared.errors import InvalidInput
from shared.identity import Identity

AUDITED_SERVICES = ("gateway", *SERVICE_NAMES)
MERGE_WINDOW = 1000  # newest entries per service that a merged page can reach


async def audit_page(database: Database, audit: AuditRecorder, upstreams: Upstreams, identity: Identity,
                     service: str | None, criteria: AuditFilter, page: int, page_size: int) -> AuditPage:
    """Entries of one service as it pages them, or of all three merged newest first."""
    if service is not None:
        return await _one_service(database, audit, upstreams, identity, service, criteria, page, page_size)
    if page * page_size > MERGE_WINDOW:
        raise InvalidInput.for_field("page", "audit.merge_window", "without a service filter, page × page_size may "
                                     "not exceed {limit}; filter by service to go further back",
                                     {"limit": MERGE_WINDOW}, "query")
    pages = await asyncio.gather(*(
        _one_service(database, audit, upstreams, identity, name, criteria, 1, page * page_size)
        for name in AUDITED_SERVICES))
    newest_first = sorted((item for part in pages for item in part.items),
                          key=lambda item: (item.recorded_at, item.service, item.seq), reverse=True)
    merged = newest_first if criteria.sort == "-recorded_at" else sorted(  # stable: ties stay newest first
        newest_first, key=_sort_key(criteria.sort.removeprefix("-")), reverse=criteria.sort.startswith("-"))
    if criteria.sort == "recorded_at":
        merged = newest_first[::-1]
    start = (page - 1) * page_size
    return AuditPage(items=merged[start:start + page_size], total=sum(part.total for part in pages),
                     page=page, page_size=page_size)


def _sort_key(name: str) -> Callable[[AuditEntryView], Any]:
    attribute = {"recorded_at": "recorded_at", "actor": "actor", "action": "action", "object_type": "object_type"}[name]
    return lambda item: getattr(item, attribute) or ""


async def _one_service(database: Database, audit: AuditRecorder, upstreams: Upstreams, identity: Identity,
                       service: str, criteria: AuditFilter, page: int, page_size: int) -> AuditPage:
    if service == "gateway":
        async with database.reading() as session:
            return await query_entries(session, audit.tables, "gateway", criteria, page, page_size)
    params: dict[str, Any] = {key: value for key, value in msgspec.to_builtins(criteria).items()
                              if value is not None}
    return await client_for(service, upstreams, identity).audit_page({**params, "page": page, "page_size": page_size})


async def verify_all(database: Database, audit: AuditRecorder, upstreams: Upstreams,
                     identity: Identity) -> list[ChainVerification]:
    """Each service walks its own chain; the gateway its own. A service that cannot answer fails the check."""
    remote = (client_for(name, upstreams, identity).audit_verification() for name in SERVICE_NAMES)
    return list(await asyncio.gather(verify_own_chain(database, audit), *remote))
