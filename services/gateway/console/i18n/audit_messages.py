"""The audit page's words for what the logs hold: each action by its code, each object type, and the
labels of the details an entry carries, in Chinese and English.

An action, object type or detail this catalogue does not know yet is shown by its code (set as a
code) under a plain heading, so a new kind of entry is readable at once and named here later.
"""

from __future__ import annotations

import re
from typing import Any

from services.gateway.console.i18n.panel_messages import PANEL_MESSAGES, PURPOSES, REASONS

ACTIONS: dict[str, dict[str, str]] = {
    "zh": {
        "user.created": "新建用户", "user.updated": "修改用户", "user.signed_in": "用户登录",
        "user.signed_out": "用户退出", "user.sign_in_failed": "登录失败", "unit.created": "新建单位",
        "api_key.created": "新建接口密钥", "api_key.updated": "修改接口密钥", "api_key.revoked": "吊销接口密钥",
        "webhook.created": "新建事件通知订阅", "webhook.disabled": "停用事件通知订阅",
        "project.created": "登记项目", "project.updated": "更新项目", "project.unchanged": "项目重复登记（无变化）",
        "field.created": "新建专业领域", "field.updated": "修改专业领域", "field.retired": "停用专业领域",
        "field.restored": "恢复专业领域",
        "expert.created": "新增专家", "expert.updated": "修改专家信息", "expert.status_changed": "变更专家状态",
        "expert.unavailability_added": "登记不可参加日期", "expert.unavailability_removed": "撤销不可参加日期",
        "expert.conflict_declared": "申报回避", "expert.conflict_withdrawn": "撤回回避申报",
        "expert.bad_conduct_recorded": "记录不良行为", "experts.imported": "批量导入专家",
        "training.created": "新建培训", "training.attendance_recorded": "登记培训出勤",
        "calendar.day_set": "设置工作日历",
        "panel.requested": "申请抽取评审组", "panel.moved": "改期评审会", "panel.cancelled": "取消评审组",
        "panel.member_evaluated": "评价专家履职", "panel.sealed_list_read": "查看密封名单",
        "panel.notice_changed": "修改会议通知", "self_evaluation.recorded": "登记自评报告",
        "expert.assessed": "确认年度考核", "experts.exported_for_reimport": "导出可回导的专家表",
        "notification.sent": "已发送通知", "notification.delivered": "通知已送达",
        "notification.failed": "通知发送失败",
        "expert_application.submitted": "提交入库申请", "expert_application.approved": "入库申请通过",
        "expert_application.rejected": "入库申请未通过", "expert_change.proposed": "专家提交信息变更",
        "expert_change.approved": "信息变更通过", "expert_change.rejected": "信息变更未通过",
        "draw.committed": "抽取承诺", "draw.revealed": "揭示抽取结果", "draw.cancelled": "取消抽取",
        "seat.seated": "抽中专家入席", "seat.reserve_moved_up": "备选专家递补", "seat.reserve_skipped": "跳过备选专家",
        "seat.seat_open": "席位空缺", "seat.accepted": "专家接受邀请", "seat.declined": "专家谢绝邀请",
        "seat.unable": "专家无法出席", "seat.released": "释放席位", "seat.invited": "通知专家",
        "seat.skipped": "跳过备选专家",
        "vendor.created": "新增供应商", "vendor.updated": "修改供应商信息", "vendor.relation_added": "登记关联关系",
        "vendors.imported": "批量导入供应商", "exclusion.recorded": "登记禁止参加政府采购记录",
        "engagement.recorded": "登记参与单位", "engagement.corrected": "更正参与单位",
        "engagement.voided": "作废参与记录",
        "conflict_check.made": "冲突检查", "rating.created": "评价供应商", "rating.commented": "供应商提交意见",
        "rating.reviewed": "评价复核", "rating.finalised": "评价生效",
        "personal_data.unmasked": "查看完整个人信息", "personal_data.resealed": "重新加密个人信息",
        "audit.profile_changed": "审计链切换密码方案", "demo.loaded": "载入演示数据",
    },
    "en": {
        "user.created": "User created", "user.updated": "User changed", "user.signed_in": "Signed in",
        "user.signed_out": "Signed out", "user.sign_in_failed": "Sign-in failed", "unit.created": "Unit created",
        "api_key.created": "API key created", "api_key.updated": "API key changed",
        "api_key.revoked": "API key revoked",
        "webhook.created": "Webhook created", "webhook.disabled": "Webhook disabled",
        "project.created": "Project registered", "project.updated": "Project updated",
        "project.unchanged": "Project registered again (unchanged)",
        "field.created": "Field created", "field.updated": "Field changed", "field.retired": "Field retired",
        "field.restored": "Field restored",
        "expert.created": "Expert added", "expert.updated": "Expert changed", "expert.status_changed": "Status changed",
        "expert.unavailability_added": "Unavailable days added",
        "expert.unavailability_removed": "Unavailable days removed",
        "expert.conflict_declared": "Conflict declared", "expert.conflict_withdrawn": "Conflict withdrawn",
        "expert.bad_conduct_recorded": "Bad conduct recorded", "experts.imported": "Experts imported",
        "training.created": "Training created", "training.attendance_recorded": "Attendance recorded",
        "calendar.day_set": "Calendar day set",
        "panel.requested": "Panel requested", "panel.moved": "Meeting moved", "panel.cancelled": "Panel cancelled",
        "panel.member_evaluated": "Member evaluated", "panel.sealed_list_read": "Sealed list read",
        "panel.notice_changed": "Meeting notice changed", "self_evaluation.recorded": "Self-evaluation recorded",
        "expert.assessed": "Annual assessment confirmed", "experts.exported_for_reimport": "Exported for re-import",
        "notification.sent": "Message sent", "notification.delivered": "Message delivered",
        "notification.failed": "Message failed",
        "expert_application.submitted": "Application submitted", "expert_application.approved": "Application approved",
        "expert_application.rejected": "Application rejected", "expert_change.proposed": "Change proposed",
        "expert_change.approved": "Change approved", "expert_change.rejected": "Change rejected",
        "draw.committed": "Draw committed", "draw.revealed": "Draw revealed", "draw.cancelled": "Draw cancelled",
        "seat.seated": "Primary seated", "seat.reserve_moved_up": "Reserve moved up",
        "seat.reserve_skipped": "Reserve skipped", "seat.seat_open": "Seat open", "seat.accepted": "Accepted",
        "seat.declined": "Declined", "seat.unable": "Unable to attend", "seat.released": "Seat released",
        "seat.invited": "Invited", "seat.skipped": "Reserve skipped",
        "vendor.created": "Vendor added", "vendor.updated": "Vendor changed", "vendor.relation_added": "Relation added",
        "vendors.imported": "Vendors imported", "exclusion.recorded": "Exclusion recorded",
        "engagement.recorded": "Engagement recorded", "engagement.corrected": "Engagement corrected",
        "engagement.voided": "Engagement voided", "conflict_check.made": "Conflict check",
        "rating.created": "Rating made", "rating.commented": "Vendor commented", "rating.reviewed": "Rating reviewed",
        "rating.finalised": "Rating final", "personal_data.unmasked": "Personal data shown in full",
        "personal_data.resealed": "Personal data resealed", "audit.profile_changed": "Chain profile changed",
        "demo.loaded": "Demo data loaded",
    },
}

