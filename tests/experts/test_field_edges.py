"""Edges of the field taxonomy: renames, retiring twice, restoring (and the parent that must be active
first), the audit action and before/after of each change, and which fields a seat asked for takes."""

from __future__ import annotations

import datetime as dt

from shared.audit.chain import change_digest
from tests.experts.helpers import admin, audit_entries, create_expert

MEETING = dt.date.today() + dt.timedelta(days=12)


def view(code: str, parent: str | None, name_zh: str, name_en: str, retired: bool) -> dict:
    return {"code": code, "parent_code": parent, "name_zh": name_zh, "name_en": name_en, "retired": retired}


def digest(client, state: dict) -> str | None:
    """The keyed digest the audit log keeps of one side of a change."""
    recorder = client.app.state.audit
    return change_digest(recorder.digest_key, state, recorder.profile)


async def field_changes(client, minter, code: str) -> list[tuple[str, str | None, str | None]]:
    """The field's audit entries, oldest first: action, before digest, after digest."""
    entries = sorted(await audit_entries(client, minter, object_id=code), key=lambda entry: entry["seq"])
    return [(e["action"], e["before_digest"], e["after_digest"]) for e in entries if e["object_type"] == "field"]


async def patch(client, minter, code: str, body: dict):
    return await client.patch(f"/api/v1/fields/{code}", json=body, headers=admin(minter))


async def test_a_rename_is_audited_as_field_updated_with_before_and_after_and_leaves_the_field_active(
        experts_client, minter) -> None:
    before = view("NET", None, "信息网络", "Information networks", False)
    renamed = await patch(experts_client, minter, "NET", {"name_zh": "网络工程", "name_en": "Networks"})
    assert renamed.status_code == 200, renamed.text
    after = view("NET", None, "网络工程", "Networks", False)
    assert renamed.json() == after
    assert await field_changes(experts_client, minter, "NET") == [
        ("field.updated", digest(experts_client, before), digest(experts_client, after))]
    listed = (await experts_client.get("/api/v1/fields", headers=admin(minter))).json()
    assert after in listed and view("NET.BI", "NET", "楼宇智能化", "Building intelligence", False) in listed


async def test_a_patch_that_changes_nothing_writes_no_audit_entry(experts_client, minter) -> None:
    same = await patch(experts_client, minter, "APP", {"name_zh": "应用系统", "retired": False})
    assert same.status_code == 200, same.text
    assert same.json() == view("APP", None, "应用系统", "Application systems", False)
    assert await field_changes(experts_client, minter, "APP") == []


async def test_retiring_is_audited_as_field_retired_and_retiring_again_changes_nothing(experts_client, minter) -> None:
    active = view("COST", None, "造价与财务", "Cost and finance", False)
    retired = view("COST", None, "造价与财务", "Cost and finance", True)
    first = await patch(experts_client, minter, "COST", {"retired": True})
    assert first.status_code == 200 and first.json() == retired
    again = await patch(experts_client, minter, "COST", {"retired": True})
    assert again.status_code == 200, again.text
    assert again.json() == retired
    assert await field_changes(experts_client, minter, "COST") == [
        ("field.retired", digest(experts_client, active), digest(experts_client, retired))]


async def test_renaming_a_retired_field_keeps_it_retired(experts_client, minter) -> None:
    assert (await patch(experts_client, minter, "SUPV", {"retired": True})).status_code == 200
    renamed = await patch(experts_client, minter, "SUPV", {"name_en": "Supervision"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == view("SUPV", None, "项目监理", "Supervision", True)
    assert [action for action, _, _ in await field_changes(experts_client, minter, "SUPV")] == [
        "field.retired", "field.updated"]


async def test_a_sub_field_is_restored_only_once_its_retired_parent_is_restored(experts_client, minter) -> None:
    for code in ("NET.BI", "NET.MR", "NET"):
        response = await patch(experts_client, minter, code, {"retired": True})
        assert response.status_code == 200, response.text
    refused = await patch(experts_client, minter, "NET.BI", {"retired": False})
    assert refused.status_code == 409
    assert refused.json()["code"] == "field_taxonomy.parent_retired_restore"
    assert refused.json()["params"] == {"field": "NET.BI", "parent": "NET"}
    assert [action for action, _, _ in await field_changes(experts_client, minter, "NET.BI")] == ["field.retired"]

    parent = await patch(experts_client, minter, "NET", {"retired": False})
    assert parent.status_code == 200, parent.text
    assert parent.json() == view("NET", None, "信息网络", "Information networks", False)
    assert await field_changes(experts_client, minter, "NET") == [
        ("field.retired", digest(experts_client, view("NET", None, "信息网络", "Information networks", False)),
         digest(experts_client, view("NET", None, "信息网络", "Information networks", True))),
        ("field.restored", digest(experts_client, view("NET", None, "信息网络", "Information networks", True)),
         digest(experts_client, view("NET", None, "信息网络", "Information networks", False)))]

    child = await patch(experts_client, minter, "NET.BI", {"retired": False})
    assert child.status_code == 200, child.text
    restored = view("NET.BI", "NET", "楼宇智能化", "Building intelligence", False)
    assert child.json() == restored
    assert await field_changes(experts_client, minter, "NET.BI") == [
        ("field.retired", digest(experts_client, restored),
         digest(experts_client, {**restored, "retired": True})),
        ("field.restored", digest(experts_client, {**restored, "retired": True}), digest(experts_client, restored))]


async def test_restoring_a_field_that_is_not_retired_changes_nothing(experts_client, minter) -> None:
    top = await patch(experts_client, minter, "DATA", {"retired": False})
    assert top.status_code == 200 and top.json() == view("DATA", None, "数据资源", "Data resources", False)
    sub = await patch(experts_client, minter, "NET.MR", {"retired": False})
    assert sub.status_code == 200 and sub.json() == view("NET.MR", "NET", "机房工程", "Machine rooms", False)
    assert await field_changes(experts_client, minter, "DATA") == []
    assert await field_changes(experts_client, minter, "NET.MR") == []


async def test_asking_for_unknown_fields_names_exactly_each_unknown_one(experts_client, minter) -> None:
    body = {"fields": ["APP", "NOPE", "NET", "ZZZ"], "meeting_on": MEETING.isoformat()}
    response = await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "field_taxonomy.unknown_fields"
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        ("fields[1]", "field_taxonomy.unknown"), ("fields[3]", "field_taxonomy.unknown")]


async def test_a_parent_seat_takes_its_sub_fields_and_a_sub_field_seat_only_its_own(experts_client, minter) -> None:
    parent = (await create_expert(experts_client, minter, name="网络", fields=[{"code": "NET", "primary": True}]))
    child = (await create_expert(experts_client, minter, name="楼宇", fields=[{"code": "NET.BI", "primary": True}]))
    other = (await create_expert(experts_client, minter, name="应用", fields=[{"code": "APP", "primary": True}]))
    body = {"fields": ["NET", "NET.BI", "APP"], "meeting_on": MEETING.isoformat()}
    response = await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))
    assert response.status_code == 200, response.text
    assert {field: sorted(codes) for field, codes in response.json()["eligible"].items()} == {
        "NET": sorted([parent["code"], child["code"]]), "NET.BI": [child["code"]], "APP": [other["code"]]}
