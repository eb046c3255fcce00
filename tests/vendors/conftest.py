"""Helpers for the vendors service tests: build vendors, projects and engagements through the API."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.demo import make_uscc
from shared.identifiers import id_number_check_character
from tests.support.identity import BUREAU_USCC, AssertionMinter

OWNER_UNIT = BUREAU_USCC
OTHER_UNIT = "11330326MB1234567E"  # another government unit
THIRD_UNIT = "11330326945807302D"  # a third one


def valid_id_number(serial: int) -> str:
    first17 = f"33032619800101{serial:03d}"
    return first17 + id_number_check_character(first17)


@dataclass
class VendorsApi:
    client: AsyncTestClient[Litestar]
    minter: AssertionMinter
    _rng: random.Random

    def headers(self, *roles: str, unit: str = OWNER_UNIT, subject: str = "user:test") -> dict[str, str]:
        return self.minter.headers("vendors", *roles, unit=unit, subject=subject)

    @property
    def admin(self) -> dict[str, str]:
        return self.headers("bureau_admin")

    def new_uscc(self) -> str:
        return make_uscc(self._rng, "91")

    async def vendor(self, name: str = "浙江测试科技有限公司", **fields: Any) -> str:
        body = {"uscc": self.new_uscc(), "name": name, **fields}
        response = await self.client.post("/api/v1/vendors", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return body["uscc"]

    async def project(self, code: str = "PY-2027-001", owner_unit: str = OWNER_UNIT,
                      lots: list[dict[str, str]] | None = None) -> str:
        lots = lots if lots is not None else [
            {"code": "L1", "name": "总体设计", "procurement_method": "competitive_consultation",
             "role": "overall_design"},
            {"code": "L2", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"},
            {"code": "L3", "name": "工程监理", "procurement_method": "competitive_consultation", "role": "supervision"},
            {"code": "L4", "name": "原厂维保", "procurement_method": "single_source", "role": "operations"},
        ]
        body = {"name": "平阳县城市大脑（二期）", "kind": "construction", "owner_unit": owner_unit,
                "investment_fen": 250_000_000, "planned_completion": "2027-12-31", "lots": lots}
        response = await self.client.put(f"/api/v1/projects/{code}", json=body, headers=self.headers("service"))
        assert response.status_code in (200, 201), response.text  # 200: registered before, unchanged
        return code

    async def engage(self, project: str, uscc: str, role: str, lot: str | None = None,
                     amount_fen: int = 48_000_000) -> dict[str, Any]:
        body = {"vendor_uscc": uscc, "role": role, "lot_code": lot, "started_on": "2026-01-05",
                "amount_fen": amount_fen}
        response = await self.client.post(f"/api/v1/projects/{project}/engagements", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return response.json()

    async def check(self, project: str, lot: str, bidders: list[str],
                    headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.client.post(f"/api/v1/projects/{project}/lots/{lot}/conflict-checks",
                                          json={"bidders": bidders}, headers=headers or self.admin)
        assert response.status_code == 201, response.text
        return response.json()

    @staticmethod
    def verdicts(check: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {verdict["uscc"]: verdict for verdict in check["verdicts"]}

    async def audit_actions(self) -> list[str]:
        page = (await self.client.get("/api/v1/audit", params={"page_size": 200},
                                      headers=self.headers("auditor"))).json()
        return [item["action"] for item in reversed(page["items"])]


@pytest.fixture
def api(vendors_client: AsyncTestClient[Litestar], minter: AssertionMinter) -> VendorsApi:
    return VendorsApi(vendors_client, minter, random.Random(7))
