"""Every gateway answer carries the security headers, refusals included; HSTS only over HTTPS (a
browser told to insist on HTTPS for a plain-HTTP address could not reach it at all)."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
EXPECTED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer",
            "cross-origin-opener-policy": "same-origin"}


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_answers_and_refusals_carry_the_headers_and_hsts_only_over_https(gateway_client, scheme) -> None:
    answers = [await gateway_client.get(f"{scheme}://testserver.local/api/v1/units", headers=ADMIN),
               await gateway_client.get(f"{scheme}://testserver.local/api/v1/units"),
               await gateway_client.get(f"{scheme}://testserver.local/api/v1/no-such-thing", headers=ADMIN)]
    assert [answer.status_code for answer in answers] == [200, 401, 404]
    for answer in answers:
        assert {name: answer.headers.get(name) for name in EXPECTED} == EXPECTED
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        hsts = answer.headers.get("strict-transport-security")
        assert hsts == ("max-age=31536000" if scheme == "https" else None)
        assert answer.headers.get_list("x-frame-options") == ["DENY"]  # added once, never twice


async def test_a_page_with_its_own_policy_keeps_it_alone(gateway_client) -> None:
    # Two policies would both be enforced, and the general one forbids the offline verifier's inline code.
    offline = await gateway_client.get("/verify/offline")
    assert offline.status_code == 200
    [policy] = offline.headers.get_list("content-security-policy")
    assert "'sha256-" in policy
    assert offline.headers["x-content-type-options"] == "nosniff"
