"""The words of the console's vendor pages (the registry, a project's engagements, conflict checks,
the barred list, ratings), in Chinese and English.

Templates read them as ``v.key`` beside the foundation's ``t`` (messages.py). The ``api``
part goes to the pages' script (static/console-procurement.js) as a JSON block: its ``problems``
are the refusals' texts by code (problem_messages.py), so an error shows in the page's
language next to its field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.gateway.console.i18n.problem_messages import problem_catalogue
from shared.contracts.projects import EngagementRole
from shared.contracts.ratings import LEVEL_DEFINITIONS, RatingFactor, RatingLevel
from shared.permissions import CONFLICT_CHECK_READERS, REGISTRY_READERS, SEE_EVERY_RATING
from shared.roles import Role

# What the vendors service takes and gives (shared/contracts), in the order the pages list them.
LEVELS = tuple(RatingLevel)
FACTORS = tuple(RatingFactor)
ENGAGEMENT_ROLES = tuple(EngagementRole)

# A page's own texts for a code on one field (domain/problem_messages.py).
_ZH_OVERRIDES = {
    **{f"field.{limit}@{name}": "须为 18 位" for limit in ("too_short", "too_long")
       for name in ("uscc", "vendor_uscc", "related_uscc", "bidders")},
    "field.type@amount_fen": "须为数字，最多两位小数",
    "field.required@amount_fen": "请填写金额",
}

_ZH_API: dict[str, Any] = {
    "problems": problem_catalogue("zh", _ZH_OVERRIDES),
    "failed": "未完成：",
    "check_fields": "请按提示修改后重新提交。",
    "network": "无法连接服务器，请检查网络后重试。",
    "line": "第 {n} 行（{value}）：",
}

_EN_API: dict[str, Any] = {"problems": problem_catalogue("en"), "failed": "Not done: ",
                           "check_fields": "Correct the fields marked and send again.",
                           "network": "The server cannot be reached; check the network and try again.",
                           "line": "Line {n} ({value}): "}

VENDOR_MESSAGES: dict[str, dict[str, Any]] = {
    "zh": {
        "api": _ZH_API,
        "nav_vendors": "供应商库", "nav_projects": "项目与冲突检查", "nav_my_ratings": "本单位评价",
        "nav_disputed_ratings": "待复核评价",
        "statuses": {"active": "正常", "suspended": "暂停", "deregistered": "注销"},
        "roles": {"overall_design": "总体设计", "specification": "规范编制", "project_management": "项目管理",
                  "supervision": "监理", "testing": "检测", "construction": "建设/集成", "software": "软件开发",
                  "operations": "运维", "consulting": "咨询"},
        "methods": {"public_tender": "公开招标", "invited_tender": "邀请招标", "competitive_negotiation": "竞争性谈判",
                    "competitive_consultation": "竞争性磋商", "request_for_quotation": "询价",
                    "single_source": "单一来源", "framework_agreement": "框架协议", "other": "其他"},
        "relation_kinds": {"controlling": "直接控股", "management": "管理关系"},
        "kinds": {"construction": "建设类", "operations": "运维类"},
        # the registry
        "vendors_title": "供应商库", "search": "名称、曾用名或统一社会信用代码", "search_button": "查询",
        "status": "状态", "all": "全部", "uscc": "统一社会信用代码", "name": "名称", "aliases": "曾用名",
        "legal_representative": "法定代表人", "id_number": "身份证号", "qualifications": "资质",
        "total": "共 {total} 家，第 {page}/{pages} 页", "previous": "上一页", "next": "下一页",
        "no_vendors": "没有符合条件的供应商。", "open": "查看",
        "identity": "基本信息", "used_until": "使用至", "certificate": "证书编号", "valid_until": "有效期至",
        "expired": "已过期", "no_expiry": "长期", "none": "无",
        "related_title": "关联关系（《中华人民共和国政府采购法实施条例》第十八条第一款）",
        "related_vendor": "关联供应商",
        "relation_kind": "关系", "source": "来源", "valid_from": "起始", "controls": "本单位控股或管理",
        "controlled_by": "控股或管理本单位", "same_person": "法定代表人为同一人的供应商",
        "engagements_title": "参与项目", "project": "项目", "lot": "标段", "role": "承担工作", "started_on": "开始",
        "ended_on": "结束", "amount": "合同金额（元）", "whole_project": "整个项目",
        "engagements_unavailable": "参与项目暂时无法读取：",
        "exclusions_title": "禁止参加政府采购活动记录", "issuing_body": "作出机关", "decision_number": "决定文号",
        "scope": "范围", "reason": "事由", "period": "期间", "active": "有效", "inactive": "已失效",
        "until_lifted": "至解除", "ratings_link": "服务评价", "masked_note": "身份证号已遮蔽。",
        "show_id_number": "显示（记入审计日志）",
        "created_at": "登记时间",
        # projects and engagements
        "projects_title": "项目与冲突检查", "projects_intro": "采购经办人只能办理本单位（项目业主单位）的项目。",
        "code": "项目编号", "project_name": "项目名称", "kind": "类别", "owner_unit": "业主单位",
        "investment": "投资额（元）", "planned_completion": "计划完成", "major": "重大建设项目",
        "no_projects": "没有可办理的项目。", "open_project": "打开项目编号", "go": "打开",
        "lots_title": "标段", "lot_code": "标段编号", "lot_name": "标段名称", "method": "采购方式",
        "procures": "采购内容", "check_link": "投标人冲突检查", "no_lots": "本项目没有标段。",
        "engagement_title": "登记参与单位", "vendor_uscc": "供应商统一社会信用代码", "amount_yuan": "合同金额（元）",
        "record": "登记", "recording": "正在登记……", "no_engagements": "尚未登记参与单位。",
        "not_your_unit": "本项目属于其他单位，只能查看。",
        "barred_title": "不得参与本项目其他采购的供应商", "barred_link": "禁止参与名单（打印）", "csv": "下载 CSV",
        "as_of": "截至", "barred_reason": "原因", "rules": "依据", "all_lots": "全部标段", "no_barred": "目前没有。",
        "policy": "适用规则", "rule_version": "规则版本",
        # the conflict check
        "check_title": "投标人冲突检查", "bidders": "投标人统一社会信用代码",
        "bidders_hint": "每行一个。逐一判断：允许、禁止或关注（有关联关系，只能有一家继续；"
                        "或已参加本项目其他采购活动）；理由及依据见检查结果。",
        "check": "检查", "checking": "正在检查，请稍候……",
        "result_title": "冲突检查结果", "checked_at": "检查时间（北京）", "checked_by": "检查人",
        "bidder": "投标人", "verdict": "结论", "reasons": "理由及依据",
        "verdicts": {"allowed": "允许", "barred": "禁止", "flagged": "关注"}, "not_registered": "（未登记）",
        "print": "打印", "check_again": "再次检查", "back_to_project": "返回项目",
        # ratings
        "ratings_title": "服务评价：{name}", "my_ratings_title": "本单位收到的评价",
        "factors": {"quality": "质量", "schedule": "进度", "service_responsiveness": "服务响应",
                    "security_compliance": "安全与合规", "documentation": "文档"},
        "levels": {level.value: name for level, (name, _) in LEVEL_DEFINITIONS.items()},
        "level_definitions": {level.value: text for level, (_, text) in LEVEL_DEFINITIONS.items()},
        "visibilities": {"bureau": "仅大数据局", "government": "政府单位", "public": "公开"},
        "rating_states": {"open_for_comment": "意见期内", "disputed": "有异议，待复核", "final": "已生效"},
        "aggregate": "近三年（{since} 起）共 {count} 条评价（按最终等级）：", "no_ratings": "没有您可查看的评价。",
        "new_rating": "评价该供应商", "rating_title": "评价供应商服务（第二十八条）", "stage": "合同阶段",
        "stage_hint": "例如：初步验收、终验、年度运维。",
        "project_code": "项目编号（可不填）", "no_project": "不关联项目",
        "factor": "评价因素", "overall": "总体评价", "definitions": "等级定义", "narrative": "文字说明",
        "narrative_hint": "必填：说明评价所依据的事实。", "visibility": "公开范围", "submit_rating": "提交评价",
        "saving": "正在提交……", "rated_on": "评价日期", "rater_unit": "评价单位", "comment_until": "意见期至",
        "final_level": "最终等级", "comment": "供应商意见", "review": "复核", "disputes": "对评价有异议，申请复核",
        "comment_text": "意见", "submit_comment": "提交意见", "commented_at": "提交时间（北京）",
        "disputed_badge": "有异议", "outcome": "复核结论", "outcomes": {"upheld": "维持原评价", "revised": "改评"},
        "revised_level": "改评等级", "review_narrative": "复核说明", "submit_review": "提交复核",
        "reviewer_unit": "复核单位", "reviewed_at": "复核时间（北京）",
        "own_unit_review": "本单位作出的评价须由其他单位复核。",
        "window_closed": "意见期已结束，供应商未提出意见。", "level": "等级",
        # the rating reviewers' queue
        "disputed_title": "待复核的争议评价",
        "disputed_intro": "供应商提出异议、尚待复核的评价，按提出异议的先后排列。"
                          "复核人不得复核本单位作出的评价。",
        "disputed_total": "共 {total} 条，第 {page}/{pages} 页", "vendor": "供应商", "disputed_at": "提出异议（北京）",
        "go_review": "去复核", "own_unit_no_review": "本单位作出的评价，不得复核",
        "no_disputed": "目前没有待复核的争议评价。",
    },
    "en": {
        "api": _EN_API,
        "nav_vendors": "Vendors", "nav_projects": "Projects & checks", "nav_my_ratings": "Our ratings",
        "nav_disputed_ratings": "Disputed ratings",
        "statuses": {"active": "Active", "suspended": "Suspended", "deregistered": "Deregistered"},
        "roles": {"overall_design": "Overall design", "specification": "Specification", "project_management":
                  "Project management", "supervision": "Supervision", "testing": "Testing",
                  "construction": "Construction/integration", "software": "Software", "operations": "Operations",
                  "consulting": "Consulting"},
        "methods": {"public_tender": "Public tender", "invited_tender": "Invited tender",
                    "competitive_negotiation": "Competitive negotiation",
                    "competitive_consultation": "Competitive consultation", "request_for_quotation": "Quotation",
                    "single_source": "Single source", "framework_agreement": "Framework agreement", "other": "Other"},
        "relation_kinds": {"controlling": "Controlling", "management": "Management"},
        "kinds": {"construction": "Construction", "operations": "Operations"},
        "vendors_title": "Vendor registry", "search": "Name, former name or USCC", "search_button": "Search",
        "status": "Status", "all": "All", "uscc": "USCC", "name": "Name", "aliases": "Former names",
        "legal_representative": "Legal representative", "id_number": "ID number", "qualifications": "Qualifications",
        "total": "{total} vendors, page {page}/{pages}", "previous": "Previous", "next": "Next",
        "no_vendors": "No vendor matches.", "open": "Open",
        "identity": "Identity", "used_until": "Used until", "certificate": "Certificate", "valid_until": "Valid until",
        "expired": "Expired", "no_expiry": "No expiry", "none": "None",
        "related_title": "Related parties (Implementing Regulations of the Government Procurement Law, Art. 18(1))",
        "related_vendor": "Related vendor",
        "relation_kind": "Relation", "source": "Source", "valid_from": "From", "controls": "Controlled by this vendor",
        "controlled_by": "Controls this vendor", "same_person": "Vendors with the same legal representative",
        "engagements_title": "Engagements", "project": "Project", "lot": "Lot", "role": "Role", "started_on": "Start",
        "ended_on": "End", "amount": "Amount (CNY)", "whole_project": "Whole project",
        "engagements_unavailable": "Engagements cannot be read now: ",
        "exclusions_title": "Debarments", "issuing_body": "Issued by", "decision_number": "Decision",
        "scope": "Scope", "reason": "Reason", "period": "Period", "active": "Active", "inactive": "Lapsed",
        "until_lifted": "until lifted", "ratings_link": "Ratings", "masked_note": "ID numbers are masked.",
        "show_id_number": "Show (logged in the audit log)",
        "created_at": "Registered",
        "projects_title": "Projects and conflict checks",
        "projects_intro": "Procurement officers act on their own unit's projects only.",
        "code": "Project code", "project_name": "Project", "kind": "Kind", "owner_unit": "Owner unit",
        "investment": "Investment (CNY)", "planned_completion": "Planned completion", "major": "Major project",
        "no_projects": "No project to act on.", "open_project": "Open project code", "go": "Open",
        "lots_title": "Lots", "lot_code": "Lot", "lot_name": "Lot name", "method": "Procurement method",
        "procures": "Procures", "check_link": "Check bidders", "no_lots": "The project has no lots.",
        "engagement_title": "Record an engagement", "vendor_uscc": "Vendor's USCC", "amount_yuan": "Amount (CNY)",
        "record": "Record", "recording": "Recording…", "no_engagements": "No engagement recorded yet.",
        "not_your_unit": "This project belongs to another unit: read only.",
        "barred_title": "Vendors barred from the project's other procurement", "barred_link": "Barred list (print)",
        "csv": "Download CSV", "as_of": "As of", "barred_reason": "Reason", "rules": "Rules", "all_lots": "Every lot",
        "no_barred": "None at present.", "policy": "Policy", "rule_version": "Rule version",
        "check_title": "Bidder conflict check", "bidders": "Bidders' USCCs",
        "bidders_hint": "One per line. Each is allowed, barred or flagged (related: only one may continue; or it "
                        "took part in the project's other procurement); the result gives reasons and rules.",
        "check": "Check", "checking": "Checking…",
        "result_title": "Conflict check result", "checked_at": "Checked at (Beijing)", "checked_by": "Checked by",
        "bidder": "Bidder", "verdict": "Verdict", "reasons": "Reasons and rules",
        "verdicts": {"allowed": "Allowed", "barred": "Barred", "flagged": "Flagged"},
        "not_registered": " (not registered)", "print": "Print", "check_again": "Check again",
        "back_to_project": "Back to the project",
        "ratings_title": "Ratings: {name}", "my_ratings_title": "Our ratings",
        "factors": {"quality": "Quality", "schedule": "Schedule", "service_responsiveness": "Service responsiveness",
                    "security_compliance": "Security & compliance", "documentation": "Documentation"},
        "levels": {"excellent": "Excellent", "good": "Good", "qualified": "Qualified",
                   "basically_qualified": "Basically qualified", "unqualified": "Unqualified"},
        "level_definitions": {
            "excellent": "Fulfilled the whole contract with results beyond it; no issue in quality, schedule, "
                         "service, security and compliance or documentation.",
            "good": "Fulfilled the whole contract; a few minor issues, promptly put right.",
            "qualified": "Fulfilled the contract's main terms; ordinary issues, put right when pressed.",
            "basically_qualified": "Clear shortfalls: many issues or slow remedies, but no serious harm.",
            "unqualified": "Main terms not fulfilled, or serious quality, security or compliance failures, "
                           "or major losses."},
        "visibilities": {"bureau": "Bureau only", "government": "Government units", "public": "Public"},
        "rating_states": {"open_for_comment": "Open for comment", "disputed": "Disputed, awaiting review",
                          "final": "Final"},
        "aggregate": "Last 3 years (since {since}): {count} ratings by final level: ",
        "no_ratings": "No rating you may see.",
        "new_rating": "Rate this vendor", "rating_title": "Rate a vendor's service (Art. 28)",
        "stage": "Contract stage",
        "stage_hint": "E.g. preliminary acceptance, final acceptance, yearly operations.",
        "project_code": "Project (optional)", "no_project": "No project",
        "factor": "Factor", "overall": "Overall", "definitions": "Level definitions", "narrative": "Narrative",
        "narrative_hint": "Required: the facts the rating rests on.", "visibility": "Visible to",
        "submit_rating": "Submit rating", "saving": "Submitting…", "rated_on": "Rated on", "rater_unit": "Rater unit",
        "comment_until": "Comments until", "final_level": "Final level", "comment": "Vendor's comment",
        "review": "Review", "disputes": "I dispute this rating and ask for a review", "comment_text": "Comment",
        "submit_comment": "Submit comment", "commented_at": "Submitted (Beijing)", "disputed_badge": "Disputed",
        "outcome": "Outcome", "outcomes": {"upheld": "Upheld", "revised": "Revised"},
        "revised_level": "Revised level", "review_narrative": "Review narrative", "submit_review": "Submit review",
        "reviewer_unit": "Reviewer unit", "reviewed_at": "Reviewed at (Beijing)",
        "own_unit_review": "A rating of your own unit is reviewed by another unit.",
        "window_closed": "The comment window closed without a comment.", "level": "Level",
        "disputed_title": "Disputed ratings awaiting review",
        "disputed_intro": "Ratings their vendor disputes, awaiting review, oldest dispute first. A reviewer never "
                          "reviews a rating made by their own unit.",
        "disputed_total": "{total} ratings, page {page}/{pages}", "vendor": "Vendor",
        "disputed_at": "Disputed (Beijing)",
        "go_review": "Review", "own_unit_no_review": "Rated by your own unit: not for you to review",
        "no_disputed": "No disputed rating awaits review.",
    },
}


def vendor_context(lang: str) -> dict[str, Any]:
    """What every vendor page's template gets: ``v`` (the words) and ``vendor_words`` (for the script)."""
    words = VENDOR_MESSAGES[lang]
    return {"v": words, "vendor_words": {"api": words["api"]}}


