"""Project references: one PUT at the gateway, fanned out to experts and vendors.

Both services store the reference idempotently, so a PUT that failed half-way converges when the
lifecycle system retries it; ``reconcile`` compares the two by digest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.gateway.composite.clients import ServiceClient, VendorsClient, client_for
from services.gateway.edge.upstream import SERVICE_NAMES, Upstreams
from services.gateway.schemas import ProjectDivergence, Reconciliation
from shared.contracts.projects import ProjectPage, ProjectReference, ProjectRegistration, ProjectView, ProjectWrite
from shared.errors import BadGateway
from shared.identity import Identity

T = TypeVar("T")


async def _from_each(upstreams: Upstreams, identity: Identity,
                     call: Callable[[ServiceClient], Awaitable[T]]) -> dict[str, T]:
    """``call`` on every service at once; a refusal is raised in the services' order."""
    answers = await asyncio.gather(*(call(client_for(service, upstreams, identity)) for service in SERVICE_NAMES),
                                   return_exceptions=True)
    found: dict[str, T] = {}
    for service, answer in zip(SERVICE_NAMES, answers, strict=True):
        if isinstance(answer, BaseException):
            raise answer
        found[service] = answer
    return found


async def register_project(upstreams: Upstreams, identity: Identity, code: str,
                           reference: ProjectReference) -> ProjectRegistration:
    writes: dict[str, ProjectWrite] = await _from_each(
        upstreams, identity, lambda client: client.register_project(code, reference))
    digests = {write.project.digest for write in writes.values()}
    if len(digests) != 1:
        raise BadGateway("The services stored different versions of the project; retry the PUT.",
                         code="project.versions_differ")
    return ProjectRegistration(project=writes["experts"].project,
                               outcomes={service: write.outcome for service, write in writes.items()})


async def reconcile(upstreams: Upstreams, identity: Identity) -> Reconciliation:
    views: dict[str, list[ProjectView]] = await _from_each(upstreams, identity, lambda client: client.projects())
    digests = {service: {view.code: view.digest for view in found} for service, found in views.items()}
    codes = sorted(set().union(*(by_code.keys() for by_code in digests.values())))
    per_code = {code: {service: digests[service].get(code) for service in SERVICE_NAMES} for code in codes}
    differences = [ProjectDivergence(code=code, digests=found) for code, found in per_code.items()
                   if len(set(found.values())) != 1]
    return Reconciliation(projects_checked=len(codes), consistent=not differences, differences=differences)


async def read_projects(upstreams: Upstreams, identity: Identity, *, page: int, page_size: int,
                        query: str | None) -> ProjectPage:
    """One page of the projects ``identity`` reads. Served by the vendors service alone (both services
    hold the same references; ``reconcile`` reports any divergence), which filters them to the caller's
    unit for unit roles, as it does for every read of a project."""
    views = await VendorsClient(upstreams, identity).projects(query)
    start = (page - 1) * page_size
    return ProjectPage(items=views[start:start + page_size], total=len(views), page=page, page_size=page_size)


async def read_project(upstreams: Upstreams, identity: Identity, code: str) -> ProjectView:
    return await VendorsClient(upstreams, identity).project(code)
