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
