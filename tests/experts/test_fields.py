"""The field taxonomy: seeded defaults, two levels kept by bureau admins, retiring without losing history."""

from __future__ import annotations

from tests.experts.helpers import admin, audit_entries, create_expert, profile


async def test_the_default_taxonomy_is_seeded(experts_client, minter) -> None:
    response = await experts_client.get("/api/v1/fields", headers=minter.headers("experts", "expert"))
    fields = {field["code"]: field for field in response.json()}
    assert {"NET", "NET.BI", "NET.MR", "DC", "CLOUD", "APP", "SEC", "CRYPTO", "DATA", "SUPV", "COST"} <= set(fields)
    assert fields["NET.MR"]["parent_code"] == "NET" and fields["NET.MR"]["name_zh"] == "机房工程"


async def test_an_admin_adds_a_sub_field_and_the_change_is_audited(experts_client, minter) -> None:
    body = {"code": "SEC.PEN", "parent_code": "SEC", "name_zh": "渗透测试", "name_en": "Penetration testing"}
    created = await experts_client.post("/api/v1/fields", json=body, headers=admin(minter))
    assert created.status_code == 201, created.text
    assert created.json() == {**body, "retired": False}
    assert [e["action"] for e in await audit_entries(experts_client, minter, object_id="SEC.PEN")] == ["field.created"]
    again = await experts_client.post("/api/v1/fields", json=body, headers=admin(minter))
    assert again.status_code == 409


async def test_the_taxonomy_has_two_levels(experts_client, minter) -> None:
    body = {"code": "NET.BI.X", "parent_code": "NET.BI", "name_zh": "三级", "name_en": "Third level"}
    response = await experts_client.post("/api/v1/fields", json=body, headers=admin(minter))
    assert response.status_code == 422
    deeper = {"code": "NETX", "parent_code": "NET.BI", "name_zh": "三级", "name_en": "Third level"}
    response = await experts_client.post("/api/v1/fields", json=deeper, headers=admin(minter))
    assert [error["field"] for error in response.json()["errors"]] == ["parent_code"]


async def test_only_bureau_admins_edit_fields(experts_client, minter) -> None:
    body = {"code": "GIS", "name_zh": "地理信息", "name_en": "GIS"}
    response = await experts_client.post("/api/v1/fields", json=body, headers=minter.headers("experts", "organiser"))
    assert response.status_code == 403
    renamed = await experts_client.patch("/api/v1/fields/APP", json={"name_zh": "应用"},
                                         headers=minter.headers("experts", "auditor"))
    assert renamed.status_code == 403


async def test_a_retired_field_stays_with_its_experts_but_is_not_assigned_anew(experts_client, minter) -> None:
    holder = await create_expert(experts_client, minter, fields=[{"code": "COST", "primary": True}])
    retired = await experts_client.patch("/api/v1/fields/COST", json={"retired": True}, headers=admin(minter))
    assert retired.status_code == 200 and retired.json()["retired"] is True
    fields = (await experts_client.get("/api/v1/fields", headers=admin(minter))).json()
    assert {"code": "COST", "parent_code": None, "name_zh": "造价与财务", "name_en": "Cost and finance",
            "retired": True} in fields
    kept = await experts_client.get(f"/api/v1/experts/{holder['code']}", headers=admin(minter))
    assert kept.json()["fields"] == [{"code": "COST", "primary": True}]
    # Editing the holder's other data keeps the retired field; giving it to someone new is refused.
    edited = await experts_client.patch(f"/api/v1/experts/{holder['code']}",
                                        json={"fields": [{"code": "COST", "primary": True}, {"code": "APP"}]},
                                        headers=admin(minter))
    assert edited.status_code == 200, edited.text
    refused = await experts_client.post("/api/v1/experts", json=profile(fields=[{"code": "COST", "primary": True}]),
                                        headers=admin(minter))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["fields[0].code"]


async def test_a_parent_with_active_sub_fields_cannot_be_retired(experts_client, minter) -> None:
    response = await experts_client.patch("/api/v1/fields/NET", json={"retired": True}, headers=admin(minter))
    assert response.status_code == 409
    assert (await experts_client.patch("/api/v1/fields/NET.BI", json={"retired": True},
                                       headers=admin(minter))).status_code == 200


async def test_bad_field_input_is_a_field_level_problem(experts_client, minter) -> None:
    response = await experts_client.post("/api/v1/fields", json={"code": "bad code", "name_zh": "", "name_en": "x"},
                                         headers=admin(minter))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] in {"code", "name_zh"}
    missing = await experts_client.patch("/api/v1/fields/NOPE", json={"name_zh": "无"}, headers=admin(minter))
    assert missing.status_code == 404
