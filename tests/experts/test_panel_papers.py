"""The papers of a panel for the file: the 抽取记录表 with the project, the meeting, names and units
for those who may read the sealed list, every avoidance with its reason in Chinese and the
signature lines; the 专家签到表; the 评审劳务费发放表 with accounts masked except for bureau admins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from shared.clock import beijing_today
from shared.demo import demo_units
from tests.experts.helpers import admin, audit_entries, create_expert, direct_database
from tests.experts.test_panels import (
    ask_panel,
    build_pool,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
    supervisor,
)

NOTICE = {"venue": "平阳县行政中心 5 楼 502 会议室", "starts_at": {"morning": "09:00"}, "contact_name": "陈联系",
          "contact_phone": "13800138000"}
ORGANISER_PERSON = {"subject": "user:supervisor", "name": "李监督", "unit": "11330326862981311N",
                    "unit_name": "平阳县大数据发展管理局"}


async def drawn_panel(client, minter, **changes) -> tuple[dict, dict]:
    await register_project(client, minter)
    await build_pool(client, minter, 4)
    await create_expert(client, minter, name="业主员工", unit_uscc="12330326000000001H")  # the owner's: avoided
    body = panel_body(count=2, reserves=1, supervisor=ORGANISER_PERSON, organiser_unit_name="平阳县教育局",
                      **{**NOTICE, **changes})
    committed = await ask_panel(client, minter, body)
    return committed, await reveal(client, minter, committed["id"])


async def after_the_meeting(client) -> None:
    async with direct_database(client) as database, database.transaction() as session:
        await session.execute(text("UPDATE panels SET meeting_on = :day"),
                              {"day": beijing_today() - dt.timedelta(days=2)})


async def test_the_record_names_project_meeting_people_conditions_avoidances_and_results(experts_client,
                                                                                         minter) -> None:
    committed, draw = await drawn_panel(experts_client, minter)
    first = seated(draw)[0]
    await experts_client.post(f"/api/v1/draws/{committed['id']}/members/{first}/decline",
                              json={"channel": "phone", "reason": "身体原因"}, headers=organiser(minter))
    response = await experts_client.get(f"/api/v1/draws/{committed['id']}/printable", headers=organiser(minter))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    for expected in ("专家抽取记录表", "城市大脑", "P1", "技术审查", NOTICE["venue"], "上午 09:00",
                     "李监督（平阳县大数据发展管理局）", "平阳县教育局", "应用系统",  # APP by its Chinese name
                     "回避：现工作单位为回避单位", "项目建设单位", committed["commitment"], "2026年11月29日",
                     "专家APP", "身体原因", "电话", "组织人签字", "监督人签字",
                     '"第 " counter(page) " 页 共 " counter(pages) " 页"',
                     f"记录编号：{committed['id']}"):
        assert expected in page, expected
    assert "AVOID_EMPLOYER" not in page and ">APP<" not in page  # codes never stand for words


async def test_other_readers_get_pool_numbers_only_after_the_meeting_and_never_names(experts_client, minter) -> None:
    committed, draw = await drawn_panel(experts_client, minter)
    auditor = minter.headers("experts", "auditor")
    url = f"/api/v1/draws/{committed['id']}/printable"
    before = (await experts_client.get(url, headers=auditor)).text
    assert committed["commitment"] in before and "名单保密" in before
    assert not any(code in before for code in seated(draw)) and "专家APP" not in before
    await after_the_meeting(experts_client)
    after = (await experts_client.get(url, headers=auditor)).text
    assert all(code in after for code in seated(draw))
    assert "专家APP" not in after and "姓名" not in after  # names stay with the sealed list's readers
    assert "城市大脑" in after and NOTICE["venue"] in after


async def test_the_sign_in_sheet_lists_each_seated_member_for_the_organiser_only(experts_client, minter) -> None:
    committed, draw = await drawn_panel(experts_client, minter)
    url = f"/api/v1/draws/{committed['id']}/sign-in-sheet"
    page = (await experts_client.get(url, headers=organiser(minter))).text
    for expected in ("专家签到表", "城市大脑", NOTICE["venue"], "签到时间", "签名", "平阳县大数据发展管理局",
                     "应用系统", f"记录编号：{committed['id']}"):
        assert expected in page, expected
    assert page.count("专家APP") == len(seated(draw))
    assert (await experts_client.get(url, headers=supervisor(minter))).status_code == 200
    refused = await experts_client.get(url, headers=minter.headers("experts", "auditor"))
    assert refused.status_code == 403 and refused.json()["code"] == "panel.paper_names_members"


async def test_the_fee_sheet_pays_attended_half_days_and_masks_accounts_but_for_bureau_admins(experts_client,
                                                                                              minter) -> None:
    committed, draw = await drawn_panel(experts_client, minter, halves=["morning", "afternoon"],
                                        starts_at={"morning": "09:00", "afternoon": "14:30"})
    present, absent = sorted(seated(draw))
    await after_the_meeting(experts_client)
    members = f"/api/v1/draws/{committed['id']}/members"
    for code, attended in ((present, True), (absent, False)):
        body = {"attended": attended, "score": 90} if attended else {"attended": False}
        response = await experts_client.post(f"{members}/{code}/evaluation", json=body, headers=organiser(minter))
        assert response.status_code == 200, response.text
    url = f"/api/v1/draws/{committed['id']}/fee-sheet"
    page = (await experts_client.get(url, headers=organiser(minter))).text
    assert "评审劳务费发放表" in page and "**** 0123" in page, page[page.find("<tbody>", page.find("fees")):][:600]
    assert "6222021234567890123" not in page
    assert ">800<" in page and ">1600<" in page  # 2 half-days × 800 yuan (技术审查)
    names = await experts_client.get(f"/api/v1/experts/{absent}", headers=admin(minter))
    assert names.json()["name"] not in page  # only those recorded as attending
    whole = (await experts_client.get(url, headers=admin(minter))).text
    assert "6222021234567890123" in whole
    entry = next(e for e in await audit_entries(experts_client, minter) if e["action"] == "personal_data.unmasked"
                 and e["details"].get("fields") == ["bank_account"])
    assert entry["object_id"] == draw["panel"]["id"] and "6222021234567890123" not in str(entry)


async def test_the_record_names_each_avoided_vendor_with_its_reason_in_chinese(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    vendor = {"unit_uscc": "91330326MA2CT8U7X5", "unit_name": "浙江鳌江信息技术有限公司",
              "reason": "vendor: engaged as construction on lot L1; bidder on lot L2"}
    named = {"unit_uscc": demo_units()[2].uscc, "reason": "与项目承建方同属一个集团"}
    committed = await ask_panel(experts_client, minter, panel_body(count=1, avoid_units=[vendor, named]))
    page = (await experts_client.get(f"/api/v1/draws/{committed['id']}/printable", headers=organiser(minter))).text
    for expected in ("浙江鳌江信息技术有限公司", "供应商：承担本项目建设/集成（标段 L1）；投标人（标段 L2）",
                     f'<span class="unit" data-uscc="{demo_units()[2].uscc}">', "与项目承建方同属一个集团"):
        assert expected in page, expected
    assert "engaged as" not in page and "bidder on" not in page