def yuan(fen: int | None) -> str:
    """Integer fen as yuan with two decimals and thousands separators (money is never a float)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


# The vendor pages in the console's navigation, by the roles that may open them.
_NAVIGATION = (
    ("/vendors", "nav_vendors", REGISTRY_READERS),
    ("/procurement/projects", "nav_projects", CONFLICT_CHECK_READERS),
    ("/ratings/mine", "nav_my_ratings", frozenset({Role.VENDOR})),
    ("/ratings/disputed", "nav_disputed_ratings", SEE_EVERY_RATING),
)


def vendor_navigation(roles: Iterable[str], lang: str) -> list[tuple[str, str]]:
    held = set(roles)
    return [(href, VENDOR_MESSAGES[lang][key]) for href, key, readers in _NAVIGATION if readers & held]


# Ratings with standing and registry upkeep: an exclusion shown on the vendor pages, a void engagement,
# the engagement a rating is for.
_STANDING_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "excluded": "禁止参加政府采购", "excluded_until": "至 {until}", "excluded_until_lifted": "至解除",
        "voided": "已作废",
        "engagement": "所评价的合同", "choose_engagement": "请选择",
        "engagement_hint": "只能评价本单位项目上的合同（大数据局可评价任何项目）；每份合同每个合同阶段评价一次。",
        "no_engagement_to_rate": "该供应商在您可评价的项目上没有有效的参与记录，不能评价。",
    },
    "en": {
        "excluded": "Debarred from government procurement", "excluded_until": "until {until}",
        "excluded_until_lifted": "until lifted", "voided": "Void",
        "engagement": "Engagement rated", "choose_engagement": "Choose",
        "engagement_hint": "Only an engagement on a project of your unit (the bureau: any project); once per "
                           "engagement and contract stage.",
        "no_engagement_to_rate": "This vendor holds no live engagement on a project you may rate.",
    },
}
for _lang, _words in _STANDING_WORDS.items():
    VENDOR_MESSAGES[_lang].update(_words)
