"""The auditor's console pages: the merged audit log with its filters, chain verification (run by the
page's script against ``GET /api/v1/audit/verification``) and the draw statistics.

Reads are rendered on the server with the signed-in user's identity, through the same code as
``GET /api/v1/audit`` and the gateway's upstream call to ``GET /api/v1/draw-statistics``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, get_args

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Template

from services.gateway.audit.logs import audit_page
from services.gateway.composite.clients import ExpertsClient
from services.gateway.console.i18n.audit_messages import OBJECT_TYPES, WORDS, action_name, detail_rows
from services.gateway.console.i18n.messages import ROLE_NAMES, language
from services.gateway.console.i18n.panel_messages import PURPOSES
from services.gateway.console.i18n.problem_messages import problem_text
from services.gateway.console.pages.home import _session_token, page, page_number
from services.gateway.identity.api import person_name, subject_names, subject_of
from shared.audit.store import AuditFilter, AuditSort
from shared.clock import BEIJING
from shared.errors import NotPermitted, Problem
from shared.identity import Identity
from shared.permissions import ADMIN_AND_AUDITOR

PAGE_SIZE = 50
STATS_NAMED = 50  # how many of the statistics' experts are named (one pool read each)
SERVICES = ("gateway", "experts", "vendors")
FILTERS = ("service", "object_type", "object_id", "draw", "actor", "since", "until")

AUDIT_TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "nav": "审计日志", "title": "审计日志", "filters": "筛选", "service": "服务", "all": "全部",
        "object_type": "对象类型", "object_id": "对象标识", "actor": "操作人", "actor_hint": "姓名或用户名",
        "since": "起始时间",
        "until": "截止时间", "apply": "筛选", "clear_filters": "清除", "recorded_at": "时间（北京）", "seq": "序号",
        "action": "操作", "object": "对象", "details": "详情", "total": "共 {total} 条，第 {page}/{pages} 页",
        "previous": "上一页", "next": "下一页", "none": "没有符合条件的记录。", "error": "读取失败：",
        "verify_title": "链完整性验证", "verify": "验证", "verifying": "正在验证各服务的审计链，请稍候……",
        "verify_intro": "逐条检查三个服务（网关、专家、供应商）的哈希链及其签名检查点。",
        "ok": "完好", "broken": "异常", "entries": "条目数", "head_seq": "链头序号", "head_hash": "链头哈希",
        "checkpoints": "已核检查点", "problem": "问题", "first_bad_seq": "首个异常序号",
        "verify_failed": "验证请求失败：", "result": "结果",
        "stats_title": "抽取统计", "show": "查看", "committed": "已提交抽取", "revealed": "已揭示",
        "cancelled": "已取消", "supplementary": "补抽", "spot_checks": "抽查", "period": "统计区间：{since} 至 {until}",
        "expert_code": "专家", "draws": "抽中次数", "seats": "席位数", "accepted": "接受", "declined": "拒绝",
        "last_drawn_at": "最近抽中", "no_experts": "区间内没有专家被抽中。", "stats_unavailable": "统计暂不可用：",
        "service_names": {"gateway": "网关", "experts": "专家", "vendors": "供应商"},
        "print": "打印",
        "cancels_title": "取消情况", "before_reveal": "揭示前取消", "after_reveal": "揭示后取消",
        "cancelled_by": "操作人",
        "replacements_title": "揭示后取消又重新申请的评审组", "project_code": "项目编号", "purpose": "事项",
        "replacement_draw": "重新抽取", "replaced_draw": "被取消的抽取", "cancel_reason": "取消原因",
    },
    "en": {
        "nav": "Audit log", "title": "Audit log", "filters": "Filters", "service": "Service", "all": "All",
        "object_type": "Object type", "object_id": "Object ID", "actor": "Actor",
        "actor_hint": "Name or user name", "since": "From",
        "until": "Until", "apply": "Filter", "clear_filters": "Clear", "recorded_at": "Time (Beijing)", "seq": "Seq",
        "action": "Action", "object": "Object", "details": "Details", "total": "{total} entries, page {page}/{pages}",
        "previous": "Previous", "next": "Next", "none": "No entries match.", "error": "Could not read: ",
        "verify_title": "Chain verification", "verify": "Verify", "verifying": "Verifying every service's chain…",
        "verify_intro": ("Checks the hash chains of the three services (gateway, experts, vendors) "
                         "and their signed checkpoints."),
        "ok": "Intact", "broken": "Broken", "entries": "Entries", "head_seq": "Head seq", "head_hash": "Head hash",
        "checkpoints": "Checkpoints checked", "problem": "Problem", "first_bad_seq": "First bad seq",
        "verify_failed": "Verification failed: ", "result": "Result",
        "stats_title": "Draw statistics", "show": "Show", "committed": "Committed", "revealed": "Revealed",
        "cancelled": "Cancelled", "supplementary": "Supplementary", "spot_checks": "Spot checks",
        "period": "Period: {since} to {until}",
        "expert_code": "Expert", "draws": "Draws", "seats": "Seats", "accepted": "Accepted", "declined": "Declined",
        "last_drawn_at": "Last drawn", "no_experts": "No expert was drawn in the period.",
        "stats_unavailable": "Statistics unavailable: ",
        "service_names": {"gateway": "Gateway", "experts": "Experts", "vendors": "Vendors"},
        "print": "Print",
        "cancels_title": "Cancels", "before_reveal": "Before the reveal", "after_reveal": "After the reveal",
        "cancelled_by": "By", "replacements_title": "Panels asked again after one was cancelled after its reveal",
        "project_code": "Project", "purpose": "Purpose", "replacement_draw": "New draw",
        "replaced_draw": "Cancelled draw", "cancel_reason": "Reason for the cancel",
    },
}


def _instant(text: str | None, *, end: bool = False) -> dt.datetime | None:
    """A ``datetime-local`` or date value read as Beijing time."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=BEIJING) if moment.tzinfo is None else moment


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _beijing(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _require_auditor(identity: Identity) -> None:
    if not identity.has_any(ADMIN_AND_AUDITOR):
        raise NotPermitted("The audit pages are for auditors and bureau admins.", code="console.audit_only")


@get("/audit", include_in_schema=False)
async def audit_log_page(request: Request, state: State) -> Template:
    identity: Identity = request.user
    _require_auditor(identity)
    lang = language(request)
    text = AUDIT_TEXT[lang]
    query = {name: str(request.query_params.get(name, "") or "").strip() for name in FILTERS}
    number = page_number(request, last=None)  # no bound here: an audit log runs to many pages
    service = query["service"] if query["service"] in SERVICES else None
    object_type, object_id, error = query["object_type"] or None, query["object_id"] or None, None
    if query["draw"]:  # a draw found by its number: the entries of that draw
        try:
            object_type, object_id = "draw", str(uuid.UUID(query["draw"]))
        except ValueError:
            error = WORDS[lang]["bad_draw_number"]
    # Who acted, as typed: a name (林管理员), a user name or a subject.
    actor = await subject_of(state.database, query["actor"]) if query["actor"] else None
    sort = str(request.query_params.get("sort", "") or "-recorded_at")
    sort = sort if sort in get_args(AuditSort) else "-recorded_at"  # a header's link, or newest first
    criteria = AuditFilter(object_type=object_type, object_id=object_id, actor=actor,
                           since=_instant(query["since"]), until=_instant(query["until"], end=True), sort=sort)
    entries: list[dict[str, Any]] = []
    total = 0
    try:
        result = await audit_page(state.database, state.audit, state.upstreams, identity, service, criteria,
                                  number, PAGE_SIZE) if error is None else None
        total = result.total if result is not None else 0
        items = result.items if result is not None else []
        names = await subject_names(state.database, {item.actor for item in items})
        entries = [{"service": item.service, "seq": item.seq, "recorded_at": _beijing(item.recorded_at),
                    "actor": item.actor, "actor_name": _actor_name(lang, item.actor, names),
                    "actor_roles": "、".join(ROLE_NAMES[lang].get(role, role) for role in item.actor_roles),
                    "action": item.action, "action_name": action_name(lang, item.action),
                    "object_type": item.object_type,
                    "object_type_name": OBJECT_TYPES[lang].get(item.object_type),
                    "object_id": item.object_id, "details": detail_rows(lang, item.details)}
                   for item in items]
    except Problem as problem:
        error = problem_text(lang, problem.code, problem.params)
    pages = max(1, -(-total // PAGE_SIZE))
    base = {k: v for k, v in query.items() if v} | ({} if sort == "-recorded_at" else {"sort": sort})
    stats, stats_error = await _statistics(request, state, identity)
    return page(request, "console/audit.html", user=identity, session_token=_session_token(request),
                a=text, words=WORDS[lang], query=query, services=SERVICES, entries=entries, total=total,
                page_number=number, pages=pages, error=error, filter_query=base, stats=stats, sort=sort,
                stats_error=stats_error, object_types=OBJECT_TYPES[lang],
                stats_since=request.query_params.get("stats_since", ""),
                stats_until=request.query_params.get("stats_until", ""), purposes=PURPOSES[lang])


def _actor_name(lang: str, subject: str, names: dict[str, str]) -> str:
    """Who acted, by name: a user's display name, an API key's name, a service for its own entries."""
    if subject in names:
        return names[subject]
    if subject.startswith("system:"):
        service = subject.removeprefix("system:")
        return WORDS[lang]["system"].format(service=AUDIT_TEXT[lang]["service_names"].get(service, service))
    return subject


async def _statistics(request: Request, state: State, identity: Identity) -> tuple[dict[str, Any] | None, str | None]:
    params = {name: value.isoformat() for name, value in (
        ("since", _date(request.query_params.get("stats_since"))),
        ("until", _date(request.query_params.get("stats_until")))) if value is not None}
    try:
        stats = await ExpertsClient(state.upstreams, identity).read("/draw-statistics", params)
    except Problem as problem:
        return None, problem_text(language(request), problem.code, problem.params)
    for counts in stats.get("cancels_by", []):
        counts["name"] = await person_name(state.database, counts["subject"])
    client = ExpertsClient(state.upstreams, identity)
    listed = stats.get("experts", [])[:STATS_NAMED]
    found = await asyncio.gather(*(_expert_name(client, expert["expert_code"]) for expert in listed))
    for expert, name in zip(listed, found, strict=True):
        expert["name"] = name
    for expert in stats.get("experts", []):
        last = expert.get("last_drawn_at")
        expert["last_drawn_at"] = _beijing(dt.datetime.fromisoformat(last.replace("Z", "+00:00"))) if last else ""
    return stats, None


async def _expert_name(client: ExpertsClient, code: str) -> str:
    """An expert's name from the pool list (no personal data is read), or nothing when it cannot say."""
    try:
        page_found = await client.read("/experts", {"q": code, "page_size": 5})
    except Problem:
        return ""
    return next((item["name"] for item in page_found.get("items", []) if item.get("code") == code), "")


AUDIT_PAGES = [audit_log_page]
