"""Invited members are told by SMS (and voice): the provider's signature, the outbox and its sender,
the one-time answer link, and no phone number or link in a log or an error."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from services.experts.domain.messaging import (
    SMS,
    VOICE,
    AlibabaCloud,
    AlibabaCredentials,
    AlibabaTemplates,
    LocalOutbox,
    Message,
    NotifySettings,
    SendFailed,
    Sent,
    rpc_signature,
)
from services.experts.domain.notices import Meeting, Notices, invitation_text
from services.experts.models import Notification
from shared.clock import utc_now
from tests.experts.helpers import admin, audit_entries, direct_database
from tests.experts.test_panels import ask_panel, build_pool, organiser, panel_body, register_project, reveal, seated

PHONE = "13912345678"  # every expert of build_pool has it (tests/experts/helpers.py profile)


# --- the provider's signature -----------------------------------------------------------------------

def test_the_rpc_signature_reproduces_alibaba_clouds_published_example() -> None:
    """The worked example of Alibaba Cloud's "Signature mechanism" page for RPC APIs
    (https://help.aliyun.com/en/document_detail/145075.html; the same values in
    https://developer.aliyun.com/ask/210168 "API 签名机制(示例)"): DescribeRegions, AccessKey ID
    ``testid``, secret ``testsecret``, nonce 3ee8c1b8-…, TimeStamp 2016-02-23T12:46:24Z, signed with
    GET, gives ``CT9X0VtwR86fNWSnsc6v8YGOjuE=`` (``Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D`` in its URL)."""
    params = {"TimeStamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid",
              "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version": "2014-05-26",
              "SignatureVersion": "1.0"}
    assert rpc_signature("testsecret", "GET", params) == "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    assert rpc_signature("testsecret", "POST", params) != "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def _alibaba(handler) -> AlibabaCloud:
    return AlibabaCloud(AlibabaCredentials("testid", "testsecret"),
                        AlibabaTemplates(sign_name="平阳县大数据局", sms_template="SMS_0001", tts_template="TTS_0001",
                                         called_show_number="057100000000"),
                        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_the_alibaba_adapter_posts_a_signed_send_sms_with_the_number_in_the_body_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0",
                                         "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})

    provider = _alibaba(handler)
    sent = await provider.send(Message(SMS, PHONE, "text", {"project": "城市大脑", "link": "https://x/answer?t=abc"}))
    assert sent == Sent(message_id="9006197469364984^0")
    request = seen[0]
    assert request.method == "POST" and request.url.host == "dysmsapi.aliyuncs.com"
    assert PHONE not in str(request.url)
    form = dict(urllib.parse.parse_qsl(request.content.decode()))
    assert form["Action"] == "SendSms" and form["PhoneNumbers"] == PHONE and form["TemplateCode"] == "SMS_0001"
    assert form["SignName"] == "平阳县大数据局" and json.loads(form["TemplateParam"])["project"] == "城市大脑"
    signature = form.pop("Signature")
    assert signature == rpc_signature("testsecret", "POST", form)

    voice = await provider.send(Message(VOICE, PHONE, "text", {"project": "城市大脑"}))
    form = dict(urllib.parse.parse_qsl(seen[1].content.decode()))
    assert seen[1].url.host == "dyvmsapi.aliyuncs.com" and form["Action"] == "SingleCallByTts"
    assert form["CalledNumber"] == PHONE and form["TtsCode"] == "TTS_0001" and voice.message_id is None


async def test_a_refusal_by_alibaba_keeps_its_code_and_nothing_of_the_number() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"非法手机号 {PHONE}"})

    with pytest.raises(SendFailed) as refused:
        await _alibaba(refuse).send(Message(SMS, PHONE, "text", {}))
    assert refused.value.code == "isv.MOBILE_NUMBER_ILLEGAL" and refused.value.permanent
    assert PHONE not in str(refused.value) and PHONE not in repr(Message(SMS, PHONE, "text", {}))

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url} for {PHONE}")

    with pytest.raises(SendFailed) as failed:
        await _alibaba(unreachable).send(Message(SMS, PHONE, "text", {}))
    assert failed.value.code == "network:ConnectError" and not failed.value.permanent and PHONE not in str(failed.value)


def test_the_text_names_project_time_venue_and_contact_when_the_panel_has_them() -> None:
    import datetime as dt

    bare = Meeting("城市大脑", "technical_review", dt.date(2026, 12, 14), ["morning"])
    assert invitation_text(bare, "https://s/answer?t=T") == (
        "您被随机抽取为“城市大脑”项目技术审查评审专家。时间：2026年12月14日上午；"
        "请在会议开始前点击链接答复是否参加（仅限本人、一次有效，请勿转发）：https://s/answer?t=T")
    full = Meeting("城市大脑", "expert_review", dt.date(2026, 12, 14), ["afternoon"], venue="县行政中心301会议室",
                   starts_at=dt.datetime(2026, 12, 14, 6, 30, tzinfo=dt.UTC), contact_name="张组织",
                   contact_phone="0577-63000000")
    voice = invitation_text(full, None)
    assert "2026年12月14日下午 14:30" in voice and "地点：县行政中心301会议室" in voice
    assert "联系人：张组织 0577-63000000" in voice and "http" not in voice


# --- the outbox, the sender and the call sheet --------------------------------------------------------

def _notices(client) -> Notices:
    return client.app.state.notices


async def _revealed_panel(client, minter, count: int = 2, reserves: int = 2) -> dict[str, Any]:
    await register_project(client, minter)
    await build_pool(client, minter, count + reserves + 1)
    committed = await ask_panel(client, minter, panel_body(count=count, reserves=reserves))
    return await reveal(client, minter, committed["id"])


async def _draw(client, minter, draw_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/draws/{draw_id}", headers=organiser(minter))
    assert response.status_code == 200, response.text
    return response.json()


async def _outbox(client, minter) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", params={"page_size": 200}, headers=admin(minter))
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(response.json()["items"])
    return response.json()["items"]


def _token_of(message: dict[str, Any]) -> str:
    return re.search(r"\?t=([A-Za-z0-9_-]+)", message["text"]).group(1)


async def _send(client, notices: Notices | None = None) -> int:
    """One round of the sender, on a database of the test's own event loop."""
    async with direct_database(client) as database:
        return await (notices or _notices(client)).send_due(database)


async def _chain_holds(client, minter) -> None:
    """The audit chain and every audited row as the log binds them (claims and retries change only the
    sender's own columns, left out of the row digests)."""
    verification = await client.get("/api/v1/audit/verification", headers=minter.headers("experts", "auditor"))
    assert verification.json()["ok"], verification.text


def _gateway(minter) -> dict[str, str]:
    return minter.headers("experts", "service", subject="gateway", unit="")


async def test_each_invited_member_gets_an_sms_sent_from_the_outbox_and_the_call_sheet_shows_it(
        experts_client, minter) -> None:
    draw = await _revealed_panel(experts_client, minter)
    members = seated(draw)
    outbox = await _outbox(experts_client, minter)
    assert len(outbox) == 2 and {m["status"] for m in outbox} == {"pending"}
    assert {m["recipient"] for m in outbox} == {"139****5678"} and {m["channel"] for m in outbox} == {"sms"}
    assert all("城市大脑" in m["text"] and "?t=" in m["text"] for m in outbox)
    view = await _draw(experts_client, minter, draw["id"])
    pending = {m["expert_code"]: m["notices"] for m in view["panel"]["members"]}
    assert all(pending[code] == {"sms": "pending"} for code in members)

    assert await _send(experts_client) == 2
    view = await _draw(experts_client, minter, draw["id"])
    assert all(m["notices"] == {"sms": "delivered"} for m in view["panel"]["members"] if m["expert_code"] in members)
    assert {m["status"] for m in await _outbox(experts_client, minter)} == {"delivered"}
    assert len([e for e in await audit_entries(experts_client, minter) if e["action"] == "notification.delivered"]) == 2
    # Reserves are not told until they move up; the list stays sealed to other readers.
    other = await experts_client.get(f"/api/v1/draws/{draw['id']}", headers=minter.headers("experts", "auditor"))
    assert other.json()["panel"]["members"] == []
    assert (await experts_client.get("/api/v1/notifications", headers=organiser(minter))).status_code == 403


async def test_the_link_answers_once_for_its_own_member_and_a_reserve_moving_up_is_told_the_same_way(
        experts_client, minter) -> None:
    draw = await _revealed_panel(experts_client, minter)
    first, second = seated(draw)
    messages = await _outbox(experts_client, minter)
    tokens = [_token_of(m) for m in messages]
    gateway = _gateway(minter)

    looked = await experts_client.post("/api/v1/invitation-links/lookup", json={"token": tokens[0]}, headers=gateway)
    assert looked.status_code == 200, looked.text
    assert looked.json()["state"] == "open" and looked.json()["project_name"] == "城市大脑"
    assert not set(looked.text) & set() and first not in looked.text and second not in looked.text
    # Only the gateway's page may look links up: no organiser, expert or lifecycle key can try tokens.
    for headers in (organiser(minter), minter.headers("experts", "service", subject="apikey:lifecycle"),
                    minter.headers("experts", "expert", subject="user:expert")):
        refused = await experts_client.post("/api/v1/invitation-links/lookup", json={"token": tokens[0]},
                                            headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "invitation_link.gateway_only"

    needs_reason = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                             json={"token": tokens[0], "accept": False})
    assert needs_reason.status_code == 422 and needs_reason.json()["errors"][0]["field"] == "reason"
    declined = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                         json={"token": tokens[0], "accept": False, "reason": "出差在外"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["state"] == "declined"
    accepted = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                         json={"token": tokens[1], "accept": True})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"

    again = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                      json={"token": tokens[1], "accept": False, "reason": "改主意了"})
    assert again.status_code == 409 and again.json()["code"] == "invitation_link.used"
    unknown = await experts_client.post("/api/v1/invitation-links/lookup", headers=gateway,
                                        json={"token": "x" * 32})
    assert unknown.status_code == 404 and unknown.json()["code"] == "invitation_link.unknown"
    assert tokens[1] not in again.text and "x" * 32 not in unknown.text

    view = await _draw(experts_client, minter, draw["id"])
    members = {m["expert_code"]: m for m in view["panel"]["members"]}
    decliner = next(code for code in (first, second) if members[code]["state"] == "declined")
    assert members[decliner]["channel"] == "link" and members[decliner]["reason"] == "出差在外"
    moved_up = next(m for m in view["panel"]["members"] if m["replaces"] == decliner)
    assert moved_up["state"] == "invited" and moved_up["notices"] == {"sms": "pending"}
    assert len(await _outbox(experts_client, minter)) == 3
    await _chain_holds(experts_client, minter)


