"""Training sessions (Art. 30) and their attendance."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from services.experts.domain import training
from services.experts.schemas import (
    AttendanceInput,
    AttendanceResult,
    Page,
    TrainingAttendanceView,
    TrainingCreate,
    TrainingView,
)
from shared.db import MAX_PAGE, MAX_ROW_ID, Database
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR, TRAINING_READERS
from shared.roles import Role


class TrainingsController(Controller):
    path = "/api/v1/trainings"
    tags = ["training"]

    @get("/", guards=[requires_role(*TRAINING_READERS)])
    async def get_trainings(self, state: State, page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                            page_size: int = Parameter(default=50, ge=1, le=500)) -> Page[TrainingView]:
        database: Database = state.database
        async with database.reading() as session:
            return await training.list_trainings(session, page=page, page_size=page_size)

    @post("/", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def create_training(self, state: State, request: Request, data: JSONBody[TrainingCreate]) -> TrainingView:
        database: Database = state.database
        async with database.transaction() as session:
            return await training.create_training(session, state.audit, request.user, data)

    @get("/{training_id:int}/attendance", guards=[requires_role(*ADMIN_AND_AUDITOR)])
    async def get_attendance(self, state: State, training_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)]
                             ) -> TrainingAttendanceView:
        """Who attended the session and each one's result (pass or fail) and training validity."""
        database: Database = state.database
        async with database.reading() as session:
            return await training.training_attendance(session, training_id, state.rules.training_valid_months)

    @post("/{training_id:int}/attendance", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def record_attendance(self, state: State, request: Request,
                                training_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)],
                                data: JSONBody[AttendanceInput]) -> AttendanceResult:
        """Who attended and who passed; a pass renews the expert's training for the validity period."""
        database: Database = state.database
        async with database.transaction() as session:
            return await training.record_attendance(session, state.audit, request.user, training_id, data,
                                                    state.rules.training_valid_months)