OBJECT_TYPES: dict[str, dict[str, str]] = {
    "zh": {"user": "用户", "unit": "单位", "api_key": "接口密钥", "webhook": "事件通知订阅", "project": "项目",
           "field": "专业领域", "expert": "专家", "import": "批量导入", "training": "培训", "calendar_day": "工作日历",
           "panel": "评审组", "draw": "抽取", "pool": "专家库", "vendor": "供应商", "registry": "供应商库",
           "exclusion": "禁止参加政府采购记录", "engagement": "参与单位", "conflict_check": "冲突检查",
           "rating": "评价", "expert_application": "入库申请", "notification": "通知消息",
           "self_evaluation": "自评报告", "export": "导出",
           "data_key": "数据密钥", "audit": "审计链"},
    "en": {"user": "User", "unit": "Unit", "api_key": "API key", "webhook": "Webhook", "project": "Project",
           "field": "Field", "expert": "Expert", "import": "Import", "training": "Training",
           "calendar_day": "Calendar day",
           "panel": "Panel", "draw": "Draw", "pool": "Expert pool", "vendor": "Vendor", "registry": "Vendor registry",
           "exclusion": "Exclusion", "engagement": "Engagement", "conflict_check": "Conflict check", "rating": "Rating",
           "expert_application": "Application", "notification": "Notification",
           "self_evaluation": "Self-evaluation", "export": "Export", "data_key": "Data key", "audit": "Audit chain"},
}

