"""The experts' one-time answer page at the gateway: open without a session, limited per address, and
its token never written to a log (the experts' side is in tests/experts/test_notifications.py, the
whole journey in tests/browser/test_answer_link.py)."""

from __future__ import annotations

import logging

import pytest

TOKEN = "Zk3v9Qm2Lx7Wc1Rt5Yp8Hn4Bd6Gs0Fa"


@pytest.fixture
def gateway_overrides() -> dict[str, object]:
    return {"answer_link_rate_limit_per_minute": 4}


async def test_the_answer_page_keeps_its_token_out_of_the_logs_and_limits_each_address(
        gateway_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    # The experts service is down here: the page says so in Chinese, and neither says nor logs the token.
    shown = await gateway_client.get(f"/answer?t={TOKEN}")
    assert shown.status_code in (502, 503) and "评审邀请答复" in shown.text
    assert shown.headers["referrer-policy"] == "no-referrer" and "no-store" in shown.headers["cache-control"]
    posted = await gateway_client.post("/answer", data={"t": TOKEN, "decision": "accept"})
    assert posted.status_code in (502, 503)
    malformed = await gateway_client.get("/answer?t=not a token")
    assert malformed.status_code == 404 and "链接不完整" in malformed.text
    logged = caplog.text + "".join(str(record.__dict__.get("fields", "")) for record in caplog.records)
    assert "/answer" in logged and TOKEN not in logged

    assert (await gateway_client.get(f"/answer?t={TOKEN}")).status_code != 429  # the fourth this minute
    limited = await gateway_client.get(f"/answer?t={TOKEN}")
    assert limited.status_code == 429 and "请求过于频繁" in limited.text
