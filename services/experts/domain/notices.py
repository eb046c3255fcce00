"""Telling an invited member: the invitation text, the one-time answer link, the notification outbox
and the sender that works through it.

When a member is invited (placed by a reveal, or a reserve moving up after a decline), the same
transaction makes a one-time link — its token kept only as a SHA-256 digest — and puts an SMS (and,
where configured, a voice call) in the ``notifications`` outbox, with the phone number, the text and
the link sealed together under the data key. The sender, a background task of each experts
instance, claims due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one
writer), sends them through the configured :class:`~services.experts.domain.messaging.MessageProvider`
outside any transaction, and records the outcome: sent or delivered, or a retry after a growing pause,
or failed once the attempts are spent. No number, text, link or token goes into a log, an error or
an audit entry.

The link answers for its own member only: the gateway's public page forwards the token with the
gateway's identity, and :func:`answer_by_link` finds the member from the token's digest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import panels as panel_rules
from services.experts.domain.messaging import SMS, VOICE, Message, MessageProvider, NotifySettings, SendFailed
from services.experts.domain.personal_data import contact_phone_context
from services.experts.models import Expert, InvitationLink, Notification, Panel, PanelMember, Project
from shared.audit import AuditRecorder
from shared.audit.chain import Actor
from shared.clock import BEIJING, as_utc, utc_now
from shared.contracts.statuses import NotificationStatus, PanelStatus, SeatState
from shared.crypto import KeyRing, mask_phone
from shared.db import Database

_log = logging.getLogger("sortes.notifications")
SENDER = Actor(subject="system:experts-notifications", roles=(), unit="")
TOKEN_BYTES = 24  # 192 bits: guessing one is hopeless, and its digest needs no salt or stretching

PURPOSE_NAMES = {"technical_review": "技术审查", "expert_review": "专家论证", "acceptance": "验收",
                 "initial_acceptance": "初验", "final_acceptance": "终验", "research": "项目调研"}
HALF_NAMES = {"morning": "上午", "afternoon": "下午"}


# --- the text -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Meeting:
    """What an invitation tells: the project, the purpose, when and where, and whom to ask.

    ``venue``, ``starts_at``, ``contact_name`` and ``contact_phone`` are the panel's when it has them
    (read with :func:`meeting_of`); each is left out of the text when absent."""

    project_name: str
    purpose: str
    meeting_on: dt.date
    halves: Sequence[str]
    venue: str | None = None
    starts_at: dt.datetime | dt.time | str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None

    def time_text(self) -> str:
        day = f"{self.meeting_on.year}年{self.meeting_on.month}月{self.meeting_on.day}日"
        halves = "".join(HALF_NAMES.get(half, half) for half in self.halves)
        if isinstance(self.starts_at, dt.datetime):
            return f"{day}{halves} {as_utc(self.starts_at).astimezone(BEIJING):%H:%M}"
        if isinstance(self.starts_at, dt.time):
            return f"{day}{halves} {self.starts_at:%H:%M}"
        if isinstance(self.starts_at, str) and self.starts_at.strip():
            return f"{day}{halves} {self.starts_at.strip()[:40]}"
        return f"{day}{halves}"

    def params(self, link: str | None) -> dict[str, str]:
        """The provider template's variables (Alibaba's templates name them ${project}, ${time} …)."""
        contact = " ".join(part for part in (self.contact_name, self.contact_phone) if part) or "组织单位"
        params = {"project": self.project_name, "purpose": PURPOSE_NAMES.get(self.purpose, "评审"),
                  "time": self.time_text(), "venue": self.venue or "另行通知", "contact": contact}
        return params if link is None else {**params, "link": link}


def invitation_text(meeting: Meeting, link: str | None) -> str:
    """The SMS (with the link) or the voice call's words (without: a call cannot be clicked)."""
    parts = [f"您被随机抽取为“{meeting.project_name}”项目{PURPOSE_NAMES.get(meeting.purpose, '评审')}评审专家。",
             f"时间：{meeting.time_text()}；"]
    if meeting.venue:
        parts.append(f"地点：{meeting.venue}；")
    if meeting.contact_name or meeting.contact_phone:
        parts.append(f"联系人：{' '.join(p for p in (meeting.contact_name, meeting.contact_phone) if p)}；")
    if link is None:
        parts.append("请查收短信，在会议开始前答复是否参加。")
    else:
        parts.append(f"请在会议开始前点击链接答复是否参加（仅限本人、一次有效，请勿转发）：{link}")
    return "".join(parts)