DETAIL_LABELS: dict[str, dict[str, str]] = {
    "zh": {"reason": "原因", "reasons": "原因", "count": "数量", "digest": "内容摘要", "draw_id": "抽取编号",
           "panel_id": "评审组编号", "expert_code": "专家编号", "field": "专业领域", "change": "变化", "state": "状态",
           "channel": "答复方式", "replacing": "替补谁", "project_code": "项目编号", "purpose": "事项",
           "meeting_on": "评审日期", "status": "状态", "roles": "角色", "unit": "单位", "unit_uscc": "单位代码",
           "name": "名称", "username": "用户名", "verdict": "结论", "uscc": "统一社会信用代码", "lot_code": "标段",
           "rated_uscc": "被评价单位", "outcome": "结果", "rows": "行数", "created": "新增", "updated": "更新",
           "profile": "密码方案", "commitment": "承诺值", "witness": "见证值", "seed": "随机种子", "key_id": "签名密钥",
           "supplementary": "补抽", "replaces": "重新抽取自", "before_reveal": "揭示前", "days": "天数",
           "from": "原日期", "to": "新日期", "what": "内容", "kind": "类型", "failures": "失败次数",
           "locked_until": "锁定至", "rating_id": "评价编号", "overall": "总体评价", "decision": "决定",
           "quotas": "配额", "reserves": "备选专家人数", "supervisor": "监督人员", "candidates_digest": "候选名单摘要",
           "primaries": "抽中专家", "sealed": "名单密封", "fields": "字段", "experts": "专家", "vendors": "供应商",
           "values": "数量", "members": "成员数", "halves": "半天", "seats": "席位",
           "reserves_per_field": "每领域备选人数",
           "avoid_units": "回避单位数", "avoid_experts": "回避专家数", "avoid_expert_reasons": "回避原因",
           "supplementary_of": "补抽自", "exclusions_digest": "排除名单摘要", "exclusion_counts": "排除人数",
           "phase": "阶段", "policy": "检查口径", "rule_version": "规则版本", "verdicts": "结论",
           "vendor_uscc": "供应商", "visibility": "公开范围", "engagement_id": "参与记录", "disputes": "异议",
           "final_level": "最终等级", "attended": "出席", "score": "评分", "occurred_on": "发生日期",
           "is_working": "工作日", "passed": "合格人数", "training_sessions": "培训场次", "changed": "变更内容",
           "related_uscc": "关联单位", "relation_id": "关联记录", "qualifications": "资质数",
           "decision_number": "决定书文号",
           "url": "地址", "events": "事件", "notes": "备注", "channel_note": "说明"},
    "en": {"reason": "Reason", "reasons": "Reasons", "count": "Count", "digest": "Digest", "draw_id": "Draw",
           "panel_id": "Panel", "expert_code": "Expert", "field": "Field", "change": "Change", "state": "State",
           "channel": "Channel", "replacing": "Replacing", "project_code": "Project", "purpose": "Purpose",
           "meeting_on": "Meeting day", "status": "Status", "roles": "Roles", "unit": "Unit", "unit_uscc": "Unit code",
           "name": "Name", "username": "User name", "verdict": "Verdict", "uscc": "USCC", "lot_code": "Lot",
           "rated_uscc": "Rated unit", "outcome": "Outcome", "rows": "Rows", "created": "Created", "updated": "Updated",
           "profile": "Profile", "commitment": "Commitment", "witness": "Witness", "seed": "Seed", "key_id": "Key",
           "supplementary": "Supplementary", "replaces": "Replaces", "before_reveal": "Before the reveal",
           "days": "Days", "from": "From", "to": "To", "what": "What", "kind": "Kind", "failures": "Failures",
           "locked_until": "Locked until", "rating_id": "Rating", "overall": "Overall", "decision": "Decision",
           "quotas": "Quotas", "reserves": "Reserves", "supervisor": "Supervisor",
           "candidates_digest": "Candidates digest", "primaries": "Primaries", "sealed": "Sealed", "fields": "Fields",
           "experts": "Experts", "vendors": "Vendors", "values": "Values", "members": "Members", "halves": "Half-days",
           "seats": "Seats", "reserves_per_field": "Reserves per field", "avoid_units": "Units avoided",
           "avoid_experts": "Experts avoided", "avoid_expert_reasons": "Avoidance reasons",
           "supplementary_of": "Supplementary to", "exclusions_digest": "Exclusions digest",
           "exclusion_counts": "Left out", "phase": "Phase", "policy": "Policy", "rule_version": "Rule version",
           "verdicts": "Verdicts", "vendor_uscc": "Vendor", "visibility": "Visibility", "engagement_id": "Engagement",
           "disputes": "Disputes", "final_level": "Final level", "attended": "Attended", "score": "Score",
           "occurred_on": "Occurred on", "is_working": "Working day", "passed": "Passed",
           "training_sessions": "Training sessions", "changed": "Changed", "related_uscc": "Related unit",
           "relation_id": "Relation", "qualifications": "Qualifications", "decision_number": "Decision number",
           "url": "Address", "events": "Events", "notes": "Notes", "channel_note": "Note"},
}

