"""Who carries an invitation to a member's phone: one interface, an Alibaba Cloud adapter (SMS and
text-to-speech voice calls) and the local outbox used by ``make run``.

A provider is given the phone number, the message's text and its template parameters; it answers with
a :class:`Sent` or raises :class:`SendFailed` naming the provider's code only. Neither the number nor
the text (which holds the one-time link) ever goes into an exception, a log line or a stored error.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from shared.settings import env_str

SMS = "sms"
VOICE = "voice"


@dataclass(frozen=True)
class Message:
    """What to send: never logged, never part of an error."""

    channel: str  # sms, voice
    phone: str
    text: str  # the whole text, as the local outbox keeps it
    params: Mapping[str, str]  # the provider template's variables

    def __repr__(self) -> str:  # a message in a traceback shows no number and no link
        return f"Message(channel={self.channel!r})"


@dataclass(frozen=True)
class Sent:
    message_id: str | None = None
    delivered: bool = False  # the provider already knows it arrived (the local outbox)


class SendFailed(Exception):
    """The provider did not take the message; ``code`` is its error code (or ours), ``permanent`` when
    sending again cannot help (a number the provider refuses, a template it does not know)."""

    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.code = code[:100]
        self.permanent = permanent


DELIVERED, UNDELIVERED = "delivered", "failed"


class MessageProvider(Protocol):
    name: str
    receipt_channels: frozenset[str]  # the channels whose delivery the provider reports afterwards

    async def send(self, message: Message) -> Sent: ...

    async def delivery(self, message: Message, message_id: str, sent_at: dt.datetime) -> str | None:
        """``delivered`` or ``failed`` once the provider knows, None while it does not yet."""
        ...

    async def close(self) -> None: ...


class LocalOutbox:
    """``make run``'s provider: nothing leaves the machine; the message stays in the notification outbox
    (sealed), where the console's 消息发件箱 shows it, and counts as delivered."""

    name = "local"
    receipt_channels: frozenset[str] = frozenset()

    async def send(self, message: Message) -> Sent:
        return Sent(message_id=f"local-{uuid.uuid4().hex[:12]}", delivered=True)

    async def delivery(self, message: Message, message_id: str, sent_at: dt.datetime) -> str | None:
        return DELIVERED

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class NotifySettings:
    provider: str = "local"  # local, alibaba, off
    voice: bool = False  # a voice call beside each SMS
    link_base: str = "http://127.0.0.1:8000/answer"  # the gateway's public answer page
    max_attempts: int = 6
    retry_seconds: int = 30  # the first pause after a failure; doubled after each
    interval_seconds: float = 5.0  # how often each instance looks for due messages; 0: this one never sends
    lease_seconds: int = 120  # how long a claimed message is left to its sender
    receipt_seconds: int = 120  # how long after sending, and between, the provider's receipt is asked for
    receipt_hours: int = 48  # after this a sent message is left as sent


# --- Alibaba Cloud --------------------------------------------------------------------------------