async def test_a_failing_provider_is_retried_with_backoff_then_given_up(experts_client, minter) -> None:
    class Flaky(LocalOutbox):
        calls = 0

        async def send(self, message: Message) -> Sent:
            Flaky.calls += 1
            raise SendFailed("isv.BUSINESS_LIMIT_CONTROL")

        async def close(self) -> None:
            return None

    draw = await _revealed_panel(experts_client, minter, count=1, reserves=1)
    notices = Notices(experts_client.app.state.vault.keyring, experts_client.app.state.audit,
                      NotifySettings(max_attempts=3, retry_seconds=60), Flaky())
    assert await _send(experts_client, notices) == 1
    async with direct_database(experts_client) as direct, direct.reading() as session:
        row = (await session.execute(select(Notification))).scalar_one()
    assert row.status == "pending" and row.attempts == 1 and row.last_error == "isv.BUSINESS_LIMIT_CONTROL"
    assert 50 <= (row.next_attempt_at.replace(tzinfo=row.next_attempt_at.tzinfo or utc_now().tzinfo)
                  - utc_now()).total_seconds() <= 61
    assert await _send(experts_client, notices) == 0  # not due yet
    for _ in range(2):
        async with direct_database(experts_client) as direct, direct.transaction() as session:
            await session.execute(update(Notification).values(next_attempt_at=utc_now()))
        assert await _send(experts_client, notices) == 1
    view = await _draw(experts_client, minter, draw["id"])
    assert [m["notices"] for m in view["panel"]["members"] if m["state"] == "invited"] == [{"sms": "failed"}]
    assert [e["details"]["error"] for e in await audit_entries(experts_client, minter)
            if e["action"] == "notification.failed"] == ["isv.BUSINESS_LIMIT_CONTROL"]
    assert Flaky.calls == 3
    await _chain_holds(experts_client, minter)


