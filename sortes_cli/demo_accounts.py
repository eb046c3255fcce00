"""Demo units and users for ``sortes run``, created once through the gateway's own API."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx

from shared.demo import demo_units, demo_vendors

VENDOR_UNIT = -1  # the unit index of the vendor user: the first demo vendor, as a unit of its own
DEMO_EXPERT = "E00001"  # the pool entry the expert user answers invitations for

# (user name, display name, roles, index of the unit in demo_units(), or VENDOR_UNIT)
DEMO_USERS = [
    ("admin", "大数据局管理员", ["bureau_admin"], 0),
    ("organiser", "教育局评审组织人", ["organiser"], 1),
    # Of another unit than the bureau's admin key and the organiser, as a supervisor must be (the
    # README's Python example asks for a panel with that key and this supervisor).
    ("supervisor", "财政局监督人员", ["supervisor"], 6),
    ("procurement", "教育局采购经办人", ["procurement_officer"], 1),
    ("rater", "大数据局评价人", ["rater"], 0),
    ("auditor", "审计局审计人员", ["auditor"], 7),
    ("reviewer", "财政局评价复核人", ["rating_reviewer"], 6),  # not the rater's unit, as a review needs
    ("expert", "专家（E00001）", ["expert"], 1),
    ("vendor", "供应商用户", ["vendor"], VENDOR_UNIT),
]


def ensure_demo_accounts(gateway_url: str, admin_api_key: str, password_file: Path) -> str:
    """The demo password; units and users are created the first time only."""
    if password_file.exists():
        return password_file.read_text().strip()
    password = "Sortes-" + secrets.token_urlsafe(9)
    headers = {"Authorization": f"Bearer {admin_api_key}"}
    with httpx.Client(base_url=gateway_url, headers=headers, timeout=30) as client:
        known = {unit["uscc"] for unit in client.get("/api/v1/units").raise_for_status().json()}
        units = demo_units()
        vendor = demo_vendors()[0]
        for unit in [*units, vendor]:
            if unit.uscc not in known:
                client.post("/api/v1/units", json={"uscc": unit.uscc, "name": unit.name}).raise_for_status()
        for username, display_name, roles, unit_index in DEMO_USERS:
            response = client.post("/api/v1/users", json={
                "username": username, "display_name": display_name,
                "unit_uscc": vendor.uscc if unit_index == VENDOR_UNIT else units[unit_index].uscc,
                "roles": roles, "password": password})
            if response.status_code != 409:
                response.raise_for_status()
        # The expert user signs in as the pool's first demo expert.
        client.patch(f"/api/v1/experts/{DEMO_EXPERT}", json={"account_subject": "user:expert"}).raise_for_status()
    password_file.touch(mode=0o600)
    password_file.write_text(password + "\n")
    return password
