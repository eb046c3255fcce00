"""The bureau admin's console pages: the expert pool list with its filters, sorting and pages.

The page is a shell rendered on the server; its script (static/admin-experts.js) reads
``GET /api/v1/experts`` with the session cookie, as any console page's API call.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from services.gateway.domain.messages import language
from services.gateway.routes.console import _session_token, page
from shared.errors import NotPermitted
from shared.identity import Identity
from shared.roles import Role

ADMIN_TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "专家库", "filters": "筛选", "q": "关键字", "field": "专业代码", "status": "状态",
        "unit": "单位代码", "trained": "培训有效", "all": "全部", "yes": "是", "no": "否", "apply": "筛选",
        "sort": "排序", "code": "编号", "name": "姓名", "unit_name": "单位", "title_col": "职称",
        "years": "从业年限", "fields": "专业", "trained_until": "培训有效至", "none": "没有符合条件的专家。",
        "loading": "正在读取……", "error": "读取失败：", "total": "共 {total} 名，第 {page}/{pages} 页",
        "previous": "上一页", "next": "下一页",
        "statuses": {"active": "在库", "suspended": "暂停", "retired": "退出"},
    },
    "en": {
        "title": "Expert pool", "filters": "Filters", "q": "Search", "field": "Field code", "status": "Status",
        "unit": "Unit USCC", "trained": "Training valid", "all": "All", "yes": "Yes", "no": "No", "apply": "Filter",
        "sort": "Sort", "code": "Code", "name": "Name", "unit_name": "Unit", "title_col": "Title",
        "years": "Years", "fields": "Fields", "trained_until": "Trained until", "none": "No expert matches.",
        "loading": "Loading…", "error": "Could not read: ", "total": "{total} experts, page {page}/{pages}",
        "previous": "Previous", "next": "Next",
        "statuses": {"active": "Active", "suspended": "Suspended", "retired": "Retired"},
    },
}


@get("/admin/experts", include_in_schema=False)
async def experts_page(request: Request) -> Template:
    identity: Identity = request.user
    if Role.BUREAU_ADMIN.value not in identity.roles:
        raise NotPermitted("The expert pool pages are for bureau admins.")
    return page(request, "console/admin_experts.html", user=identity, session_token=_session_token(request),
                a=ADMIN_TEXT[language(request)])


ADMIN_PAGES = [experts_page]
