"""The procurement officer's conflict-check pages: the form for one lot (its script posts the bidders
to ``POST /api/v1/projects/{code}/lots/{lot}/conflict-checks`` and shows field errors next to the
field) and the printable result, read on the server with the signed-in user's identity."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template

from services.gateway.domain.messages import language
from services.gateway.domain.upstream import passed_on_problem
from services.gateway.routes.console import _session_token, page
from shared.errors import NotFound, NotPermitted
from shared.identity import Identity
from shared.roles import Role

CHECKERS = {Role.PROCUREMENT_OFFICER.value, Role.BUREAU_ADMIN.value, Role.AUDITOR.value}

PROCUREMENT_TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "check_title": "投标人冲突检查", "project": "项目", "lot": "标段", "bidders": "投标人统一社会信用代码",
        "bidders_hint": "每行一个。", "check": "检查", "checking": "正在检查……", "failed": "检查失败：",
        "result_title": "冲突检查结果", "checked_at": "检查时间", "checked_by": "检查人", "policy": "适用规则",
        "rule_version": "规则版本", "bidder": "投标人", "verdict": "结论", "reasons": "理由及依据",
        "verdicts": {"allowed": "允许", "barred": "禁止", "flagged": "关注"}, "not_registered": "（未登记）",
        "print": "打印", "check_again": "再次检查", "no_reasons": "无",
    },
    "en": {
        "check_title": "Bidder conflict check", "project": "Project", "lot": "Lot", "bidders": "Bidders' USCCs",
        "bidders_hint": "One per line.", "check": "Check", "checking": "Checking…", "failed": "Check failed: ",
        "result_title": "Conflict check result", "checked_at": "Checked at", "checked_by": "Checked by",
        "policy": "Policy", "rule_version": "Rule version", "bidder": "Bidder", "verdict": "Verdict",
        "reasons": "Reasons and rules",
        "verdicts": {"allowed": "Allowed", "barred": "Barred", "flagged": "Flagged"},
        "not_registered": " (not registered)", "print": "Print", "check_again": "Check again", "no_reasons": "None",
    },
}


def _require_checker(identity: Identity) -> None:
    if not CHECKERS & set(identity.roles):
        raise NotPermitted("Conflict checks are for procurement officers.")


@get("/procurement/projects/{code:str}/lots/{lot:str}/conflict-check", include_in_schema=False)
async def conflict_check_form(request: Request, code: FromPath[str], lot: FromPath[str]) -> Template:
    identity: Identity = request.user
    _require_checker(identity)
    return page(request, "console/procurement_check.html", user=identity, session_token=_session_token(request),
                p=PROCUREMENT_TEXT[language(request)], code=code, lot=lot)


@get("/procurement/conflict-checks/{check_id:str}", include_in_schema=False)
async def conflict_check_result(request: Request, state: State, check_id: FromPath[str]) -> Template:
    identity: Identity = request.user
    _require_checker(identity)
    answer = await state.upstreams.request("vendors", "GET", f"/api/v1/conflict-checks/{check_id}",
                                           identity=identity)
    if answer.status_code == 404:
        raise NotFound(f"No conflict check {check_id}.")
    if answer.status_code == 403:
        raise NotPermitted("This conflict check is not yours to read.")
    if answer.status_code >= 400:
        raise passed_on_problem(answer)
    return page(request, "console/procurement_result.html", user=identity, session_token=_session_token(request),
                p=PROCUREMENT_TEXT[language(request)], check=answer.json(), lang=language(request))


PROCUREMENT_PAGES = [conflict_check_form, conflict_check_result]
