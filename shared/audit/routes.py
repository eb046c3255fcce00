"""``GET /api/v1/audit`` on each service: its own log, for auditors and bureau admins."""

from __future__ import annotations

import datetime as dt

from litestar import get
from litestar.datastructures import State
from litestar.params import Parameter

from shared.audit.recorder import AuditRecorder
from shared.audit.store import AuditFilter, AuditPage, query_entries
from shared.db import Database
from shared.identity import requires_role
from shared.roles import Role

AUDIT_READERS = (Role.AUDITOR, Role.BUREAU_ADMIN)


@get("/api/v1/audit", guards=[requires_role(*AUDIT_READERS)], tags=["audit"])
async def get_audit(
    state: State,
    object_type: str | None = Parameter(default=None, max_length=50),
    object_id: str | None = Parameter(default=None, max_length=100),
    actor: str | None = Parameter(default=None, max_length=100),
    since: dt.datetime | None = Parameter(default=None),
    until: dt.datetime | None = Parameter(default=None),
    page: int = Parameter(default=1, ge=1),
    page_size: int = Parameter(default=50, ge=1, le=500),
) -> AuditPage:
    """This service's audit entries, newest first, filtered by object, actor and time."""
    database: Database = state.database
    audit: AuditRecorder = state.audit
    criteria = AuditFilter(object_type=object_type, object_id=object_id, actor=actor, since=since, until=until)
    async with database.reading() as session:
        return await query_entries(session, audit.tables, audit.service, criteria, page, page_size)