async def test_two_senders_never_claim_the_same_message_and_voice_goes_beside_the_sms(experts_client, minter) -> None:
    state = experts_client.app.state
    voice = Notices(state.vault.keyring, state.audit, NotifySettings(voice=True), LocalOutbox())
    state.panels.seats.notices.settings = NotifySettings(voice=True)  # type: ignore[misc]
    await _revealed_panel(experts_client, minter, count=1, reserves=1)
    assert sorted(m["channel"] for m in await _outbox(experts_client, minter)) == ["sms", "voice"]
    other = Notices(state.vault.keyring, state.audit, NotifySettings(), LocalOutbox())
    async with direct_database(experts_client) as database:
        claimed = await voice._claim(database, 10)
        assert len(claimed) == 2 and await other._claim(database, 10) == []
        for notice_id in claimed:
            await voice._attempt(database, notice_id)
    outbox = await _outbox(experts_client, minter)
    assert {m["status"] for m in outbox} == {"delivered"}
    assert "http" not in next(m["text"] for m in outbox if m["channel"] == "voice")


async def test_no_phone_number_link_or_token_reaches_a_log(experts_client, minter, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    draw = await _revealed_panel(experts_client, minter)
    state = experts_client.app.state
    tokens = [_token_of(m) for m in await _outbox(experts_client, minter)]

    class Leaky(LocalOutbox):

        async def send(self, message: Message) -> Sent:
            raise RuntimeError(f"provider exploded sending to {message.phone}: {message.text}")

        async def close(self) -> None:
            return None

    await _send(experts_client, Notices(state.vault.keyring, state.audit, NotifySettings(retry_seconds=0), Leaky()))
    await _send(experts_client)
    gateway = _gateway(minter)
    await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                              json={"token": tokens[0], "accept": False, "reason": "出差"})
    used = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                     json={"token": tokens[0], "accept": True})
    bad = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                    json={"token": tokens[1] + "!", "accept": True})
    assert used.status_code == 409 and bad.status_code == 422
    logged = caplog.text + "".join(str(record.__dict__.get("fields", "")) for record in caplog.records)
    assert "notification" in logged  # the sender did log its rounds
    for secret in (PHONE, "139****5678", *tokens, "?t="):
        assert secret not in logged
        assert secret not in used.text and secret not in bad.text
    entries = json.dumps(await audit_entries(experts_client, minter), ensure_ascii=False)
    assert PHONE not in entries and not any(token in entries for token in tokens)
    assert draw["id"]


