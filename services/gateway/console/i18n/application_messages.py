"""The words of the pages for joining the pool and changing an entry (pages/applications.py): the public
application page, the bureau admin's review queue and form to add one expert, and the expert's own
change requests; in Chinese and English.

As on the admin pages (admin_messages.py), templates read them as ``a.<key>`` and the page's script
the same words with the API's texts (``api``) as the ``#admin-words`` JSON block.
"""

from __future__ import annotations

from typing import Any

from services.gateway.console.i18n.admin_messages import admin_words

APPLICATION_STATUSES = {"zh": {"pending": "待审核", "approved": "已通过", "rejected": "未通过"},
                        "en": {"pending": "Under review", "approved": "Approved", "rejected": "Rejected"}}
KINDS = {"zh": {"self": "个人申请", "recommended": "单位推荐"}, "en": {"self": "Own application",
                                                                   "recommended": "Recommended by a unit"}}

_PROFILE = {
    "zh": {"name": "姓名", "birth_date": "出生日期", "unit_name": "工作单位", "unit_uscc": "单位统一社会信用代码",
           "title_col": "职称", "years": "从业年限", "primary_field": "主专业领域", "other_fields": "其他专业领域",
           "no_field": "（不选）", "id_number": "身份证号", "phone": "手机号码", "bank_account": "银行账号",
           "certificate": "资格证书", "expires_on": "证书有效期至", "choose": "请选择",
           "primary_mark": "（主）"},
    "en": {"name": "Name", "birth_date": "Date of birth", "unit_name": "Employer", "unit_uscc": "Employer's USCC",
           "title_col": "Title", "years": "Years in the field", "primary_field": "Main field",
           "other_fields": "Other fields", "no_field": "(none)", "id_number": "ID number", "phone": "Mobile phone",
           "bank_account": "Bank account", "certificate": "Certificate", "expires_on": "Certificate valid until",
           "choose": "Choose", "primary_mark": " (main)"},
}

