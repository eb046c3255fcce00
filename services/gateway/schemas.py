"""What the gateway's own routes take and give."""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.projects import ProjectView


class ProjectRegistration(msgspec.Struct, frozen=True):
    project: ProjectView
    outcomes: dict[str, Literal["created", "updated", "unchanged"]]


class ProjectDivergence(msgspec.Struct, frozen=True):
    code: str
    digests: dict[str, str | None]  # per service; None where the service lacks the project


class Reconciliation(msgspec.Struct, frozen=True):
    projects_checked: int
    consistent: bool
    differences: list[ProjectDivergence]


class Readiness(msgspec.Struct, frozen=True):
    status: Literal["ready", "degraded"]
    checks: dict[str, bool]