# Values of some details said in words: seat changes and states, channels, purposes, reasons.
_VALUE_WORDS: dict[str, dict[str, dict[str, str]]] = {
    lang: {"state": PANEL_MESSAGES[lang]["member_states"],
           "change": {**PANEL_MESSAGES[lang]["member_states"],
                      **{code.removeprefix("seat."): name for code, name in ACTIONS[lang].items()
                         if code.startswith("seat.")}},
           "channel": PANEL_MESSAGES[lang]["channels"], "purpose": PURPOSES[lang], "reason": REASONS[lang],
           "reasons": REASONS[lang], "exclusion_counts": REASONS[lang], "halves": PANEL_MESSAGES[lang]["halves"],
           "phase": {"before_reveal": "揭示前", "after_reveal": "揭示后"} if lang == "zh" else {},
           "fields": {"phone": "电话"} if lang == "zh" else {}}
    for lang in ("zh", "en")
}

# What the experts service shows in place of a pool number, seed or secret of a panel sealed to the reader.
SEALED_VALUE = "[sealed]"

WORDS: dict[str, dict[str, str]] = {
    "zh": {"sealed_value": "（名单密封，不显示）",
           "yes": "是", "no": "否", "other_action": "其他操作", "system": "系统（{service}）",
           "draw_number": "抽取编号", "draw_number_hint": "填写完整的抽取编号，查看该次抽取的全部记录",
           "bad_draw_number": "抽取编号应为 36 位的编号（如 3f2a6c1e-8d4b-4b7a-9c2e-5a1f0e7d9b31）。"},
    "en": {"sealed_value": "(sealed)",
           "yes": "yes", "no": "no", "other_action": "Other action", "system": "System ({service})",
           "draw_number": "Draw number", "draw_number_hint": "The full draw number, to see every entry of that draw",
           "bad_draw_number": "A draw number has 36 characters (like 3f2a6c1e-8d4b-4b7a-9c2e-5a1f0e7d9b31)."},
}


def action_name(lang: str, code: str) -> str | None:
    """The action in words, or None when the catalogue does not know it (the page shows the code)."""
    return ACTIONS[lang].get(code)


def detail_rows(lang: str, details: dict[str, Any] | None) -> list[dict[str, Any]]:
    """An entry's details as labelled rows: {label, label_is_code, parts}; ``parts`` is the value as
    (text, is_code) pieces, a piece left as it was stored (barred, overall_design) being a code."""
    rows = []
    for key, value in sorted((details or {}).items()):
        label = DETAIL_LABELS[lang].get(key)
        rows.append({"label": label or key, "label_is_code": label is None, "parts": _parts(lang, key, value)})
    return rows


def detail_text(lang: str, details: dict[str, Any] | None) -> dict[str, str]:
    """The same rows as plain text, label → value."""
    return {row["label"]: "".join(text for text, _ in row["parts"]) for row in detail_rows(lang, details)}


def _parts(lang: str, key: str, value: Any) -> list[tuple[str, bool]]:
    words = _VALUE_WORDS[lang].get(key, {})
    if isinstance(value, bool):
        return [(WORDS[lang]["yes" if value else "no"], False)]
    if value is None:
        return [("—", False)]
    if isinstance(value, list):
        return _joined([_parts(lang, key, item) for item in value], "、")
    if isinstance(value, dict):
        return _joined([[(f"{words.get(k) or DETAIL_LABELS[lang].get(k) or k}：", False), *_parts(lang, k, v)]
                        for k, v in sorted(value.items())], "；")
    text = str(value)
    if text == SEALED_VALUE:
        return [(WORDS[lang]["sealed_value"], False)]
    if text in words:
        return [(words[text], False)]
    return [(text, _CODE.fullmatch(text) is not None and not isinstance(value, int | float))]


def _joined(pieces: list[list[tuple[str, bool]]], separator: str) -> list[tuple[str, bool]]:
    joined: list[tuple[str, bool]] = []
    for number, piece in enumerate(pieces):
        if number:
            joined.append((separator, False))
        joined.extend(piece)
    return joined


# A value left as it was stored that reads as a code (barred, overall_design), not a word.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*")
