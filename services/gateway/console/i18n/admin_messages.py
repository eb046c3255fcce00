"""The words of the bureau admin's console pages (pages/admin.py), in Chinese and English.

Templates read a page's words as ``a.<key>``; the same words, with the ``api`` part, go to the page's
script as a JSON block (``#admin-words``). ``api`` is the panel pages' (panel_messages.py), whose
``problems`` render a refusal from its code (domain/problem_messages.py), here with the admin
forms' own texts for a wrong format, so a field's error shows in Chinese next to its field.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from services.gateway.console.i18n.messages import ROLE_NAMES
from services.gateway.console.i18n.panel_messages import PANEL_MESSAGES
from services.gateway.console.i18n.problem_messages import problem_catalogue
from services.gateway.identity.api import MIN_PASSWORD_LENGTH
from shared.roles import Role

STATUSES = {"zh": {"active": "在库", "suspended": "暂停", "retired": "退出"},
            "en": {"active": "Active", "suspended": "Suspended", "retired": "Retired"}}

# The admin pages' own texts for a code on one field (domain/problem_messages.py): what a format is.
_ZH_OVERRIDES = {
    "field.pattern@username": "须为 3 至 64 位小写字母、数字或 _ . -，以字母或数字开头",
    "field.pattern@expert_code": "须为专家编号，如 E00012",
    "field.pattern@code": "须为大写字母、数字或下划线；下级领域写作 上级代码.代码",
    "field.pattern@parent_code": "须为大写字母、数字或下划线；下级领域写作 上级代码.代码",
}

_ZH_API: dict[str, Any] = {**PANEL_MESSAGES["zh"]["api"], "problems": problem_catalogue("zh", _ZH_OVERRIDES)}

_COMMON = {
    "zh": {"saving": "正在保存……", "saved": "已保存。", "loading": "正在读取……", "load_failed": "读取失败：",
           "yes": "是", "no": "否", "none": "（无）", "cancel": "取消", "save": "保存", "all": "全部"},
    "en": {"saving": "Saving…", "saved": "Saved.", "loading": "Loading…", "load_failed": "Could not read: ",
           "yes": "Yes", "no": "No", "none": "(none)", "cancel": "Cancel", "save": "Save", "all": "All"},
}

_PAGES: dict[str, dict[str, dict[str, Any]]] = {
    "zh": {
        "experts": {
            "title": "专家库", "filters": "筛选", "q": "关键字", "field": "专业代码", "status": "状态",
            "unit": "单位代码", "trained": "培训有效", "apply": "筛选",
            "sort": "排序", "code": "编号", "name": "姓名", "unit_name": "单位", "title_col": "职称",
            "years": "从业年限", "fields": "专业", "trained_until": "培训有效至", "none": "没有符合条件的专家。",
            "error": "读取失败：", "total": "共 {total} 名，第 {page}/{pages} 页",
            "suspended_until": "暂停至 {date}", "training_expired": "培训已过期", "never_trained": "未参加培训",
            "sort_by": "点击按此列排序",
            "previous": "上一页", "next": "下一页", "import": "导入专家", "add": "添加专家",
            "export_xlsx": "导出 Excel",
            "export_csv": "导出 CSV", "open": "查看",
        },
        "expert": {
            "title": "专家 {code}", "back": "返回专家库", "profile": "基本信息", "name": "姓名",
            "birth_date": "出生日期",
            "unit_name": "工作单位", "unit_uscc": "单位统一社会信用代码", "title_col": "职称", "years": "从业年限",
            "primary_field": "主专业领域", "other_fields": "其他专业领域", "no_field": "（不选）",
            "account_subject": "专家账户（用户名）", "save": "保存修改", "saved": "已保存。", "unchanged": "没有修改。",
            "personal": "个人信息", "phone": "手机号码", "id_number": "身份证号", "bank_account": "银行账号",
            "show": "显示", "hide": "遮盖",
            "personal_note": "个人信息默认遮盖显示。点击“显示”才会读取完整信息，每次读取都在审计日志中记录。",
            "new_value": "新值（留空则不改）",
            "status_title": "状态", "status": "当前状态", "reason": "原因", "since": "变更日期",
            "suspended_until": "暂停至", "change_status": "变更状态", "new_status": "变更为",
            "to_active": "恢复在库", "to_suspended": "暂停", "to_retired": "退出专家库",
            "status_changed": "状态已变更。", "retire_confirm": "专家退出后不再参加抽取（记录保留），确定吗？",
            "training": "培训", "last_trained_on": "最近培训合格日期", "trained_until": "培训有效至",
            "history": "履历与记录", "former_employers": "原工作单位", "started_on": "起", "ended_on": "止",
            "certificates": "证书", "expires_on": "有效期至", "bad_conduct": "不良行为记录", "occurred_on": "日期",
            "description": "情况", "not_found": "没有这位专家。", "add_conduct": "添加不良行为记录",
            "conduct_note": "记录只增不改；3 年内有不良行为记录的专家不参加抽取。", "conduct_added": "已添加。",
        },
        "import": {
            "title": "导入专家", "intro": "上传按模板填写的 Excel（xlsx）或 CSV 文件（UTF-8 或 GB18030）。"
            "先检查全部行并列出问题，确认后才导入有效的行；身份证号已在库的人员将更新其信息。",
            "template": "下载导入模板（xlsx）", "template_csv": "下载导入模板（CSV）",
            "export_xlsx": "导出专家库（Excel）", "export_csv": "导出专家库（CSV）",
            "reimport_xlsx": "导出（可重新导入，Excel）", "reimport_csv": "导出（可重新导入，CSV）",
            "cells_note": "已在库的专家：可选列留空则保留库中已有的值，填写单个“-”则清空该值。"
            "普通导出遮蔽了个人信息，不能重新导入；“可重新导入”的导出含完整个人信息，导出记入审计日志，请妥善保管。",
            "file": "文件", "check": "检查文件", "checking": "正在检查……", "confirm": "确认导入 {count} 行",
            "importing": "正在导入……", "rows": "共 {rows} 行：可导入 {valid} 行（新增 {created}，更新 {updated}），"
            "无变化 {unchanged} 行，有问题 {rejected} 行。", "no_errors": "全部行均可导入。",
            "errors_title": "有问题的行（不会导入）",
            "row": "行", "column": "列", "message": "问题", "nothing": "没有可导入的行。",
            "done": "导入完成：新增 {created} 名，更新 {updated} 名，未导入 {rejected} 行。", "to_list": "查看专家库",
            "choose_file": "请先选择文件。", "failed": "导入失败：",
        },
        "fields": {
            "title": "专业领域", "intro": "两级分类：一级领域及其下级领域。专家持有下级领域也可填补上级领域的席位。"
            "领域不删除，只停用；已停用的领域仍保留在持有它的专家名下。",
            "code": "代码", "name_zh": "中文名称", "name_en": "英文名称", "parent": "上级领域", "state": "状态",
            "top_level": "（一级领域）", "in_use": "使用中", "retired": "已停用", "actions": "操作",
            "rename": "重命名", "retire": "停用", "restore": "恢复", "add": "添加领域", "add_title": "添加专业领域",
            "code_hint": "大写字母、数字或下划线；下级领域写作 上级代码.代码，如 NET.BI",
            "retire_confirm": "停用领域 {code} 后不能再给专家选择它，确定吗？",
        },
        "outbox": {
            "title": "消息发件箱", "intro": "发给评审专家的邀请短信和语音通知，最新的在前（接收号码已隐去中间四位）。"
            "本地发件箱（开发与演示用）的消息不离开本机，这里显示全文。",
            "created_at": "生成时间", "channel": "方式", "recipient": "接收号码", "status": "状态",
            "attempts": "尝试次数", "error": "最近错误", "text": "内容", "none": "还没有消息。",
            "channels": {"sms": "短信", "voice": "语音"},
            "states": {"pending": "待发送", "sent": "已发送", "failed": "失败", "delivered": "已送达"},
            "providers": {"local": "本地发件箱", "alibaba": "阿里云"}, "provider": "发送渠道",
        },
        "assessments": {
            "title_year": "{year}年度专家考核", "intro": "按年度统计每位专家的邀请、接受、谢绝（区分有无正当理由）、"
            "缺席、评价得分与培训情况，按设定的标准提出建议等次；管理员逐一确认。确认为不合格的，须选择暂停（至某日）或清退，"
            "原因记入专家状态并写入审计日志。",
            "year": "年度", "show": "查看", "export_xlsx": "导出考核表（Excel）", "print": "打印",
            "code": "专家编号", "name": "姓名", "unit": "工作单位", "invitations": "邀请", "accepted": "接受",
            "declined_valid": "有正当理由谢绝", "declined_unexcused": "无正当理由谢绝", "no_shows": "缺席",
            "scores": "评价得分", "training": "培训", "proposed": "建议等次", "confirmed": "确认结果",
            "confirm": "确认",
            "grade": "等次", "outcome": "处理", "suspended_until": "暂停至", "reason": "说明（与建议不同时必填）",
            "confirm_button": "确认", "pending": "待确认", "average": "平均", "until": "有效期至",
            "grades": {"pass": "合格", "basic": "基本合格", "fail": "不合格"},
            "outcomes": {"none": "不处理", "suspended": "暂停", "retired": "清退"},
            "training_states": {"valid": "有效", "lapsed": "已过期", "never": "未培训"},
            "thresholds": "标准：无正当理由谢绝达 {fail_declines} 次、缺席达 {fail_no_shows} 次或平均分低于 "
            "{fail_score_below} 分为不合格；有谢绝、缺席、平均分低于 {pass_score} 分或年末培训无效为基本合格；"
            "其余为合格。",
            "summary": "共 {total} 人，已确认 {confirmed} 人；合格 {pass}，基本合格 {basic}，不合格 {fail}。",
            "none": "该年度没有在库专家。", "loading": "正在加载……", "load_failed": "加载失败：",
        },
        "trainings": {
            "title": "培训", "intro": "专家须培训合格方可参加抽取；培训合格的有效期为 12 个月（本局设定）。",
            "attendees": "参加人员", "show_attendees": "查看参加人员",
            "attendees_title": "{number} {title}（{held_on}）参加人员",
            "expert_code": "专家编号", "expert_name": "姓名", "unit": "工作单位", "valid_until": "培训有效期至",
            "no_attendees": "尚未登记参加人员。",
            "sessions": "培训场次", "id": "场次编号", "session_title": "名称", "held_on": "日期",
            "attended": "参加人数",
            "passed_count": "合格人数", "none": "还没有培训场次。", "create": "新建培训场次", "create_button": "新建",
            "attendance": "登记培训结果", "session": "培训场次", "codes": "专家编号（每行一个）", "result": "结果",
            "pass": "合格", "fail": "不合格", "record": "登记",
            "pick_expert": "按姓名选择专家", "pick_placeholder": "输入姓名、单位或编号", "pick_add": "加入名单",
            "pick_unknown": "专家库中没有“{text}”：请输入姓名并从列表中选择。",
            "pick_several": "有 {count} 位专家与“{text}”相符：请从列表中选择一位。",
            "recorded": "已登记：", "result_pass": "{code} 合格，培训有效至 {until}",
            "result_fail": "{code} 不合格", "choose_session": "请先新建或选择培训场次。",
        },
        "accounts": {
            "title": "单位、用户与 API 密钥", "units": "单位", "uscc": "统一社会信用代码", "unit_name": "单位名称",
            "add_unit": "添加单位", "users": "用户", "username": "用户名", "display_name": "姓名",
            "unit": "单位", "roles": "角色", "password": "初始密码", "state": "状态", "add_user": "添加用户",
            "password_hint": f"至少 {MIN_PASSWORD_LENGTH} 个字符，不能包含用户名；请通过其他渠道告知本人。",
            "active": "正常", "disabled": "已停用", "locked": "已锁定至 {until}", "disable": "停用", "enable": "启用",
            "reset": "重置密码", "new_password": "新密码", "reset_hint": "重置密码同时解除锁定。",
            "reset_done": "密码已重置，账户已解锁。", "actions": "操作",
            "keys_title": "API 密钥", "key_name": "名称", "created_at": "创建时间", "expires_at": "到期日期",
            "revoked_at": "吊销时间", "revoke": "吊销", "revoked": "已吊销", "valid": "有效", "expired": "已过期",
            "create_key": "创建密钥", "never": "不过期",
            "key_once": "这是新密钥，只显示这一次。请立即复制并妥善保存；关闭或刷新本页后无法再次查看。",
            "copy_key": "复制", "copied": "已复制。",
            "revoke_confirm": "吊销密钥“{name}”后，使用它的系统将无法访问，确定吗？",
            "disable_confirm": "停用用户 {username}？",
        },
    },
    "en": {
        "experts": {
            "title": "Expert pool", "filters": "Filters", "q": "Search", "field": "Field code", "status": "Status",
            "unit": "Unit USCC", "trained": "Training valid", "apply": "Filter",
            "sort": "Sort", "code": "Code", "name": "Name", "unit_name": "Unit", "title_col": "Title",
            "years": "Years", "fields": "Fields", "trained_until": "Trained until", "none": "No expert matches.",
            "error": "Could not read: ", "total": "{total} experts, page {page}/{pages}",
            "suspended_until": "Suspended until {date}", "training_expired": "Training expired",
            "never_trained": "Never trained", "sort_by": "Click to sort by this column",
            "previous": "Previous", "next": "Next", "import": "Import experts", "add": "Add an expert",
            "export_xlsx": "Export Excel",
            "export_csv": "Export CSV", "open": "Open",
        },
        "expert": {
            "title": "Expert {code}", "back": "Back to the pool", "profile": "Profile", "name": "Name",
            "birth_date": "Birth date", "unit_name": "Employer", "unit_uscc": "Employer USCC", "title_col": "Title",
            "years": "Years in field", "primary_field": "Primary field", "other_fields": "Other fields",
            "no_field": "(none)", "account_subject": "Expert account (user name)", "save": "Save changes",
            "saved": "Saved.", "unchanged": "Nothing changed.",
            "personal": "Personal data", "phone": "Phone", "id_number": "ID number", "bank_account": "Bank account",
            "show": "Show", "hide": "Mask",
            "personal_note": "Personal data is shown masked. Only pressing Show reads it whole, and each such "
                             "reading is logged in the audit log.",
            "new_value": "New value (blank keeps it)",
            "status_title": "Status", "status": "Current status", "reason": "Reason", "since": "Changed on",
            "suspended_until": "Suspended until", "change_status": "Change status", "new_status": "Change to",
            "to_active": "Reactivate", "to_suspended": "Suspend", "to_retired": "Retire",
            "status_changed": "Status changed.",
            "retire_confirm": "A retired expert is drawn no more (the records stay). Retire?",
            "training": "Training", "last_trained_on": "Last passed", "trained_until": "Valid until",
            "history": "History and records", "former_employers": "Former employers", "started_on": "From",
            "ended_on": "To", "certificates": "Certificates", "expires_on": "Expires",
            "bad_conduct": "Bad conduct", "occurred_on": "Date", "description": "What", "not_found": "No such expert.",
            "add_conduct": "Add a bad-conduct record",
            "conduct_note": "Records are only ever added; an expert with one in the last 3 years is not drawn.",
            "conduct_added": "Added.",
        },
        "import": {
            "title": "Import experts", "intro": "Upload an xlsx or csv file (UTF-8 or GB18030) made from the "
            "template. Every row is checked first and its problems listed; only on confirmation are the valid "
            "rows imported. A person already in the pool (same ID number) is updated.",
            "template": "Download the template (xlsx)", "template_csv": "Download the template (CSV)",
            "export_xlsx": "Export the pool (Excel)",
            "export_csv": "Export the pool (CSV)", "file": "File", "check": "Check the file",
            "reimport_xlsx": "Export for re-import (Excel)", "reimport_csv": "Export for re-import (CSV)",
            "cells_note": "For an expert already in the pool an empty optional cell keeps the stored value and a "
            "single “-” clears it. The ordinary export masks personal data and cannot be imported back; the export "
            "for re-import holds it in full, is recorded in the audit log and must be kept safe.",
            "checking": "Checking…", "confirm": "Import {count} rows", "importing": "Importing…",
            "rows": "{rows} rows: {valid} can be imported ({created} new, {updated} updated), "
                    "{unchanged} unchanged, {rejected} with problems.",
            "no_errors": "Every row can be imported.", "errors_title": "Rows with problems (not imported)",
            "row": "Row", "column": "Column", "message": "Problem", "nothing": "No row can be imported.",
            "done": "Imported: {created} new, {updated} updated, {rejected} rows not imported.",
            "to_list": "Open the pool", "choose_file": "Choose a file first.", "failed": "Import failed: ",
        },
        "fields": {
            "title": "Fields", "intro": "Two levels: top-level fields and their sub-fields. An expert holding a "
            "sub-field can fill a seat of its parent. Fields are never deleted, only retired; a retired field "
            "stays with the experts who hold it.",
            "code": "Code", "name_zh": "Chinese name", "name_en": "English name", "parent": "Parent", "state": "State",
            "top_level": "(top level)", "in_use": "In use", "retired": "Retired", "actions": "Actions",
            "rename": "Rename", "retire": "Retire", "restore": "Restore", "add": "Add the field",
            "add_title": "Add a field",
            "code_hint": "Capital letters, digits, underscore; a sub-field is PARENT.CODE, e.g. NET.BI",
            "retire_confirm": "Retire {code}? Experts can no longer be given it.",
        },
        "outbox": {
            "title": "Message outbox", "intro": "The latest invitation texts and voice calls to panel members (the "
            "recipient masked). The local outbox (development and demonstrations) sends nothing; its messages "
            "show in full here.",
            "created_at": "Created", "channel": "Channel", "recipient": "Recipient", "status": "Status",
            "attempts": "Attempts", "error": "Latest error", "text": "Text", "none": "No message yet.",
            "channels": {"sms": "SMS", "voice": "Voice"},
            "states": {"pending": "Waiting", "sent": "Sent", "failed": "Failed", "delivered": "Delivered"},
            "providers": {"local": "Local outbox", "alibaba": "Alibaba Cloud"}, "provider": "Provider",
        },
        "assessments": {
            "title_year": "Annual assessment {year}", "intro": "Each expert's year: invitations, acceptances, "
            "declines with and without a valid reason, no-shows, evaluation scores and training, and the grade the "
            "bureau's thresholds propose. An admin confirms each; a fail suspends the expert until a date or "
            "removes them, with the reason on the status and in the audit log.",
            "year": "Year", "show": "Show", "export_xlsx": "Export (Excel)", "print": "Print",
            "code": "Pool number", "name": "Name", "unit": "Employer", "invitations": "Invited",
            "accepted": "Accepted", "declined_valid": "Declined, valid reason",
            "declined_unexcused": "Declined, no reason",
            "no_shows": "No-shows", "scores": "Scores", "training": "Training", "proposed": "Proposed",
            "confirmed": "Confirmed", "confirm": "Confirm", "grade": "Grade", "outcome": "Outcome",
            "suspended_until": "Suspended until", "reason": "Reason (needed when not as proposed)",
            "confirm_button": "Confirm", "pending": "Pending", "average": "average", "until": "valid until",
            "grades": {"pass": "合格 (pass)", "basic": "基本合格 (basic pass)", "fail": "不合格 (fail)"},
            "outcomes": {"none": "None", "suspended": "Suspend", "retired": "Remove"},
            "training_states": {"valid": "Valid", "lapsed": "Lapsed", "never": "Never trained"},
            "thresholds": "Thresholds: fail at {fail_declines} declines without a valid reason, {fail_no_shows} "
            "no-shows or an average below {fail_score_below}; basic pass with any decline or no-show, an average "
            "below {pass_score} or no valid training at the year's end; pass otherwise.",
            "summary": "{total} experts, {confirmed} confirmed; pass {pass}, basic pass {basic}, fail {fail}.",
            "none": "No expert in the pool that year.", "loading": "Loading…", "load_failed": "Could not load: ",
        },
        "trainings": {
            "title": "Training", "intro": "An expert needs a training passed to be drawn; a pass counts for 12 months "
            "(the bureau's setting).", "attendees": "Attendees", "show_attendees": "Show attendees",
            "attendees_title": "{number} {title} ({held_on}): attendees", "expert_code": "Pool number",
            "expert_name": "Name", "unit": "Employer", "valid_until": "Training valid until",
            "no_attendees": "No attendance recorded yet.", "sessions": "Sessions", "id": "Session no.",
            "session_title": "Title", "held_on": "Date",
            "attended": "Attended", "passed_count": "Passed", "none": "No session yet.",
            "create": "New session", "create_button": "Create", "attendance": "Record results",
            "session": "Session", "codes": "Pool numbers (one a line)", "result": "Result", "pass": "Passed",
            "fail": "Failed", "record": "Record", "recorded": "Recorded: ",
            "pick_expert": "Pick experts by name", "pick_placeholder": "Name, unit or pool number",
            "pick_add": "Add to the list",
            "pick_unknown": "No expert in the pool matches “{text}”: type a name and pick from the list.",
            "pick_several": "{count} experts match “{text}”: pick one from the list.",
            "result_pass": "{code} passed, valid until {until}", "result_fail": "{code} failed",
            "choose_session": "Create or choose a session first.",
        },
        "accounts": {
            "title": "Units, users and API keys", "units": "Units", "uscc": "USCC", "unit_name": "Unit name",
            "add_unit": "Add the unit", "users": "Users", "username": "User name", "display_name": "Name",
            "unit": "Unit", "roles": "Roles", "password": "Initial password", "state": "State",
            "add_user": "Add the user",
            "password_hint": f"At least {MIN_PASSWORD_LENGTH} characters, without the user name; "
                             "tell the person by another channel.",
            "active": "Active", "disabled": "Disabled", "locked": "Locked until {until}", "disable": "Disable",
            "enable": "Enable", "reset": "Reset password", "new_password": "New password",
            "reset_hint": "A reset also unlocks the account.", "reset_done": "Password reset; account unlocked.",
            "actions": "Actions", "keys_title": "API keys", "key_name": "Name", "created_at": "Created",
            "expires_at": "Expires", "revoked_at": "Revoked", "revoke": "Revoke", "revoked": "Revoked",
            "valid": "Valid", "expired": "Expired", "create_key": "Create the key", "never": "Never",
            "key_once": "This is the new key, shown this once. Copy it now and keep it safe; it cannot be shown "
                        "again after this page is closed or reloaded.",
            "copy_key": "Copy", "copied": "Copied.",
            "revoke_confirm": "Revoke the key “{name}”? Systems using it lose access.",
            "disable_confirm": "Disable user {username}?",
        },
    },
}

_EN_API = PANEL_MESSAGES["en"]["api"]


def admin_text(lang: str, page: str) -> dict[str, Any]:
    """A page's words with the common ones, the statuses and the role names."""
    return {**_COMMON[lang], **_PAGES[lang][page], "statuses": STATUSES[lang], "role_names": ROLE_NAMES[lang]}


def admin_words(lang: str, page: str) -> dict[str, Any]:
    """What the page's script reads: its words and the API's texts in the page's language."""
    return {**admin_text(lang, page), "api": _ZH_API if lang == "zh" else _EN_API}


_NAVIGATION = {
    "zh": [("/admin/applications", "入库审核"),
           ("/admin/import", "导入专家"), ("/admin/fields", "专业领域"), ("/admin/trainings", "培训"),
           ("/admin/assessments", "年度考核"),
           ("/admin/accounts", "用户与密钥"), ("/admin/outbox", "消息发件箱")],
    "en": [("/admin/applications", "Applications"),
           ("/admin/import", "Import"), ("/admin/fields", "Fields"), ("/admin/trainings", "Training"),
           ("/admin/assessments", "Assessment"),
           ("/admin/accounts", "Users & keys"), ("/admin/outbox", "Outbox")],
}


def admin_navigation(roles: Collection[str], lang: str) -> list[tuple[str, str]]:
    """The layout's links to the admin pages after the expert pool's (console.py ``_navigation``)."""
    return list(_NAVIGATION[lang]) if Role.BUREAU_ADMIN.value in roles else []