_PAGES: dict[str, dict[str, dict[str, Any]]] = {
    "zh": {
        "apply": {
            "title": "专家入库申请",
            "intro": "申请进入评审专家库。提交后由大数据局管理员审核；通过后分配专家编号，参加培训后方可被抽取。",
            "personal_note": "身份证号和手机号码加密保存，只有大数据局管理员可以查看。",
            "submit": "提交申请", "submitting": "正在提交……",
            "submitted": "申请已提交。申请编号：{number}，查询码：{receipt_code}。",
            "keep_code": "请记下申请编号和查询码：查询码只显示这一次，凭两者查询审核结果。",
            "status_title": "查询审核结果", "number": "申请编号", "receipt_code": "查询码", "look_up": "查询",
            "status": "审核状态", "decided_on": "审核日期", "reason": "原因", "expert_code": "专家编号",
            "fields_unavailable": "暂时无法读取专业领域，请稍后再试。",
        },
        "recommend": {
            "title": "推荐专家入库", "intro": "本单位推荐人员进入评审专家库，由大数据局管理员审核。",
            "personal_note": "身份证号和手机号码加密保存，只有大数据局管理员可以查看。",
            "submit": "提交推荐", "submitted": "已提交推荐，申请编号 {number}，等待审核。",
            "mine": "本单位的推荐", "number": "申请编号", "status": "审核状态", "reason": "原因",
            "expert_code": "专家编号", "submitted_at": "提交时间", "none": "本单位还没有推荐。",
            "fields_unavailable": "暂时无法读取专业领域，请稍后再试。",
        },
        "applications": {
            "title": "入库审核",
            "intro": "个人申请和单位推荐的入库申请，以及专家提交的信息变更。通过申请即入库（分配专家编号，"
                     "培训待完成）；不通过须填写原因。",
            "applications": "入库申请", "status_filter": "状态", "number": "申请编号", "kind": "来源",
            "applicant": "申请人", "unit": "工作单位", "title_col": "职称与证书", "years": "年限", "fields": "专业",
            "personal": "身份证号 / 手机", "submitted_at": "提交时间", "decision": "审核",
            "duplicate": "已在库：{expert}", "reason": "原因（不通过时必填）", "approve": "通过", "reject": "不通过",
            "approved_as": "已通过，专家编号 {expert}", "rejected": "未通过：{reason}", "none": "没有入库申请。",
            "changes": "信息变更申请", "change_number": "变更编号", "expert": "专家", "proposed": "申请修改",
            "current": "当前", "left_on": "离开原单位日期（默认审核当天）", "no_changes": "没有信息变更申请。",
            "change_labels": {"phone": "手机号码", "unit_name": "工作单位", "unit_uscc": "单位代码", "title": "职称",
                              "fields": "专业领域", "left_on": "离开原单位"},
            "decided": "已审核", "by_unit": "（{unit}）", "valid_until": "（有效期至 {day}）",
            "total": "共 {total} 份，第 {page}/{pages} 页", "previous": "上一页", "next": "下一页",
        },
        "expert_new": {
            "title": "添加专家", "intro": "逐个添加一名专家，检查与批量导入相同；保存后分配专家编号。",
            "last_trained_on": "最近培训合格日期", "account_subject": "专家账户（用户名）",
            "save": "添加专家", "back": "返回专家库", "created": "已添加，专家编号 {code}。",
        },
        "my_changes": {
            "title": "修改我的信息", "intro": "提交后由大数据局管理员审核，通过后才生效。只填写要修改的项目。",
            "current": "当前信息", "left_on": "离开原单位日期（更换单位时填写，可不填）",
            "submit": "提交修改申请", "submitted": "已提交，变更编号 {number}，等待审核。",
            "mine": "我的修改申请", "number": "变更编号", "proposed": "申请修改", "status": "状态",
            "reason": "审核意见", "none": "还没有修改申请。",
            "not_linked": "当前账户未关联专家库中的专家，请联系大数据局管理员。",
            "change_labels": {"phone": "手机号码", "unit_name": "工作单位", "unit_uscc": "单位代码", "title": "职称",
                              "fields": "专业领域", "left_on": "离开原单位"},
        },
    },
    "en": {
        "apply": {
            "title": "Apply to join the expert pool",
            "intro": "A bureau admin reviews each application; once approved you get a pool number, and after "
                     "training you can be drawn.",
            "personal_note": "The ID number and phone are stored encrypted; only bureau admins can read them.",
            "submit": "Submit the application", "submitting": "Submitting…",
            "submitted": "Submitted. Application number: {number}, receipt code: {receipt_code}.",
            "keep_code": "Write down the application number and receipt code: the code is shown this once, and "
                         "both are needed to see the outcome.",
            "status_title": "See the outcome", "number": "Application number", "receipt_code": "Receipt code",
            "look_up": "Look up", "status": "Status", "decided_on": "Decided on", "reason": "Reason",
            "expert_code": "Pool number", "fields_unavailable": "The fields cannot be read now; try again later.",
        },
        "recommend": {
            "title": "Recommend an expert", "intro": "Your unit recommends a person for the expert pool; a bureau "
                                                     "admin reviews the recommendation.",
            "personal_note": "The ID number and phone are stored encrypted; only bureau admins can read them.",
            "submit": "Recommend", "submitted": "Recommended as application {number}; awaiting review.",
            "mine": "Your unit's recommendations", "number": "Application", "status": "Status",
            "reason": "Reason", "expert_code": "Pool number", "submitted_at": "Submitted",
            "none": "No recommendation yet.", "fields_unavailable": "The fields cannot be read now; try again later.",
        },
        "applications": {
            "title": "Applications and changes",
            "intro": "Own applications and units' recommendations to join the pool, and the changes experts "
                     "propose. Approving enters the pool (a pool number, training pending); a rejection needs "
                     "a reason.",
            "applications": "Applications to join", "status_filter": "Status", "number": "No.", "kind": "From",
            "applicant": "Applicant", "unit": "Employer", "title_col": "Title and certificates",
            "years": "Years", "fields": "Fields",
            "personal": "ID / phone", "submitted_at": "Submitted", "decision": "Decision",
            "duplicate": "Already in the pool: {expert}", "reason": "Reason (required to reject)",
            "approve": "Approve", "reject": "Reject", "approved_as": "Approved, pool number {expert}",
            "rejected": "Rejected: {reason}", "none": "No application.",
            "changes": "Proposed changes", "change_number": "No.", "expert": "Expert", "proposed": "Proposed",
            "current": "Now", "left_on": "Left the old employer on (default: today)", "no_changes": "No change.",
            "change_labels": {"phone": "Phone", "unit_name": "Employer", "unit_uscc": "Employer's USCC",
                              "title": "Title", "fields": "Fields", "left_on": "Left old employer"},
            "decided": "Decided", "by_unit": " ({unit})", "valid_until": " (valid until {day})",
            "total": "{total} applications, page {page}/{pages}", "previous": "Previous", "next": "Next",
        },
        "expert_new": {
            "title": "Add an expert", "intro": "One expert at a time, checked as an import is; the pool number is "
                                               "given on saving.",
            "last_trained_on": "Last passed training on", "account_subject": "Expert's account (user name)",
            "save": "Add the expert", "back": "Back to the pool", "created": "Added as {code}.",
        },
        "my_changes": {
            "title": "Change my details", "intro": "A bureau admin reviews each request; nothing changes before. "
                                                   "Fill in only what changes.",
            "current": "Now", "left_on": "Left the old employer on (with a new employer; optional)",
            "submit": "Propose the changes", "submitted": "Proposed as {number}; awaiting review.",
            "mine": "My requests", "number": "No.", "proposed": "Proposed", "status": "Status",
            "reason": "Reviewer's note", "none": "No request yet.",
            "not_linked": "This account is not linked to an expert of the pool; ask a bureau admin.",
            "change_labels": {"phone": "Phone", "unit_name": "Employer", "unit_uscc": "Employer's USCC",
                              "title": "Title", "fields": "Fields", "left_on": "Left old employer"},
        },
    },
}


def application_text(lang: str, page: str) -> dict[str, Any]:
    """A page's words, with the profile's, the statuses and the kinds of application."""
    common = admin_words(lang, "experts")
    return {**{key: common[key] for key in ("saving", "saved", "loading", "load_failed", "none", "all")},
            "statuses": common["statuses"], **_PROFILE[lang], **_PAGES[lang][page],
            "application_statuses": APPLICATION_STATUSES[lang], "kinds": KINDS[lang]}


def application_words(lang: str, page: str) -> dict[str, Any]:
    """What the page's script reads: its words and the API's texts in the page's language."""
    return {**application_text(lang, page), "api": admin_words(lang, "experts")["api"]}
