"""The rules conflict checks cite, as stable codes with their Chinese text and an English gloss.

``RULE_VERSION`` names this set of rules and how they are applied; every stored check carries it,
so a check read back years later says which reading produced it.
"""

from __future__ import annotations

from typing import Literal

from services.vendors.schemas import RuleCitation
from shared.projects import EngagementRole

RULE_VERSION = "2026.1"

# Art. 29 / Art. 18(1): roles whose holder may not take part in the project's other procurement.
SERVICE_ROLES = frozenset({EngagementRole.OVERALL_DESIGN, EngagementRole.SPECIFICATION,
                           EngagementRole.PROJECT_MANAGEMENT, EngagementRole.SUPERVISION,
                           EngagementRole.TESTING})

COUNTY_ART_29 = RuleCitation(
    rule="PY-2021-29",
    text="《平阳县政府投资信息化项目管理办法》第二十九条：为项目提供总体设计、规范编制或者项目管理、监理、检测等服务的"
         "供应商，不得再参加该项目的其他采购活动（单一来源采购的除外）。",
    text_en="Pingyang County measures on government-invested informatization projects, Art. 29: a vendor that "
            "provided overall design, specification, project management, supervision or testing services for a "
            "project may not take part in the project's other procurement (single-source procurement excepted).")
NATIONAL_18_1 = RuleCitation(
    rule="GPL-IR-18-1",
    text="《中华人民共和国政府采购法实施条例》第十八条第一款：除单一来源采购项目外，为采购项目提供整体设计、规范编制或者"
         "项目管理、监理、检测等服务的供应商，不得再参加该采购项目的其他采购活动。",
    text_en="Implementing Regulations of the Government Procurement Law, Art. 18(1): except in single-source "
            "procurement, a supplier that provided overall design, specification drafting, project management, "
            "supervision, testing or similar services for a procurement project may not take part in that "
            "project's other procurement activities.")
NATIONAL_18_2 = RuleCitation(
    rule="GPL-IR-18-2",
    text="《中华人民共和国政府采购法实施条例》第十八条第二款：单位负责人为同一人或者存在直接控股、管理关系的不同供应商，"
         "不得参加同一合同项下的政府采购活动。",
    text_en="Implementing Regulations of the Government Procurement Law, Art. 18(2): different suppliers whose "
            "heads are the same person, or between which there is a direct controlling or management "
            "relationship, may not take part in procurement under the same contract.")
EXCLUSION_RULE = RuleCitation(
    rule="GPL-77",
    text="《中华人民共和国政府采购法》第七十七条：供应商有该条所列情形之一的，列入不良行为记录名单，在一至三年内禁止"
         "参加政府采购活动。",
    text_en="Government Procurement Law, Art. 77: a supplier found in one of the listed situations is entered in "
            "the record of bad conduct and barred from government procurement for one to three years.")

Policy = Literal["combinable", "strict"]

POLICY_TEXT: dict[str, str] = {
    "combinable": "服务类角色可相互兼任（财政部办公厅财办库〔2015〕295号）：总体设计、规范编制、项目管理、监理、检测"
                  "供应商可参加本项目其他服务类标段。 Service roles may be combined (MoF 财办库〔2015〕295号): a "
                  "design, specification, project-management, supervision or testing vendor may bid for the "
                  "project's other service lots.",
    "strict": "从严适用：服务类角色之间亦不得兼任。 Strict county policy: the service roles may not be combined "
              "with each other either.",
}


def policy_name(strict_service_roles: bool) -> Policy:
    return "strict" if strict_service_roles else "combinable"


def service_role_bars_lot(engagement_role: str, engagement_lot: str | None, lot_code: str, lot_role: str,
                          lot_is_single_source: bool, policy: Policy) -> bool:
    """Whether an engagement in ``engagement_role`` keeps its vendor out of lot ``lot_code``."""
    if engagement_role not in SERVICE_ROLES or lot_is_single_source or engagement_lot == lot_code:
        return False
    return policy == "strict" or lot_role not in SERVICE_ROLES
