"""Unavailable periods and declared conflicts, kept by the expert themself or a bureau admin."""

from __future__ import annotations

from tests.experts.helpers import OTHER_UNIT, admin, audit_entries, create_expert


def as_expert(minter, subject: str = "user:expert-1") -> dict[str, str]:
    return minter.headers("experts", "expert", subject=subject)


async def test_an_expert_keeps_their_own_unavailability(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, account_subject="user:expert-1")
    url = f"/api/v1/experts/{expert['code']}/unavailability"
    added = await experts_client.post(url, json={"starts_on": "2026-12-01", "ends_on": "2026-12-02",
                                                 "ends_half": "morning", "reason": "出差"}, headers=as_expert(minter))
    assert added.status_code == 201, added.text
    assert added.json() | {"id": 0} == {"id": 0, "starts_on": "2026-12-01", "starts_half": "morning",
                                        "ends_on": "2026-12-02", "ends_half": "morning", "reason": "出差"}
    listed = await experts_client.get(url, headers=as_expert(minter))
    assert [period["id"] for period in listed.json()] == [added.json()["id"]]
    removed = await experts_client.delete(f"{url}/{added.json()['id']}", headers=as_expert(minter))
    assert removed.status_code == 204
    assert (await experts_client.get(url, headers=admin(minter))).json() == []
    actions = [e["action"] for e in await audit_entries(experts_client, minter, object_id=expert["code"])]
    assert actions[:2] == ["expert.unavailability_removed", "expert.unavailability_added"]


async def test_an_expert_cannot_touch_another_experts_availability(experts_client, minter) -> None:
    await create_expert(experts_client, minter, account_subject="user:expert-1")
    other = await create_expert(experts_client, minter, account_subject="user:expert-2")
    for path in ("unavailability", "declared-conflicts"):
        response = await experts_client.get(f"/api/v1/experts/{other['code']}/{path}", headers=as_expert(minter))
        assert response.status_code == 403
        # Refused before the body is even read: not a validation answer about someone else's data.
        posted = await experts_client.post(f"/api/v1/experts/{other['code']}/{path}", json={},
                                           headers=as_expert(minter))
        assert posted.status_code == 403
    unknown = await experts_client.get("/api/v1/experts/E99999/unavailability", headers=as_expert(minter))
    assert unknown.status_code == 403  # an expert cannot probe which pool numbers exist
    organiser = await experts_client.get(f"/api/v1/experts/{other['code']}/unavailability",
                                         headers=minter.headers("experts", "organiser"))
    assert organiser.status_code == 403


async def test_declared_conflicts_are_kept_and_checked(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, account_subject="user:expert-1")
    url = f"/api/v1/experts/{expert['code']}/declared-conflicts"
    declared = await experts_client.post(url, json={"unit_uscc": OTHER_UNIT, "until": "2027-06-30",
                                                    "reason": "配偶在该公司任职"}, headers=as_expert(minter))
    assert declared.status_code == 201, declared.text
    assert (declared.json()["unit_uscc"], declared.json()["until"]) == (OTHER_UNIT, "2027-06-30")
    bad = await experts_client.post(url, json={"unit_uscc": "91330326MA2CT8U6X1"}, headers=as_expert(minter))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "unit_uscc"
    by_admin = await experts_client.get(url, headers=admin(minter))
    assert [conflict["unit_uscc"] for conflict in by_admin.json()] == [OTHER_UNIT]
    withdrawn = await experts_client.delete(f"{url}/{declared.json()['id']}", headers=admin(minter))
    assert withdrawn.status_code == 204
    assert (await experts_client.get(url, headers=as_expert(minter))).json() == []


async def test_a_period_cannot_end_before_it_starts(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter)
    url = f"/api/v1/experts/{expert['code']}/unavailability"
    response = await experts_client.post(url, json={"starts_on": "2026-12-02", "ends_on": "2026-12-02",
                                                    "starts_half": "afternoon", "ends_half": "morning"},
                                         headers=admin(minter))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "ends_on"
    assert (await experts_client.get(url, headers=admin(minter))).json() == []


async def test_an_admin_links_the_experts_sign_in_account(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter)
    url = f"/api/v1/experts/{expert['code']}/unavailability"
    assert (await experts_client.get(url, headers=as_expert(minter, "user:late"))).status_code == 403
    linked = await experts_client.patch(f"/api/v1/experts/{expert['code']}", json={"account_subject": "user:late"},
                                        headers=admin(minter))
    assert linked.json()["account_subject"] == "user:late"
    assert (await experts_client.get(url, headers=as_expert(minter, "user:late"))).status_code == 200
    other = await create_expert(experts_client, minter)
    taken = await experts_client.patch(f"/api/v1/experts/{other['code']}", json={"account_subject": "user:late"},
                                       headers=admin(minter))
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "account_subject"


async def test_a_signed_in_expert_finds_their_own_pool_number(experts_client, minter) -> None:
    unlinked = await experts_client.get("/api/v1/experts/me", headers=as_expert(minter, "user:nobody-yet"))
    assert unlinked.status_code == 404
    expert = await create_expert(experts_client, minter, account_subject="user:expert-1")
    own = await experts_client.get("/api/v1/experts/me", headers=as_expert(minter))
    assert own.status_code == 200, own.text
    assert (own.json()["code"], own.json()["name"]) == (expert["code"], expert["name"])
    assert "personal_data" not in own.json()
    pool_reader = await experts_client.get("/api/v1/experts/me", headers=minter.headers("experts", "organiser"))
    assert pool_reader.status_code == 403  # the route is the expert's own, not a pool lookup
