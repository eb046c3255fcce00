"""``GET /api/v1/audit``: the audit logs, for auditors and bureau admins."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import Parameter

from services.gateway.audit.logs import audit_page, verify_all
from shared.audit.routes import ChainVerification, audit_filter
from shared.audit.store import AuditPage, AuditSort
from shared.db import MAX_PAGE
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR


@get("/audit", guards=[requires_role(*ADMIN_AND_AUDITOR)], tags=["audit"])
async def get_audit(
    request: Request,
    state: State,
    service: Literal["gateway", "experts", "vendors"] | None = Parameter(default=None),
    object_type: str | None = Parameter(default=None, max_length=50),
    object_id: str | None = Parameter(default=None, max_length=100),
    actor: str | None = Parameter(default=None, max_length=100),
    since: dt.datetime | None = Parameter(default=None),
    until: dt.datetime | None = Parameter(default=None),
    sort: AuditSort = Parameter(default="-recorded_at"),
    page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
    page_size: int = Parameter(default=50, ge=1, le=500),
) -> AuditPage:
    """Audit entries newest first (or as ``sort`` says); filter by service, object, actor (subject) and time."""
    criteria = audit_filter(object_type=object_type, object_id=object_id, actor=actor, since=since, until=until,
                            sort=sort)
    return await audit_page(state.database, state.audit, state.upstreams, request.user, service, criteria,
                            page, page_size)


@get("/audit/verification", guards=[requires_role(*ADMIN_AND_AUDITOR)], tags=["audit"])
async def get_audit_verification(request: Request, state: State) -> list[ChainVerification]:
    """Every service's chain (gateway, experts, vendors) walked and checked now, with its signed checkpoints."""
    return await verify_all(state.database, state.audit, state.upstreams, request.user)
