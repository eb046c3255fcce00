"""Project references as the lifecycle system registers them at the gateway and experts and vendors
both keep them: a project with its lots, what each lot procures (one of the engagement roles) and how
(the procurement method), and the answers to a registration and a listing."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class EngagementRole(StrEnum):
    OVERALL_DESIGN = "overall_design"  # 总体设计
    SPECIFICATION = "specification"  # 需求/招标文件编制
    PROJECT_MANAGEMENT = "project_management"  # 项目管理
    SUPERVISION = "supervision"  # 监理
    TESTING = "testing"  # 检测
    CONSTRUCTION = "construction"  # 建设/集成
    SOFTWARE = "software"  # 软件开发
    OPERATIONS = "operations"  # 运维
    CONSULTING = "consulting"  # 咨询


class ProcurementMethod(StrEnum):
    PUBLIC_TENDER = "public_tender"  # 公开招标
    INVITED_TENDER = "invited_tender"  # 邀请招标
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"  # 竞争性谈判
    COMPETITIVE_CONSULTATION = "competitive_consultation"  # 竞争性磋商
    REQUEST_FOR_QUOTATION = "request_for_quotation"  # 询价
    SINGLE_SOURCE = "single_source"  # 单一来源
    FRAMEWORK_AGREEMENT = "framework_agreement"  # 框架协议
    OTHER = "other"


Code = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN, description="project or lot code")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class LotReference(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    code: Code
    name: Name
    procurement_method: ProcurementMethod
    role: EngagementRole


class ProjectReference(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What the lifecycle system registers; the project code travels in the URL."""

    name: Name
    kind: Literal["construction", "operations"]
    owner_unit: Annotated[str, msgspec.Meta(description="owner unit's USCC (18 characters)")]
    investment_fen: Annotated[int, msgspec.Meta(ge=0, le=10**15)]
    planned_completion: dt.date
    lots: list[LotReference] = []


class ProjectView(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str
    owner_unit: str
    investment_fen: int
    planned_completion: dt.date
    lots: list[LotReference]
    is_major: bool
    digest: str
    updated_at: dt.datetime


class ProjectWrite(msgspec.Struct, frozen=True):
    """A service's answer to a PUT: the stored view and what the write did."""

    project: ProjectView
    outcome: Literal["created", "updated", "unchanged"]


class ProjectRegistration(msgspec.Struct, frozen=True):
    """The gateway's answer to ``PUT /api/v1/projects/{code}``: what each service's write did."""

    project: ProjectView
    outcomes: dict[str, Literal["created", "updated", "unchanged"]]


class ProjectPage(msgspec.Struct, frozen=True):
    """The gateway's ``GET /api/v1/projects``: one page of the projects the caller reads, by code."""

    items: list[ProjectView]
    total: int
    page: int
    page_size: int
