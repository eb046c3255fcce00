"""Masking that holds (issue 17 point 4): the legal representative's ID number, as every reader but a
bureau admin sees it, leaves at least a million possible numbers."""

from __future__ import annotations

import pytest

from shared.permissions import REGISTRY_READERS_AND_LIFECYCLE_SYSTEM
from shared.roles import Role
from tests.support.id_numbers import MILLION, possible_id_numbers
from tests.vendors.conftest import VendorsApi, valid_id_number


@pytest.mark.parametrize("role", [role.value for role in Role
                                  if role in REGISTRY_READERS_AND_LIFECYCLE_SYSTEM and role != Role.BUREAU_ADMIN])
async def test_the_legal_representatives_id_number_leaves_a_million_possibilities(api: VendorsApi,
                                                                                   role: str) -> None:
    whole = valid_id_number(7)
    uscc = await api.vendor(legal_representative={"name": "陈建国", "id_number": whole})
    for path, params in ((f"/api/v1/vendors/{uscc}", {}), ("/api/v1/vendors", {"q": uscc})):
        response = await api.client.get(path, params=params, headers=api.headers(role))
        assert response.status_code == 200, response.text
        body = response.json()
        shown = (body["items"][0] if "items" in body else body)["legal_representative"]["id_number"]
        assert shown == "*" * 14 + whole[-4:], (role, path)
        assert possible_id_numbers(shown) >= MILLION


async def test_creating_and_editing_a_vendor_answer_with_the_id_number_masked(api: VendorsApi) -> None:
    # The admin who typed the number is answered with it masked too: seeing it whole is its own,
    # recorded act.
    whole = valid_id_number(8)
    created = await api.client.post("/api/v1/vendors", headers=api.admin, json={
        "uscc": api.new_uscc(), "name": "浙江遮蔽科技有限公司",
        "legal_representative": {"name": "陈建国", "id_number": whole}})
    assert created.status_code == 201, created.text
    edited = await api.client.patch(f"/api/v1/vendors/{created.json()['uscc']}", headers=api.admin,
                                    json={"name": "浙江遮蔽信息科技有限公司"})
    assert edited.status_code == 200, edited.text
    for answer in (created, edited):
        assert answer.json()["legal_representative"]["id_number"] == "*" * 14 + whole[-4:]
        assert whole not in answer.text