async def test_an_sms_alibaba_took_turns_delivered_when_its_receipt_says_so(experts_client, minter) -> None:
    asked: list[dict[str, str]] = []

    def alibaba(request: httpx.Request) -> httpx.Response:
        form = dict(urllib.parse.parse_qsl(request.content.decode()))
        signature = form.pop("Signature")
        assert signature == rpc_signature("testsecret", "POST", form)
        asked.append(form)
        if form["Action"] == "SendSms":
            return httpx.Response(200, json={"Code": "OK", "BizId": "800000000000^0"})
        status = 1 if len(asked) == 2 else 3  # first still waiting for the receipt, then delivered
        return httpx.Response(200, json={"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": [
            {"SendStatus": status, "ErrCode": "DELIVERED", "PhoneNum": PHONE}]}})

    state = experts_client.app.state
    provider = _alibaba(alibaba)
    notices = Notices(state.vault.keyring, state.audit, NotifySettings(), provider)
    state.panels.seats.notices.provider = provider  # messages queued for Alibaba, as the settings would
    draw = await _revealed_panel(experts_client, minter, count=1, reserves=1)
    assert await _send(experts_client, notices) == 1
    assert [m["status"] for m in await _outbox(experts_client, minter)] == ["sent"]
    assert (await _outbox(experts_client, minter))[0]["text"] is None  # only the local outbox's text is shown
    assert await _send(experts_client, notices) == 0  # the receipt is asked for a little later
    for expected in ("sent", "delivered"):
        async with direct_database(experts_client) as direct, direct.transaction() as session:
            await session.execute(update(Notification).values(next_attempt_at=utc_now()))
        assert await _send(experts_client, notices) == 1
        assert [m["status"] for m in await _outbox(experts_client, minter)] == [expected]
    query = asked[-1]
    assert query["Action"] == "QuerySendDetails" and query["BizId"] == "800000000000^0"
    assert query["PhoneNumber"] == PHONE and len(query["SendDate"]) == 8
    view = await _draw(experts_client, minter, draw["id"])
    assert [m["notices"] for m in view["panel"]["members"] if m["state"] == "invited"] == [{"sms": "delivered"}]
    await _chain_holds(experts_client, minter)


