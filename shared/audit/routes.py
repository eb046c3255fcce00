"""``GET /api/v1/audit`` on each service: its own log, for auditors and bureau admins; and
``GET /api/v1/audit/verification``: the whole chain walked and checked now (the console's verify button)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, get
from litestar.datastructures import State
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.recorder import AuditRecorder
from shared.audit.store import AuditFilter, AuditPage, AuditSort, query_entries, verify_stored_chain, verify_stored_rows
from shared.clock import OUT_OF_UTC_RANGE, fits_in_utc
from shared.db import MAX_PAGE, Database
from shared.errors import InvalidInput
from shared.identity import Identity, requires_role
from shared.permissions import ADMIN_AND_AUDITOR

# A service may put an ``audit_redaction`` of this type in its state: entries are redacted for the
# reader when read (the stored entries and their chain never change).
AuditRedaction = Callable[[AsyncSession, Identity, AuditPage], Awaitable[AuditPage]]


@get("/api/v1/audit", guards=[requires_role(*ADMIN_AND_AUDITOR)], tags=["audit"])
async def get_audit(
    request: Request[Identity, Any, State],
    state: State,
    object_type: str | None = Parameter(default=None, max_length=50),
    object_id: str | None = Parameter(default=None, max_length=100),
    actor: str | None = Parameter(default=None, max_length=100),
    since: dt.datetime | None = Parameter(default=None),
    until: dt.datetime | None = Parameter(default=None),
    sort: AuditSort = Parameter(default="-recorded_at"),
    page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
    page_size: int = Parameter(default=50, ge=1, le=500),
) -> AuditPage:
    """This service's audit entries, newest first (or as ``sort`` says), filtered by object, actor and time."""
    database: Database = state.database
    audit: AuditRecorder = state.audit
    criteria = audit_filter(object_type=object_type, object_id=object_id, actor=actor, since=since, until=until,
                            sort=sort)
    redaction: AuditRedaction | None = state.get("audit_redaction")
    async with database.reading() as session:
        entries = await query_entries(session, audit.tables, audit.service, criteria, page, page_size)
        return entries if redaction is None else await redaction(session, request.user, entries)


def audit_filter(*, object_type: str | None, object_id: str | None, actor: str | None, since: dt.datetime | None,
                 until: dt.datetime | None, sort: AuditSort = "-recorded_at") -> AuditFilter:
    """The query's criteria; an instant outside years 1–9999 in UTC is refused naming the parameter,
    not left to fail in the database."""
    errors = [OUT_OF_UTC_RANGE.at(name, "query")
              for name, instant in (("since", since), ("until", until)) if not fits_in_utc(instant)]
    if errors:
        raise InvalidInput.of(errors)
    return AuditFilter(object_type=object_type, object_id=object_id, actor=actor, since=since, until=until,
                       sort=sort)


class ChainVerification(msgspec.Struct, frozen=True):
    """What ``sortes audit verify`` finds for one service's chain, as of now."""

    service: str
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    checkpoints_checked: int
    problem: str | None = None
    first_bad_seq: int | None = None
    rows: list[str] = msgspec.field(default_factory=list)  # audited rows changed behind the log, each named


async def verify_own_chain(database: Database, audit: AuditRecorder) -> ChainVerification:
    url = database.engine.url.render_as_string(hide_password=False)
    report = await verify_stored_chain(url, audit.tables, audit.service,
                                       audit.public_keys, workers=1)
    rows = (await verify_stored_rows(url, audit.tables, audit.rows, audit.digest_key)
            if audit.rows is not None else [])
    return ChainVerification(service=audit.service, ok=report.ok and not rows, entries=report.entries,
                             head_seq=report.head_seq, head_hash=report.head_hash,
                             checkpoints_checked=report.checkpoints_checked, problem=report.problem or
                             (rows[0] if rows else None), first_bad_seq=report.first_bad_seq, rows=rows)


@get("/api/v1/audit/verification", guards=[requires_role(*ADMIN_AND_AUDITOR)], tags=["audit"])
async def get_audit_verification(state: State) -> ChainVerification:
    """Walk this service's whole chain and its signed checkpoints now, as ``sortes audit verify`` does."""
    return await verify_own_chain(state.database, state.audit)
