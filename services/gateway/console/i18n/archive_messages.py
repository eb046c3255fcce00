"""The words of the draw archive, the organiser's desk, the spot check of self-evaluations (Art. 25)
and the public bulletin, in Chinese and English. Templates read them as ``a.key`` beside ``p`` (the
panel pages' words, panel_messages.py)."""

from __future__ import annotations

from typing import Any

# The national rule the bulletin's setting follows. Cited, not quoted: the article has the result notice of a
# procurement list, among what it contains, the evaluation experts (评审专家名单).
PROCUREMENT_CITATION = {
    "zh": "《中华人民共和国政府采购法实施条例》（国务院令第658号）第四十三条",
    "en": ("Art. 43 of the Regulations for the Implementation of the Government Procurement Law of the People's "
           "Republic of China (《中华人民共和国政府采购法实施条例》, State Council Decree No. 658)"),
}

ARCHIVE_MESSAGES: dict[str, dict[str, Any]] = {
    "zh": {
        "nav_archive": "抽取档案",
        "nav_spot_checks": "自评报告抽查",
        "archive_title": "抽取档案",
        "archive_intro": ("按项目、用途、状态、日期、组织人、监督人和专业领域查找抽取记录。"
                          "档案只列抽取概况，不显示任何专家；评审组名单在评审会结束前保密，请在抽取页面查看。"),
        "project": "项目（编号或名称）",
        "purpose": "用途",
        "status": "状态",
        "since": "抽取日期自",
        "until": "至",
        "organiser": "组织人",
        "supervisor": "监督人",
        "field": "专业领域代码",
        "any": "全部",
        "search": "查询",
        "reset": "清空条件",
        "total": "共 {total} 条",
        "none_found": "没有符合条件的抽取记录。",
        "col_draw": "抽取编号",
        "col_project": "项目",
        "col_purpose": "用途",
        "col_status": "状态",
        "col_committed": "抽取时间",
        "col_meeting": "评审日期",
        "col_organiser": "组织人",
        "col_supervisor": "监督人",
        "col_fields": "抽取领域及人数",
        "col_excluded": "排除人数",
        "previous": "上一页",
        "next": "下一页",
        "page_of": "第 {page} 页，共 {pages} 页",
        "export_title": "年度抽取记录导出",
        "export_intro": ("导出某年度的全部抽取记录（表格），或其 JSON 记录压缩包"
                         "（含公钥集，可用 {command} 离线逐一校验）。评审会未结束的名单对无权查看者不导出。"),
        "year": "年度",
        "export_xlsx": "导出 Excel",
        "export_csv": "导出 CSV",
        "export_zip": "下载 JSON 记录压缩包",
        "open_prefix_hint": "可填写完整抽取编号，或其前至少 8 位。",
        "kinds": {"panel": "评审组抽取", "supplementary": "补抽", "spot_check": "自评报告抽查"},
        # The organiser's desk
        "desk_witness": "待监督人见证的抽取",
        "desk_answers": "待专家答复的评审组",
        "desk_evaluation": "待评价的评审组",
        "desk_recent": "本单位最近的抽取",
        "desk_empty": "暂无。",
        "desk_unavailable": "专家库服务暂时无法应答，请稍后刷新。",
        "desk_archive_link": "查看全部抽取档案",
        "view": "查看",
        "call_sheet": "通知单",
        # The spot check of self-evaluations (Art. 25)
        "spot_title": "自评报告抽查",
        "spot_intro": ("按《平阳县县级党政机关信息化项目建设管理办法》（平政办〔2021〕59号）第二十五条，"
                       "每年度结束后从已提交的自评报告中随机抽取 10% 进行抽查：当年的申报自评报告，"
                       "以及上一年度完成项目的绩效自评报告，两类分别抽取。"
                       "每年度只抽取一次；如需重新抽取，须先说明理由取消原抽取。"),
        "register_title": "{year} 年度已提交的自评报告",
        "register_empty": "该年度尚未登记自评报告。",
        "register_count": "申报自评报告 {application} 份，绩效自评报告 {performance} 份。",
        "self_kinds": {"application": "申报自评报告", "performance": "绩效自评报告"},
        "col_kind": "类别",
        "col_unit": "提交单位",
        "col_submitted": "提交日期",
        "col_recorded_by": "登记人",
        "add_title": "登记已提交的自评报告",
        "project_code": "项目编号",
        "kind": "类别",
        "submitted_on": "提交日期",
        "unit_uscc": "提交单位统一社会信用代码（本单位可不填）",
        "add_button": "登记",
        "draw_title": "抽取 {year} 年度自评报告",
        "draw_intro": "抽取将按 sortes-draw/1 承诺，由所填监督人当场输入见证值后揭示。",
        "draw_supervisor": "监督人用户名",
        "draw_button": "承诺抽取",
        "draw_not_yet": "{year} 年度尚未结束，年度结束后才能抽取。",
        "draws_title": "{year} 年度自评报告抽查记录",
        "draws_empty": "该年度尚未抽取。",
        "sample": "抽中的自评报告",
        "sample_size": "抽查数量",
        "reports": "{n} 份",
        "reports_of": "共提交 {n} 份",
        # The public bulletin
        "bulletin_title": "专家抽取公示",
        "bulletin_intro": ("评审会结束后，这里公示本县每次专家抽取的承诺值、排除人数和抽取结果（专家库编号），"
                           "并提供抽取记录下载；任何人都可在浏览器中一键校验，确认专家由随机抽取产生、无人指定。"
                           "评审会结束前，不公示该评审组的任何信息。"),
        "bulletin_names_on": ("按本县设置，公示列出专家姓名"
                              "（参照{citation}关于中标、成交结果公告列明评审专家名单的规定）。"),
        "bulletin_names_off": "按本县设置，公示只列专家库编号，不列姓名。",
        "bulletin_empty": "暂无可公示的抽取。",
        "col_date": "评审日期",
        "col_commitment": "承诺值",
        "col_exclusions": "排除人数",
        "col_result": "抽取结果",
        "primaries": "正选",
        "reserves": "候补",
        "download_record": "下载记录",
        "verify_record": "一键校验",
        "exclusion_total": "共 {count} 人次",
    },
    "en": {
        "nav_archive": "Draw archive",
        "nav_spot_checks": "Self-evaluation spot checks",
        "archive_title": "Draw archive",
        "archive_intro": "Find draws by project, purpose, status, date, organiser, supervisor and field. The archive "
                         "lists the draws' facts, never an expert; a panel's list stays sealed until its meeting has "
                         "ended and is read on the draw's page.",
        "project": "Project (code or name)",
        "purpose": "Purpose",
        "status": "Status",
        "since": "Drawn from",
        "until": "to",
        "organiser": "Organiser",
        "supervisor": "Supervisor",
        "field": "Field code",
        "any": "Any",
        "search": "Search",
        "reset": "Clear",
        "total": "{total} found",
        "none_found": "No draw matches.",
        "col_draw": "Draw",
        "col_project": "Project",
        "col_purpose": "Purpose",
        "col_status": "Status",
        "col_committed": "Drawn at",
        "col_meeting": "Meeting",
        "col_organiser": "Organiser",
        "col_supervisor": "Supervisor",
        "col_fields": "Fields and seats",
        "col_excluded": "Left out",
        "previous": "Previous",
        "next": "Next",
        "page_of": "Page {page} of {pages}",
        "export_title": "A year's draws",
        "export_intro": "Export a year's draws as a sheet, or their JSON records as a zip with the key set (each "
                        "checks offline with {command}). Lists still sealed to you are left out.",
        "year": "Year",
        "export_xlsx": "Export Excel",
        "export_csv": "Export CSV",
        "export_zip": "Download the JSON records (zip)",
        "open_prefix_hint": "The full draw number, or at least its first 8 characters.",
        "kinds": {"panel": "Panel", "supplementary": "Supplementary", "spot_check": "Self-evaluation spot check"},
        "desk_witness": "Draws awaiting the witness",
        "desk_answers": "Panels awaiting answers",
        "desk_evaluation": "Panels awaiting evaluation",
        "desk_recent": "My unit's latest draws",
        "desk_empty": "None.",
        "desk_unavailable": "The experts service cannot answer right now; refresh shortly.",
        "desk_archive_link": "The whole draw archive",
        "view": "View",
        "call_sheet": "Call sheet",
        "spot_title": "Self-evaluation spot checks",
        "spot_intro": "Art. 25: once a year has ended, 10% of the submitted self-evaluations are drawn for a spot "
                      "check — the year's application self-evaluations and the performance self-evaluations of "
                      "projects completed the year before, each kind drawn from its own list. Once a year; to draw "
                      "again, cancel the first draw with a reason.",
        "register_title": "Self-evaluations submitted for {year}",
        "register_empty": "No self-evaluation entered for this year.",
        "register_count": "{application} application and {performance} performance self-evaluations.",
        "self_kinds": {"application": "Application self-evaluation", "performance": "Performance self-evaluation"},
        "col_kind": "Kind",
        "col_unit": "Unit",
        "col_submitted": "Submitted on",
        "col_recorded_by": "Entered by",
        "add_title": "Enter a submitted self-evaluation",
        "project_code": "Project code",
        "kind": "Kind",
        "submitted_on": "Submitted on",
        "unit_uscc": "Submitting unit's USCC (your own unit if blank)",
        "add_button": "Enter",
        "draw_title": "Draw the spot check of {year}",
        "draw_intro": "Committed with sortes-draw/1; the named supervisor reveals it with a witness.",
        "draw_supervisor": "Supervisor's user name",
        "draw_button": "Commit the draw",
        "draw_not_yet": "{year} has not ended; its spot check is drawn afterwards.",
        "draws_title": "Spot checks of {year}",
        "draws_empty": "Not drawn yet.",
        "sample": "Self-evaluations drawn",
        "sample_size": "Sample",
        "reports": "{n}",
        "reports_of": "of {n} submitted",
        "bulletin_title": "Expert draw bulletin",
        "bulletin_intro": "Once a panel's meeting has ended, each of the county's expert draws is shown here with its "
                          "commitment, how many experts were left out and the result by pool number, with its record "
                          "to download and check in the browser in one click: anyone can see that nobody chose the "
                          "experts. Nothing about a panel is shown before its meeting has ended.",
        "bulletin_names_on": "The county's setting names the members (as {citation} has procurement result notices "
                             "list the evaluation experts).",
        "bulletin_names_off": "The county's setting shows pool numbers only, no names.",
        "bulletin_empty": "No draw to show yet.",
        "col_date": "Meeting",
        "col_commitment": "Commitment",
        "col_exclusions": "Left out",
        "col_result": "Result",
        "primaries": "Primaries",
        "reserves": "Reserves",
        "download_record": "Download the record",
        "verify_record": "Verify",
        "exclusion_total": "{count} in all",
    },
}


def archive_words(lang: str) -> dict[str, Any]:
    words = ARCHIVE_MESSAGES[lang]
    return {"a": words, "citation": PROCUREMENT_CITATION[lang]}
