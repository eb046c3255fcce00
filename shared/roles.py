"""The roles a caller can act in; the same names travel in the identity assertion."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    BUREAU_ADMIN = "bureau_admin"  # 大数据局管理员
    ORGANISER = "organiser"  # 评审组织人
    SUPERVISOR = "supervisor"  # 监督人员
    PROCUREMENT_OFFICER = "procurement_officer"  # 采购经办人
    RATER = "rater"
    RATING_REVIEWER = "rating_reviewer"  # 评价复核人
    VENDOR = "vendor"
    EXPERT = "expert"
    AUDITOR = "auditor"  # 审计局
    SERVICE = "service"  # the project lifecycle system


ALL_ROLES: frozenset[str] = frozenset(role.value for role in Role)
