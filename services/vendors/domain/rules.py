"""The register of the rules the vendors service applies: each with a stable code, the document's full
title and number, the article and paragraph, the text in the law's own words, and where the system
applies it. docs/rules.md prints the same register; tests/vendors/test_rules_register.py holds every
citation the system makes (stored checks, barred lists, the console's words, docs) to it.

A text not yet entered verbatim is ``None``: the citation is then printed alone, never a paraphrase
in its place. A number the county chose for itself (such as how long a training counts) is the
bureau's setting, not an article, and is not in this register.

``RULE_VERSION`` names this set of rules and how they are applied; every stored check carries it,
so a check read back years later says which reading produced it. 2026.1 cited the county document
by a wrong title and the national paragraphs the wrong way round (see :func:`upgrade_stored_check`);
2026.2 corrects the citations and reads Art. 29 both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from shared.contracts.projects import EngagementRole
from shared.contracts.vendors import RuleCitation

RULE_VERSION = "2026.2"

# Art. 29 / Art. 18(2): roles whose holder may not take part in the project's other procurement.
SERVICE_ROLES = frozenset({EngagementRole.OVERALL_DESIGN, EngagementRole.SPECIFICATION,
                           EngagementRole.PROJECT_MANAGEMENT, EngagementRole.SUPERVISION,
                           EngagementRole.TESTING})

COUNTY_DOCUMENT = "平阳县县级党政机关信息化项目建设管理办法"
COUNTY_NUMBER = "平政办〔2021〕59号"
REGULATIONS = "中华人民共和国政府采购法实施条例"
REGULATIONS_NUMBER = "国务院令第658号"


def citation_of(document: str, number: str | None, article: str | None, paragraph: str | None) -> str:
    """《title》（number）第N条第M款; a title quoting another title marks the inner one 〈〉."""
    title = document.replace("《", "〈").replace("》", "〉")
    return f"《{title}》" + (f"（{number}）" if number else "") + (article or "") + (paragraph or "")


@dataclass(frozen=True)
class Rule:
    code: str
    document: str  # the full title (printed in 《》)
    number: str | None  # the document number (文号), where it has one
    article: str | None  # 第二十九条
    paragraph: str | None  # 第二款; none: the whole article
    text: str | None  # verbatim; none: not yet entered (the citation is printed alone)
    applied_in: str  # where the system applies it

    @property
    def citation(self) -> str:
        """《title》（number）第N条第M款: how a printout names the rule."""
        return citation_of(self.document, self.number, self.article, self.paragraph)

    def cited(self) -> RuleCitation:
        return RuleCitation(rule=self.code, document=self.document, number=self.number, article=self.article,
                            paragraph=self.paragraph, text=self.text)


COUNTY_ART_29 = Rule(
    code="PY-2021-29", document=COUNTY_DOCUMENT, number=COUNTY_NUMBER, article="第二十九条", paragraph=None,
    text="除单一来源采购项目外，县有关单位在项目采购时，应明确为项目提供整体设计、监理、检测等服务的供应商，"
         "不得再参加该项目的其他采购活动。",
    applied_in="conflict checks (services/vendors/domain/conflicts.py judge_bidders: reasons "
               "service_role_elsewhere, other_procurement, single_source_excepted) and the project's barred list")
NATIONAL_18_1 = Rule(
    code="GPL-IR-18-1", document=REGULATIONS, number=REGULATIONS_NUMBER, article="第十八条", paragraph="第一款",
    text="单位负责人为同一人或者存在直接控股、管理关系的不同供应商，不得参加同一合同项下的政府采购活动。",
    applied_in="conflict checks: reason related_bidder (same legal representative, or a recorded controlling "
               "or management relation between two bidders of one lot); the vendor registry's related parties")
NATIONAL_18_2 = Rule(
    code="GPL-IR-18-2", document=REGULATIONS, number=REGULATIONS_NUMBER, article="第十八条", paragraph="第二款",
    text="除单一来源采购项目外，为采购项目提供整体设计、规范编制或者项目管理、监理、检测等服务的供应商，"
         "不得再参加该采购项目的其他采购活动。",
    applied_in="conflict checks and the barred list, beside PY-2021-29 (it adds specification drafting and "
               "project management to the county's list)")
MOF_2015_295 = Rule(
    code="MOF-2015-295", document="关于《中华人民共和国政府采购法实施条例》第十八条第二款法律适用的函",
    number="财办库〔2015〕295号", article=None, paragraph=None, text=None,
    applied_in="the combinable policy (the default, SORTES_VENDORS_STRICT_SERVICE_ROLES=false): the service "
               "roles may be combined with each other; cited as the policy of every check made under it")
GPL_77 = Rule(
    code="GPL-77", document="中华人民共和国政府采购法", number=None, article="第七十七条", paragraph=None,
    text=None,
    applied_in="conflict checks and the barred list: reason excluded (a debarment in the exclusion register "
               "in force on the day)")
COUNTY_ART_28 = Rule(
    code="PY-2021-28", document=COUNTY_DOCUMENT, number=COUNTY_NUMBER, article="第二十八条", paragraph=None,
    text=None, applied_in="vendor ratings (services/vendors/domain/ratings.py)")
COUNTY_ART_30 = Rule(
    code="PY-2021-30", document=COUNTY_DOCUMENT, number=COUNTY_NUMBER, article="第三十条", paragraph=None,
    text=None, applied_in="expert training (the experts service); how long a training counts is the bureau's "
                          "setting (SORTES_EXPERTS_TRAINING_VALID_MONTHS, 12 months), not this article")

NATIONAL_43 = Rule(
    code="GPL-IR-43", document=REGULATIONS, number=REGULATIONS_NUMBER, article="第四十三条", paragraph=None,
    text=None, applied_in="the experts service's public bulletin of draws (SORTES_EXPERTS_BULLETIN_NAMES): "
                          "national procurement result notices list the evaluation experts, the bureau's setting "
                          "decides whether the bulletin names the members too")

COUNTY_ART_25 = Rule(
    code="PY-2021-25", document=COUNTY_DOCUMENT, number=COUNTY_NUMBER, article="第二十五条", paragraph=None,
    text=None, applied_in="the annual spot check of submitted self-evaluations (the experts service's register "
                          "of self-evaluations and POST /api/v1/spot-checks: ceil(10%) of each kind)")
CYBERSECURITY_21 = Rule(
    code="CSL-21", document="中华人民共和国网络安全法", number=None, article="第二十一条", paragraph=None,
    text=None, applied_in="log retention in operation (docs/operations.md quotes item (三) of the 2016 text: "
                          "network logs kept at least six months); no code applies it")

REGISTER: tuple[Rule, ...] = (COUNTY_ART_29, NATIONAL_18_1, NATIONAL_18_2, MOF_2015_295, GPL_77, COUNTY_ART_28,
                              COUNTY_ART_30, COUNTY_ART_25, NATIONAL_43, CYBERSECURITY_21)
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in REGISTER}

# What each verdict reason rests on.
ART_29 = (COUNTY_ART_29, NATIONAL_18_2)
RELATED = (NATIONAL_18_1,)
EXCLUSION = (GPL_77,)

Policy = Literal["combinable", "strict"]

# One language per text: the console renders the policy from its code in the reader's language.
POLICY_TEXT: dict[str, str] = {
    "combinable": "服务类角色可相互兼任（财办库〔2015〕295号）：为本项目提供整体设计、规范编制、项目管理、"
                  "监理、检测服务的供应商可参加本项目其他服务类标段。",
    "strict": "从严适用：为本项目提供整体设计、规范编制、项目管理、监理、检测服务的供应商之间亦不得兼任。",
}
POLICY_RULES: dict[str, tuple[Rule, ...]] = {"combinable": (MOF_2015_295,), "strict": ()}


def policy_name(strict_service_roles: bool) -> Policy:
    return "strict" if strict_service_roles else "combinable"


def service_role_bars_lot(engagement_role: str, engagement_lot: str | None, lot_code: str, lot_role: str,
                          lot_is_single_source: bool, policy: Policy) -> bool:
    """Whether an engagement in ``engagement_role`` keeps its vendor out of lot ``lot_code``."""
    if engagement_role not in SERVICE_ROLES or lot_is_single_source or engagement_lot == lot_code:
        return False
    return policy == "strict" or lot_role not in SERVICE_ROLES


def service_role_reaches_lot(engagement_role: str, engagement_lot: str | None, lot_code: str, lot_role: str,
                             policy: Policy) -> bool:
    """Art. 29 as it would read if ``lot_code`` were not procured single-source."""
    return service_role_bars_lot(engagement_role, engagement_lot, lot_code, lot_role, False, policy)


def other_procurement_reaches_lot(taken_part_role: str, taken_part_lot: str | None, lot_code: str,
                                  lot_role: str) -> bool:
    """Art. 29 read the other way: having taken part (engaged, or bidding) in the project's procurement of
    ``taken_part_role`` elsewhere than ``lot_code``, a vendor that now bids for a service lot would oversee
    its own work. Single-source lots are excepted by the caller."""
    return (lot_role in SERVICE_ROLES and taken_part_role not in SERVICE_ROLES and taken_part_lot != lot_code)


# --- checks stored under 2026.1 -------------------------------------------------------------------

# 2026.1's codes by what they meant: its GPL-IR-18-1 carried the design rule (Art. 18(2)) and its
# GPL-IR-18-2 the same-head rule (Art. 18(1)).
_LEGACY_RULES = {"PY-2021-29": COUNTY_ART_29, "GPL-IR-18-1": NATIONAL_18_2, "GPL-IR-18-2": NATIONAL_18_1,
                 "GPL-77": GPL_77}
_LEGACY_ROLE = re.compile(r"\(holds an? (?P<role>\w+) engagement on this project\)$")
_LEGACY_LOT = re.compile(r"^已在本项目标段 (?P<lot>.+?)承担")
_LEGACY_EXCLUDED = re.compile(r"^(?P<body>.*) (?P<number>\S*)：(?P<starts>\d{4}-\d{2}-\d{2}) 至 "
                              r"(?P<ends>\d{4}-\d{2}-\d{2}|解除前) 禁止参加政府采购活动"
                              r"（(?P<scope>.*)） \(active exclusion\)$")
_LEGACY_RELATION = re.compile(r"^(?P<controlling>\S+) 对 (?P<controlled>\S+) 存在(?P<kind>直接控股|管理关系)"
                              r"（来源：(?P<source>.*)） \(\w+ relationship\)；")
_LEGACY_STATUS = re.compile(r"^供应商库状态为 (?P<status>\w+)$")
_LEGACY_GLOSS = re.compile(r" \([^()]*[A-Za-z][^()]*\)")
_RELATION_KINDS = {"直接控股": "controlling", "管理关系": "management"}


def _legacy_params(code: str, detail: str) -> dict[str, Any] | None:
    """The parameters a 2026.1 reason's sentence was made from; none if it cannot be read back."""
    if code == "service_role_elsewhere" and (role := _LEGACY_ROLE.search(detail)):
        lot = _LEGACY_LOT.match(detail)
        return {"role": role["role"], "lot_code": lot["lot"] if lot else None}
    if code == "excluded" and (found := _LEGACY_EXCLUDED.match(detail)):
        return {"issuing_body": found["body"], "decision_number": found["number"], "starts_on": found["starts"],
                "ends_on": None if found["ends"] == "解除前" else found["ends"], "scope": found["scope"]}
    if code == "related_bidder":
        if detail.startswith("法定代表人为同一人"):
            return {"basis": "same_legal_representative"}
        if found := _LEGACY_RELATION.match(detail):
            return {"basis": _RELATION_KINDS[found["kind"]], "controlling_uscc": found["controlling"],
                    "controlled_uscc": found["controlled"], "source": found["source"]}
    if code == "not_registered":
        return {}
    if code == "vendor_status" and (found := _LEGACY_STATUS.match(detail)):
        return {"status": found["status"]}
    return None