def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud's RPC signature asks: A–Z a–z 0–9 - _ . ~ kept, a space as %20."""
    return quote(value, safe="-_.~")


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(key)}={percent_encode(value)}" for key, value in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The RPC-style signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0): Base64 of HMAC-SHA1
    over the string to sign, keyed with the AccessKey secret followed by ``&``."""
    digest = hmac.new(f"{secret}&".encode(), rpc_string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Codes after which sending the same message again cannot succeed.
_PERMANENT = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.SMS_TEMPLATE_ILLEGAL",
              "isv.SMS_SIGNATURE_ILLEGAL", "isv.INVALID_PARAMETERS", "isv.BLACK_KEY_CONTROL_LIMIT",
              "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "isv.ACCOUNT_NOT_EXISTS",
              "isv.PARAM_LENGTH_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT")


@dataclass(frozen=True)
class AlibabaCredentials:
    access_key_id: str
    access_key_secret: str

    def __repr__(self) -> str:
        return "AlibabaCredentials(<hidden>)"

    @classmethod
    def from_env(cls) -> AlibabaCredentials:
        """From ``SORTES_EXPERTS_ALIBABA_ACCESS_KEY_ID(_FILE)`` and ``…_SECRET(_FILE)``: a file (mode 0600)
        is read when named, so the secret need not sit in the environment."""
        return cls(_secret_setting("SORTES_EXPERTS_ALIBABA_ACCESS_KEY_ID"),
                   _secret_setting("SORTES_EXPERTS_ALIBABA_ACCESS_KEY_SECRET"))


def _secret_setting(variable: str) -> str:
    path = env_str(f"{variable}_FILE", "")
    value = Path(path).read_text().strip() if path else env_str(variable, "")
    if not value:
        raise RuntimeError(f"{variable} (or {variable}_FILE) is needed for the alibaba notification provider")
    return value


@dataclass(frozen=True)
class AlibabaTemplates:
    sign_name: str  # 短信签名
    sms_template: str  # 短信模板 CODE, variables project, purpose, time, venue, contact, link
    tts_template: str | None = None  # 语音模板 (文本转语音) CODE, the same variables but link
    called_show_number: str | None = None  # 被叫显号, the number the voice call shows
    region: str = "cn-hangzhou"
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    voice_endpoint: str = "https://dyvmsapi.aliyuncs.com/"


class AlibabaCloud:
    """Alibaba Cloud SMS (``SendSms``) and voice (``SingleCallByTts``), RPC style, signed with the
    AccessKey as https://help.aliyun.com/en/document_detail/145075.html describes; sent with httpx as
    a POST form, so the number is in no URL."""

    name = "alibaba"
    receipt_channels = frozenset({SMS})  # SMS receipts through QuerySendDetails

    def __init__(self, credentials: AlibabaCredentials, templates: AlibabaTemplates,
                 client: httpx.AsyncClient | None = None) -> None:
        self.credentials = credentials
        self.templates = templates
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))

    def signed_params(self, action: str, params: Mapping[str, str], *, now: dt.datetime | None = None,
                      nonce: str | None = None) -> dict[str, str]:
        common = {"AccessKeyId": self.credentials.access_key_id, "Action": action, "Format": "JSON",
                  "RegionId": self.templates.region, "SignatureMethod": "HMAC-SHA1",
                  "SignatureNonce": nonce or str(uuid.uuid4()), "SignatureVersion": "1.0",
                  "Timestamp": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "Version": "2017-05-25"}
        signed = {**common, **params}
        return {**signed, "Signature": rpc_signature(self.credentials.access_key_secret, "POST", signed)}

    async def send(self, message: Message) -> Sent:
        params = {name: value for name, value in message.params.items()}
        if message.channel == VOICE:
            if not self.templates.tts_template or not self.templates.called_show_number:
                raise SendFailed("voice_not_configured", permanent=True)
            endpoint, action, id_field = self.templates.voice_endpoint, "SingleCallByTts", "CallId"
            body = self.signed_params(action, {"CalledNumber": message.phone,
                                               "CalledShowNumber": self.templates.called_show_number,
                                               "TtsCode": self.templates.tts_template,
                                               "TtsParam": json.dumps(params, ensure_ascii=False)})
        else:
            endpoint, action, id_field = self.templates.sms_endpoint, "SendSms", "BizId"
            body = self.signed_params(action, {"PhoneNumbers": message.phone, "SignName": self.templates.sign_name,
                                               "TemplateCode": self.templates.sms_template,
                                               "TemplateParam": json.dumps(params, ensure_ascii=False)})
        answer = await self._post(endpoint, body)
        return Sent(message_id=str(answer.get(id_field) or "") or None)

    async def delivery(self, message: Message, message_id: str, sent_at: dt.datetime) -> str | None:
        """The SMS receipt (``QuerySendDetails``): SendStatus 3 delivered, 2 failed, 1 still waiting."""
        if message.channel != SMS:
            return None
        day = sent_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d")
        body = self.signed_params("QuerySendDetails", {"PhoneNumber": message.phone, "BizId": message_id,
                                                       "SendDate": day, "PageSize": "10", "CurrentPage": "1"})
        answer = await self._post(self.templates.sms_endpoint, body)
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        states = {int(detail.get("SendStatus", 1)) for detail in details}
        if 3 in states:
            return DELIVERED
        if 2 in states:
            return UNDELIVERED
        return None

    async def _post(self, endpoint: str, body: Mapping[str, str]) -> dict[str, Any]:
        try:
            response = await self.client.post(endpoint, data=dict(body))
        except httpx.HTTPError as error:  # the error's text may hold the request; only its kind is kept
            raise SendFailed(f"network:{type(error).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            raise SendFailed(f"http:{response.status_code}") from None
        code = str(answer.get("Code", f"http:{response.status_code}"))
        if code != "OK":
            raise SendFailed(code, permanent=code in _PERMANENT)
        return answer

    async def close(self) -> None:
        await self.client.aclose()
