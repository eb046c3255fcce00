"""Project references: one PUT at the gateway, fanned out to experts and vendors.

Both services store the reference idempotently, so a PUT that failed half-way converges when the
lifecycle system retries it; ``reconcile`` compares the two by digest.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import msgspec

from services.gateway.domain.upstream import SERVICE_NAMES, Upstreams, passed_on_problem
from services.gateway.schemas import ProjectDivergence, Reconciliation
from shared.errors import BadGateway
from shared.identity import Identity
from shared.projects import ProjectPage, ProjectReference, ProjectRegistration, ProjectView, ProjectWrite


async def register_project(upstreams: Upstreams, identity: Identity, code: str,
                           reference: ProjectReference) -> ProjectRegistration:
    body = msgspec.json.encode(reference)
    responses = await asyncio.gather(*(
        upstreams.request(service, "PUT", f"/api/v1/projects/{code}", identity=identity, content=body,
                          headers={"content-type": "application/json"})
        for service in SERVICE_NAMES))
    writes: dict[str, ProjectWrite] = {}
    for service, response in zip(SERVICE_NAMES, responses, strict=True):
        if response.status_code >= 400:
            raise passed_on_problem(response)
        writes[service] = msgspec.json.decode(response.content, type=ProjectWrite)
    digests = {write.project.digest for write in writes.values()}
    if len(digests) != 1:
        raise BadGateway("The services stored different versions of the project; retry the PUT.",
                         code="project.versions_differ")
    return ProjectRegistration(project=writes["experts"].project,
                               outcomes={service: write.outcome for service, write in writes.items()})


async def reconcile(upstreams: Upstreams, identity: Identity) -> Reconciliation:
    responses = await asyncio.gather(*(
        upstreams.request(service, "GET", "/api/v1/projects/", identity=identity)
        for service in SERVICE_NAMES))
    digests: dict[str, dict[str, str]] = {}
    for service, response in zip(SERVICE_NAMES, responses, strict=True):
        if response.status_code >= 400:
            raise passed_on_problem(response)
        views = msgspec.json.decode(response.content, type=list[ProjectView])
        digests[service] = {view.code: view.digest for view in views}
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
    params = {"q": query} if query else None
    response = await upstreams.request("vendors", "GET", "/api/v1/projects/", identity=identity, params=params)
    if response.status_code >= 400:
        raise passed_on_problem(response)
    views = msgspec.json.decode(response.content, type=list[ProjectView])
    start = (page - 1) * page_size
    return ProjectPage(items=views[start:start + page_size], total=len(views), page=page, page_size=page_size)


async def read_project(upstreams: Upstreams, identity: Identity, code: str) -> ProjectView:
    response = await upstreams.request("vendors", "GET", f"/api/v1/projects/{quote(code, safe='')}",
                                       identity=identity)
    if response.status_code >= 400:
        raise passed_on_problem(response)
    return msgspec.json.decode(response.content, type=ProjectView)
