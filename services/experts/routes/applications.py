"""Applications to join the pool (入库申请) and experts' own change requests, and their review."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from services.experts.domain import applications
from services.experts.domain.statuses import ApplicationStatus
from services.experts.schemas import (
    ApplicationNumber,
    ApplicationReceipt,
    ApplicationStatusQuery,
    ApplicationStatusView,
    ApprovalInput,
    ChangeRequestInput,
    ChangeRequestNumber,
    ChangeRequestView,
    ExpertApplicationInput,
    ExpertApplicationView,
    Page,
    RejectionInput,
)
from shared.db import MAX_PAGE, Database
from shared.errors import NotPermitted
from shared.identity import requires_role
from shared.permissions import APPLICATION_RECOMMENDERS
from shared.roles import Role


class ApplicationsController(Controller):
    path = "/api/v1/expert-applications"
    tags = ["expert applications"]

    @post("/", guards=[requires_role(Role.SERVICE)], status_code=201)
    async def submit(self, state: State, request: Request,
                     data: JSONBody[ExpertApplicationInput]) -> ApplicationReceipt:
        """A person's own application, from the public page: the gateway forwards it as itself."""
        if request.user.subject != applications.PUBLIC_SUBJECT:
            raise NotPermitted("Only the gateway's public application page applies here; a unit recommends "
                               "through /api/v1/expert-recommendations.", code="application.public_only")
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.submit_application(session, state.audit, request.user, state.vault, data)

    @post("/status", guards=[requires_role(Role.SERVICE)], status_code=200)
    async def status(self, state: State, request: Request,
                     data: JSONBody[ApplicationStatusQuery]) -> ApplicationStatusView:
        """The applicant's status, by the number and the receipt code given at submission."""
        if request.user.subject != applications.PUBLIC_SUBJECT:
            raise NotPermitted("The status is read through the gateway's public application page.",
                               code="application.public_only")
        database: Database = state.database
        async with database.reading() as session:
            return await applications.application_status(session, data)

    @get("/", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def queue(self, state: State, status: ApplicationStatus | None = Parameter(default=None),
                    page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                    page_size: int = Parameter(default=50, ge=1, le=200)) -> Page[ExpertApplicationView]:
        database: Database = state.database
        async with database.reading() as session:
            return await applications.list_applications(session, state.vault, status=status, page=page,
                                                        page_size=page_size)

    @get("/{number:str}", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def one(self, state: State, number: FromPath[ApplicationNumber]) -> ExpertApplicationView:
        database: Database = state.database
        async with database.reading() as session:
            return await applications.application_view(session, state.vault, number)

    @post("/{number:str}/approve", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def approve(self, state: State, request: Request, number: FromPath[ApplicationNumber],
                      data: JSONBody[ApprovalInput]) -> ExpertApplicationView:
        """The applicant enters the pool with the next pool number, active, training pending."""
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.approve_application(session, state.audit, request.user, state.vault,
                                                          number, data)

    @post("/{number:str}/reject", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def reject(self, state: State, request: Request, number: FromPath[ApplicationNumber],
                     data: JSONBody[RejectionInput]) -> ExpertApplicationView:
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.reject_application(session, state.audit, request.user, state.vault,
                                                         number, data)


class RecommendationsController(Controller):
    path = "/api/v1/expert-recommendations"
    tags = ["expert applications"]

    @post("/", guards=[requires_role(*APPLICATION_RECOMMENDERS)], status_code=201)
    async def recommend(self, state: State, request: Request,
                        data: JSONBody[ExpertApplicationInput]) -> ApplicationReceipt:
        """A unit recommends a person; the application is the unit's to follow (GET)."""
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.submit_application(session, state.audit, request.user, state.vault, data)

    @get("/", guards=[requires_role(*APPLICATION_RECOMMENDERS)])
    async def own(self, state: State, request: Request, page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                  page_size: int = Parameter(default=50, ge=1, le=200)) -> Page[ExpertApplicationView]:
        """The applications the caller's unit recommended, with their status."""
        database: Database = state.database
        async with database.reading() as session:
            return await applications.list_applications(session, state.vault, status=None, unit=request.user.unit,
                                                        page=page, page_size=page_size)


class ChangeRequestsController(Controller):
    path = "/api/v1/expert-change-requests"
    tags = ["expert change requests"]

    @get("/", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def queue(self, state: State, status: ApplicationStatus | None = Parameter(default=None),
                    page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                    page_size: int = Parameter(default=50, ge=1, le=200)) -> Page[ChangeRequestView]:
        database: Database = state.database
        async with database.reading() as session:
            return await applications.list_change_requests(session, state.vault, status=status, page=page,
                                                           page_size=page_size)

    @post("/{number:str}/approve", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def approve(self, state: State, request: Request, number: FromPath[ChangeRequestNumber],
                      data: JSONBody[ApprovalInput]) -> ChangeRequestView:
        """Applied to the entry; a new employer keeps the old one among the former employers."""
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.approve_change_request(session, state.audit, request.user, state.vault,
                                                             number, data)

    @post("/{number:str}/reject", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def reject(self, state: State, request: Request, number: FromPath[ChangeRequestNumber],
                     data: JSONBody[RejectionInput]) -> ChangeRequestView:
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.reject_change_request(session, state.audit, request.user, state.vault,
                                                            number, data)


class OwnChangeRequestsController(Controller):
    path = "/api/v1/experts/me/change-requests"
    tags = ["expert change requests"]

    @post("/", guards=[requires_role(Role.EXPERT)], status_code=201)
    async def propose(self, state: State, request: Request, data: JSONBody[ChangeRequestInput]) -> ChangeRequestView:
        """The signed-in expert proposes changes to their contact, employer, title and fields."""
        database: Database = state.database
        async with database.transaction() as session:
            return await applications.propose_changes(session, state.audit, request.user, state.vault, data)

    @get("/", guards=[requires_role(Role.EXPERT)])
    async def own(self, state: State, request: Request) -> Page[ChangeRequestView]:
        database: Database = state.database
        async with database.reading() as session:
            return await applications.list_change_requests(session, state.vault, account=request.user.subject,
                                                           page_size=200)