def meeting_of(panel: Panel, project_name: str, keyring: KeyRing | None = None) -> Meeting:
    """The panel's meeting: venue, start time of its first half-day and contact where the panel has them
    (the contact's phone opened with ``keyring``, else left out)."""
    halves = panel.halves.split(",")
    starts = json.loads(panel.starts_at or "{}")
    phone = (keyring.decrypt(panel.contact_phone_token, context=contact_phone_context(panel.id))
             if keyring is not None and panel.contact_phone_token else None)
    return Meeting(project_name=project_name, purpose=panel.purpose, meeting_on=panel.meeting_on,
                   halves=halves, venue=panel.venue, starts_at=starts.get(halves[0]),
                   contact_name=panel.contact_name, contact_phone=phone)


# --- links ----------------------------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(("sortes invitation link\n" + token).encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# --- the outbox -----------------------------------------------------------------------------------

@dataclass
class Notices:
    """Makes links and queues messages (inside the inviting transaction); sends what is due."""

    keyring: KeyRing
    audit: AuditRecorder
    settings: NotifySettings
    provider: MessageProvider | None
    instance: str = field(default_factory=lambda: str(uuid.uuid4()))

    async def invite(self, session: AsyncSession, panel: Panel, members: Sequence[PanelMember]) -> None:
        """``members`` were just invited: a link each and its messages, in the caller's transaction."""
        if self.provider is None:
            return
        experts = {expert.code: expert for expert in (await session.execute(
            select(Expert).where(Expert.code.in_([member.expert_code for member in members])))).scalars()}
        project = panel_rules.kept(session, await session.get(Project, panel.project_code))
        meeting = meeting_of(panel, project.name if project is not None else panel.project_code, self.keyring)
        channels = [SMS, VOICE] if self.settings.voice else [SMS]
        for member in members:
            expert = experts[member.expert_code]
            if expert.phone_token is None:
                continue
            phone = self.keyring.decrypt(expert.phone_token, context=f"experts.phone:{expert.code}")
            token, now = new_token(), utc_now()
            session.add(InvitationLink(member_id=member.id, digest=token_digest(token), created_at=now))
            link = f"{self.settings.link_base}?t={token}"
            for channel in channels:
                with_link = link if channel == SMS else None
                notice_id = str(uuid.uuid4())
                payload = json.dumps({"phone": phone, "text": invitation_text(meeting, with_link),
                                      "params": meeting.params(with_link)}, ensure_ascii=False)
                session.add(Notification(
                    id=notice_id, panel_id=panel.id, member_id=member.id, expert_code=member.expert_code,
                    channel=channel, provider=self.provider.name, status=NotificationStatus.PENDING,
                    payload_token=self.keyring.encrypt(payload, context=_payload_context(notice_id)), attempts=0,
                    next_attempt_at=now, created_at=now))
        await session.flush()

    # --- the sender ---

    async def background_task(self, state: Any) -> None:
        """The sender as the service runs it, for the app's life (shared/service_app.py)."""
        if self.settings.interval_seconds <= 0:
            return
        try:
            await self.run_forever(state.database)
        finally:
            await self.close()

    async def run_forever(self, database: Database) -> None:
        while True:
            try:
                await self.send_due(database)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.warning("notification round failed", extra={"fields": {"error": type(error).__name__}})
            await asyncio.sleep(self.settings.interval_seconds)

    async def send_due(self, database: Database, limit: int = 20) -> int:
        """Claim the due messages, send each, record each outcome; how many were attempted."""
        if self.provider is None:
            return 0
        claimed = await self._claim(database, limit)
        for notice_id in claimed:
            await self._attempt(database, notice_id)
        return len(claimed)

    async def _claim(self, database: Database, limit: int) -> list[str]:
        now = utc_now()
        async with database.transaction() as session:
            receipts = self.provider.receipt_channels  # type: ignore[union-attr]
            awaiting_receipt = and_(Notification.status == NotificationStatus.SENT,
                                    Notification.channel.in_(sorted(receipts)),
                                    Notification.provider == self.provider.name,  # type: ignore[union-attr]
                                    Notification.sent_at >= now - dt.timedelta(hours=self.settings.receipt_hours))
            statement = (select(Notification).where(
                or_(Notification.status == NotificationStatus.PENDING, awaiting_receipt),
                Notification.next_attempt_at <= now,
                or_(Notification.lease_until.is_(None), Notification.lease_until < now))
                .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
            if session.bind.dialect.name == "postgresql":  # two instances never claim the same row
                statement = statement.with_for_update(skip_locked=True)
            rows = (await session.execute(statement)).scalars().all()
            for row in rows:
                row.lease_until = now + dt.timedelta(seconds=self.settings.lease_seconds)
                row.lease_owner = self.instance
            return [row.id for row in rows]

    async def _attempt(self, database: Database, notice_id: str) -> None:
        async with database.reading() as session:
            notice = await session.get(Notification, notice_id)
            if notice is None:
                return
            hold = await _still_wanted(session, notice)
            payload = json.loads(self.keyring.decrypt(notice.payload_token, context=_payload_context(notice_id)))
        if notice.status == NotificationStatus.SENT:
            await self._ask_receipt(database, notice, payload)
            return
        outcome: Any
        if hold is not None:
            outcome = SendFailed(hold, permanent=True)
        else:
            message = Message(channel=notice.channel, phone=payload["phone"], text=payload["text"],
                              params=payload["params"])
            try:
                outcome = await self.provider.send(message)  # type: ignore[union-attr]
            except SendFailed as failure:
                outcome = failure
            except Exception as error:
                outcome = SendFailed(f"error:{type(error).__name__}")
        async with database.transaction() as session:
            notice = await session.get(Notification, notice_id, populate_existing=True, with_for_update=True)
            if notice is None or notice.lease_owner != self.instance or notice.status != NotificationStatus.PENDING:
                return
            notice.attempts += 1
            notice.lease_until, notice.lease_owner = None, None
            if isinstance(outcome, SendFailed):
                notice.last_error = outcome.code
                if outcome.permanent or notice.attempts >= self.settings.max_attempts:
                    notice.status = NotificationStatus.FAILED
                    await self._record(session, notice, "notification.failed", {"error": outcome.code})
                else:
                    pause = self.settings.retry_seconds * 2 ** (notice.attempts - 1)
                    notice.next_attempt_at = utc_now() + dt.timedelta(seconds=pause)
                _log.info("notification not sent", extra={"fields": {
                    "notification": notice.id, "channel": notice.channel, "attempt": notice.attempts,
                    "error": outcome.code, "status": notice.status}})
                return
            notice.status = NotificationStatus.DELIVERED if outcome.delivered else NotificationStatus.SENT
            notice.provider_message_id, notice.sent_at, notice.last_error = outcome.message_id, utc_now(), None
            notice.next_attempt_at = utc_now() + dt.timedelta(seconds=self.settings.receipt_seconds)
            await self._record(session, notice, f"notification.{notice.status}", {})
            _log.info("notification sent", extra={"fields": {
                "notification": notice.id, "channel": notice.channel, "attempt": notice.attempts,
                "status": notice.status}})

    async def _ask_receipt(self, database: Database, notice: Notification, payload: dict[str, Any]) -> None:
        """Whether a sent message arrived, as the provider's receipt says; asked again later while unknown."""
        message = Message(channel=notice.channel, phone=payload["phone"], text=payload["text"],
                          params=payload["params"])
        try:
            if notice.provider_message_id is None:
                raise SendFailed("no_message_id")
            receipt = await self.provider.delivery(  # type: ignore[union-attr]
                message, notice.provider_message_id, as_utc(notice.sent_at))
        except SendFailed as failure:
            receipt, error = None, failure.code
        except Exception as error_:  # asked again later
            receipt, error = None, f"error:{type(error_).__name__}"
        else:
            error = None
        async with database.transaction() as session:
            row = await session.get(Notification, notice.id, populate_existing=True, with_for_update=True)
            if row is None or row.lease_owner != self.instance or row.status != NotificationStatus.SENT:
                return
            row.lease_until, row.lease_owner = None, None
            if receipt is None:
                row.next_attempt_at = utc_now() + dt.timedelta(seconds=self.settings.receipt_seconds)
                row.last_error = error
                return
            row.status = NotificationStatus.DELIVERED if receipt == "delivered" else NotificationStatus.FAILED
            await self._record(session, row, f"notification.{row.status}", {"receipt": receipt})
            _log.info("notification receipt", extra={"fields": {"notification": row.id, "status": row.status}})

    async def _record(self, session: AsyncSession, notice: Notification, action: str,
                      details: dict[str, Any]) -> None:
        await session.flush()
        await self.audit.record(session, actor=SENDER, action=action, object_type="notification",
                                object_id=notice.id, after={"status": notice.status, "attempts": notice.attempts},
                                details={"panel_id": notice.panel_id, "member": notice.member_id,
                                         "channel": notice.channel, "provider": notice.provider,
                                         "attempts": notice.attempts, **details})

    async def close(self) -> None:
        if self.provider is not None:
            await self.provider.close()


async def _still_wanted(session: AsyncSession, notice: Notification) -> str | None:
    """Why the message should no longer go (the member answered or was replaced, the panel was
    cancelled, the meeting began), or None."""
    member = await session.get(PanelMember, notice.member_id)
    panel = await session.get(Panel, notice.panel_id)
    if panel is None or member is None or panel.status != PanelStatus.OPEN:
        return "panel_cancelled"
    if member.state != SeatState.INVITED:
        return "no_longer_invited"
    if utc_now() >= panel_rules.meeting_starts_at(panel):
        return "meeting_started"
    return None


def _payload_context(notice_id: str) -> str:
    return f"experts.notification:{notice_id}"


# --- reading --------------------------------------------------------------------------------------

async def statuses_by_member(session: AsyncSession, panel_id: str) -> dict[int, dict[str, str]]:
    """The latest message status of each channel, by member id (for the call sheet)."""
    rows = await session.execute(select(Notification.member_id, Notification.channel, Notification.status)
                                 .where(Notification.panel_id == panel_id)
                                 .order_by(Notification.created_at, Notification.id))
    found: dict[int, dict[str, str]] = {}
    for member_id, channel, status in rows.all():
        found.setdefault(member_id, {})[channel] = status
    return found


async def recent_messages(session: AsyncSession, keyring: KeyRing, page: int,
                          page_size: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the messages, newest first, and how many there are; the recipient masked; the text
    only of the local outbox's (nothing left the machine, so it is shown where the phone would have
    shown it)."""
    total = (await session.execute(select(func.count()).select_from(Notification))).scalar_one()
    rows = (await session.execute(select(Notification).order_by(Notification.created_at.desc(), Notification.id)
                                  .offset((page - 1) * page_size).limit(page_size))).scalars().all()
    messages = []
    for row in rows:
        payload = json.loads(keyring.decrypt(row.payload_token, context=_payload_context(row.id)))
        messages.append({"id": row.id, "created_at": as_utc(row.created_at), "channel": row.channel,
                         "provider": row.provider, "status": row.status, "attempts": row.attempts,
                         "last_error": row.last_error, "recipient": mask_phone(payload["phone"]),
                         "panel_id": row.panel_id, "sent_at": as_utc(row.sent_at) if row.sent_at else None,
                         "text": payload["text"] if row.provider == "local" else None})
    return messages, total


async def link_of(session: AsyncSession, token: str, *, for_update: bool = False) -> InvitationLink | None:
    statement = select(InvitationLink).where(InvitationLink.digest == token_digest(token))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()
