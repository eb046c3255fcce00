"""The vendor registry: USCC checked and unique, former names kept, the legal representative's ID
number encrypted and masked, qualifications with expiry, related parties, field-level errors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.vendors.conftest import VendorsApi, valid_id_number


async def test_create_then_read_masks_the_id_number_except_for_bureau_admins(api: VendorsApi) -> None:
    id_number = valid_id_number(1)
    uscc = await api.vendor(legal_representative={"name": "陈建国", "id_number": id_number},
                            qualifications=[{"name": "信息系统建设和服务能力等级证书", "certificate_number": "CS3-001",
                                             "valid_until": "2020-01-01"},
                                            {"name": "ISO 27001", "certificate_number": "ISMS-9"}])
    as_rater = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.headers("rater"))).json()
    assert as_rater["legal_representative"] == {"name": "陈建国", "id_number": "*" * 14 + id_number[-4:],
                                                "id_number_masked": True}
    assert [q["expired"] for q in as_rater["qualifications"]] == [True, False]
    assert "personal_data.unmasked" not in await api.audit_actions()

    asked_masked = (await api.client.get(f"/api/v1/vendors/{uscc}", params={"masked": "true"},
                                         headers=api.admin)).json()
    assert asked_masked["legal_representative"] == as_rater["legal_representative"]
    assert "personal_data.unmasked" not in await api.audit_actions()  # an admin's masked read logs nothing

    as_admin = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)).json()
    assert as_admin["legal_representative"]["id_number"] == id_number
    assert (await api.audit_actions())[-1] == "personal_data.unmasked"

    listed = (await api.client.get("/api/v1/vendors", headers=api.admin)).json()
    assert listed["items"][0]["legal_representative"]["id_number_masked"] is True


async def test_the_id_number_is_not_stored_in_plaintext(api: VendorsApi) -> None:
    id_number = valid_id_number(2)
    uscc = await api.vendor(legal_representative={"name": "林海燕", "id_number": id_number})
    # The app's engine belongs to the test client's event loop; read the table through one of our own.
    engine = create_async_engine(api.client.app.state.database.engine.url)
    async with engine.connect() as connection:
        row = (await connection.execute(text(
            "SELECT legal_representative_id_token, legal_representative_id_index FROM vendors WHERE uscc = :u"),
            {"u": uscc})).one()
    await engine.dispose()
    assert id_number not in " ".join(row) and id_number[6:14] not in row[0]
    audit = (await api.client.get("/api/v1/audit", headers=api.headers("auditor"))).json()
    assert id_number not in json.dumps(audit)


async def test_a_duplicate_uscc_is_refused(api: VendorsApi) -> None:
    uscc = await api.vendor()
    again = await api.client.post("/api/v1/vendors", json={"uscc": uscc, "name": "另一家"}, headers=api.admin)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/conflict"


async def test_renaming_keeps_the_former_name_as_an_alias(api: VendorsApi) -> None:
    uscc = await api.vendor(name="浙江旧名信息技术有限公司")
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", json={"name": "浙江新名数字科技有限公司"},
                                      headers=api.admin)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "浙江新名数字科技有限公司"
    assert [alias["name"] for alias in response.json()["aliases"]] == ["浙江旧名信息技术有限公司"]
    found = (await api.client.get("/api/v1/vendors", params={"q": "旧名"}, headers=api.admin)).json()
    assert [item["uscc"] for item in found["items"]] == [uscc]
    assert (await api.audit_actions())[-1] == "vendor.updated"


async def test_a_patch_that_changes_nothing_writes_no_audit_entry(api: VendorsApi) -> None:
    uscc = await api.vendor(name="浙江不变有限公司")
    before = await api.audit_actions()
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", json={"name": "浙江不变有限公司"},
                                      headers=api.admin)
    assert response.status_code == 200
    assert await api.audit_actions() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"uscc": "91330326MA2CT8U6X1", "name": "校验位错"}, "uscc"),
    ({"uscc": "91330326MA2CT8U6X", "name": "太短"}, "uscc"),
    ({"uscc": "913303267395011234", "name": "x", "legal_representative": {"name": "张三", "id_number": "123"}},
     "legal_representative.id_number"),
    ({"uscc": "913303267395011234", "name": "x", "status": "closed"}, "status"),
    ({"uscc": "913303267395011234", "name": ""}, "name"),
    ({"uscc": "913303267395011234", "name": "x", "qualifications": [{"name": "a"}]},
     "qualifications[0].certificate_number"),
])
async def test_bad_vendor_input_names_the_field_and_writes_nothing(api: VendorsApi, body: dict[str, object],
                                                                   field: str) -> None:
    response = await api.client.post("/api/v1/vendors", json=body, headers=api.admin)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (await api.client.get("/api/v1/vendors", headers=api.admin)).json()["total"] == 0


async def test_relations_and_the_same_legal_representative_show_on_the_vendor(api: VendorsApi) -> None:
    person = {"name": "王志强", "id_number": valid_id_number(28)}  # ends in X
    parent = await api.vendor(name="母公司", legal_representative=person)
    child = await api.vendor(name="子公司")
    same_person = {**person, "id_number": person["id_number"].lower()}  # matched after normalising
    sibling = await api.vendor(name="同法人公司", legal_representative=same_person)
    response = await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": child, "kind": "controlling", "source": "国家企业信用信息公示系统",
        "valid_from": "2024-01-01"})
    assert response.status_code == 201, response.text
    detail = (await api.client.get(f"/api/v1/vendors/{child}", headers=api.headers("auditor"))).json()
    assert [(r["controlling_uscc"], r["controlled_uscc"], r["kind"]) for r in detail["relations"]] == [
        (parent, child, "controlling")]
    assert (await api.client.get(f"/api/v1/vendors/{parent}", headers=api.headers("auditor"))).json()[
        "same_legal_representative"] == [sibling]


async def test_a_relation_to_an_unregistered_vendor_is_a_field_error(api: VendorsApi) -> None:
    parent = await api.vendor()
    response = await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": api.new_uscc(), "kind": "management", "source": "工商登记", "valid_from": "2024-01-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "related_uscc"


@pytest.mark.parametrize("role", ["procurement_officer", "rater", "auditor", "vendor", "service"])
async def test_only_bureau_admins_change_the_registry(api: VendorsApi, role: str) -> None:
    response = await api.client.post("/api/v1/vendors", json={"uscc": api.new_uscc(), "name": "x"},
                                     headers=api.headers(role))
    assert response.status_code == 403


async def test_an_unknown_vendor_is_404(api: VendorsApi) -> None:
    response = await api.client.get(f"/api/v1/vendors/{api.new_uscc()}", headers=api.admin)
    assert response.status_code == 404