def test_the_alibaba_provider_reads_its_key_files_and_names_what_is_missing_never_a_value(
        tmp_path, monkeypatch) -> None:
    from services.experts.app import message_provider
    from services.experts.settings import notify_settings_from_env

    secret = "s3cr3t-AccessKeySecret-value"
    (tmp_path / "id").write_text("LTAI-test-id\n")
    (tmp_path / "secret").write_text(secret + "\n")
    monkeypatch.setenv("SORTES_EXPERTS_NOTIFY_PROVIDER", "alibaba")
    monkeypatch.setenv("SORTES_EXPERTS_ALIBABA_ACCESS_KEY_ID_FILE", str(tmp_path / "id"))
    monkeypatch.setenv("SORTES_EXPERTS_ALIBABA_SIGN_NAME", "平阳县大数据局")
    with pytest.raises(RuntimeError, match="SORTES_EXPERTS_ALIBABA_SMS_TEMPLATE"):
        message_provider(notify_settings_from_env())
    monkeypatch.setenv("SORTES_EXPERTS_ALIBABA_SMS_TEMPLATE", "SMS_0001")
    with pytest.raises(RuntimeError, match="SORTES_EXPERTS_ALIBABA_ACCESS_KEY_SECRET"):
        message_provider(notify_settings_from_env())
    monkeypatch.setenv("SORTES_EXPERTS_ALIBABA_ACCESS_KEY_SECRET_FILE", str(tmp_path / "secret"))
    provider = message_provider(notify_settings_from_env())
    assert isinstance(provider, AlibabaCloud) and provider.credentials.access_key_secret == secret
    assert secret not in repr(provider.credentials) and secret not in repr(provider.__dict__)
    monkeypatch.setenv("SORTES_EXPERTS_NOTIFY_PROVIDER", "carrier-pigeon")
    with pytest.raises(RuntimeError, match="local, alibaba or off"):
        notify_settings_from_env()
    monkeypatch.setenv("SORTES_EXPERTS_NOTIFY_PROVIDER", "off")
    assert message_provider(notify_settings_from_env()) is None


async def test_a_member_without_a_phone_number_gets_no_message_and_nothing_breaks(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3, phone=None)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, reserves=1))
    draw = await reveal(experts_client, minter, committed["id"])
    assert len(seated(draw)) == 1 and await _outbox(experts_client, minter) == []
    view = await _draw(experts_client, minter, draw["id"])
    assert [m["notices"] for m in view["panel"]["members"] if m["state"] == "invited"] == [{}]


async def test_on_postgresql_a_sender_skips_messages_another_holds_instead_of_waiting(
        experts_client, minter, backend) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: a second sender waits for the first's transaction to end")
    import asyncio

    await _revealed_panel(experts_client, minter)
    notices = _notices(experts_client)
    async with direct_database(experts_client) as database:
        async with database.reading() as other:  # another instance, mid-claim, holding the rows
            held = (await other.execute(select(Notification).with_for_update())).scalars().all()
            assert len(held) == 2
            assert await asyncio.wait_for(notices._claim(database, 10), timeout=10) == []
        assert len(await notices._claim(database, 10)) == 2
