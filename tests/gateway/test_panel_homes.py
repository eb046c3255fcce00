"""The supervisor's and the auditor's homes when the experts service cannot answer (the fixture's
upstreams point at closed ports): the page still shows, and says what it cannot list."""

from __future__ import annotations

from tests.gateway.test_console_sessions import add_user, sign_in


async def test_the_supervisor_home_shows_without_the_experts_service(gateway_client) -> None:
    await add_user(gateway_client, "zhao", "supervisor")
    await sign_in(gateway_client, "zhao")
    home = await gateway_client.get("/home/supervisor")
    assert home.status_code == 200
    assert "待我见证的抽取" in home.text and 'id="supervising-unavailable"' in home.text
    assert home.text.index('id="supervising"') < home.text.index('id="open-draw"')  # the list above the box
    english = await gateway_client.get("/home/supervisor?lang=en")
    assert "Draws awaiting my witness" in english.text and "待我见证" not in english.text


async def test_the_auditor_home_keeps_the_open_draw_box_only(gateway_client) -> None:
    await add_user(gateway_client, "wu.audit", "auditor")
    await sign_in(gateway_client, "wu.audit")
    home = await gateway_client.get("/home/auditor")
    assert home.status_code == 200
    assert 'id="open-draw"' in home.text and 'id="supervising"' not in home.text
