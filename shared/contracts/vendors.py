"""The vendors service's answers the gateway relies on: who is involved in a project
(avoided in its panels), and the bidder conflict check (Art. 29) with its verdicts and the rules they cite."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Verdict = Literal["allowed", "barred", "flagged"]
# Whether the service roles (design, specification, project management, supervision, testing) may be
# combined with each other on one project (财办库〔2015〕295号), or the county's stricter reading.
Policy = Literal["combinable", "strict"]


class InvolvedVendor(msgspec.Struct, frozen=True):
    """A vendor engaged on a project or bidding for one of its lots: experts working for it are avoided."""

    uscc: str
    name: str | None
    reasons: list[str]


class ConflictCheckRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    bidders: Annotated[list[str], msgspec.Meta(min_length=1, max_length=500, description="bidders' USCCs")]


class RuleCitation(msgspec.Struct, frozen=True):
    """A rule of the register (services/vendors/domain/rules.py) as a check cites it."""

    rule: str  # the register's code
    document: str  # the document's full title
    number: str | None  # its number (文号)
    article: str | None  # 第二十九条
    paragraph: str | None  # 第二款; none: the whole article
    text: str | None  # verbatim; none: not yet entered in the register (print the citation alone)


class VerdictReason(msgspec.Struct, frozen=True, omit_defaults=True):
    code: str  # the console says it in the reader's language from the code and its params
    params: dict[str, Any] = {}
    rules: list[RuleCitation] = []  # empty for advice that rests on no rule (e.g. not in the registry)
    related_uscc: str | None = None
    engagement_id: int | None = None
    exclusion_id: int | None = None


class BidderVerdict(msgspec.Struct, frozen=True):
    uscc: str
    name: str | None
    registered: bool
    verdict: Verdict
    reasons: list[VerdictReason]


class ConflictCheckView(msgspec.Struct, frozen=True):
    id: str
    project_code: str
    lot_code: str
    lot_name: str
    lot_procurement_method: str
    lot_role: str
    policy: Policy
    policy_text: str
    rule_version: str
    checked_at: dt.datetime
    checked_by: str
    checked_by_unit: str
    bidders: list[str]
    verdicts: list[BidderVerdict]
    policy_rules: list[RuleCitation] = []  # what the policy rests on (the combinable one: 财办库〔2015〕295号)