def upgrade_stored_check(answer: dict[str, Any]) -> dict[str, Any]:
    """A stored check as today's readers read it. The stored row is never rewritten (its audit entry's
    digest stays true); a 2026.1 check is read with its citations corrected by what each code meant
    and its mixed-language sentences turned back into the codes and parameters they were made from
    (a sentence that cannot be read back is kept whole as ``params.text``)."""
    if answer.get("rule_version") != "2026.1":
        return answer
    verdicts = []
    for verdict in answer["verdicts"]:
        reasons = []
        for reason in verdict["reasons"]:
            detail = reason.pop("detail", "")
            params = _legacy_params(reason["code"], detail)
            if params is None:  # kept whole but in one language: the English glosses in brackets dropped
                params = {"text": _LEGACY_GLOSS.sub("", detail)}
            reasons.append({**reason, "params": params,
                            "rules": [msgspec.to_builtins(_LEGACY_RULES[rule["rule"]].cited())
                                      for rule in reason.get("rules", []) if rule["rule"] in _LEGACY_RULES]})
        verdicts.append({**verdict, "reasons": reasons})
    policy = answer["policy"]
    return {**answer, "verdicts": verdicts, "policy_text": POLICY_TEXT[policy],
            "policy_rules": [msgspec.to_builtins(rule.cited()) for rule in POLICY_RULES[policy]]}

