"""An expert's personal data (phone, ID number, bank account): sealed at rest, masked in answers.

Each value is a field-encryption token bound to its column and the expert's pool number, so a
token copied onto another expert or column does not open. The ID number is also kept as a keyed
blind index: the unique index on it finds a duplicate without decrypting anyone. Only bureau admins
see values whole, and every showing is an audit entry naming the fields, never the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.models import Expert, Panel
from shared.audit import AuditRecorder
from shared.audit.chain import Actor
from shared.crypto import (
    Algorithm,
    BlindIndex,
    DecryptionError,
    KeyRing,
    Resealed,
    ensure_blind_index_key_file,
    ensure_key_file,
    key_id_of,
    mask_bank_account,
    mask_id_number,
    mask_phone,
)
from shared.identity import Identity

UNMASKED_ACTION = "personal_data.unmasked"
RESEALED_ACTION = "personal_data.resealed"
# Column of the token → mask for answers.
PERSONAL_FIELDS = {"phone": mask_phone, "id_number": mask_id_number, "bank_account": mask_bank_account}


class PersonalData(msgspec.Struct, frozen=True):
    phone: str | None = None
    id_number: str | None = None
    bank_account: str | None = None


@dataclass(frozen=True)
class PersonalDataVault:
    keyring: KeyRing
    blind_index: BlindIndex

    @classmethod
    def from_key_files(cls, data_key_file: Path, algorithm: Algorithm, blind_index_key_file: Path) -> PersonalDataVault:
        return cls(ensure_key_file(data_key_file, algorithm), ensure_blind_index_key_file(blind_index_key_file))

    def id_number_index(self, id_number: str) -> str:
        return self.blind_index.index_id_number(id_number)

    def seal(self, expert: Expert, field: str, value: str | None) -> None:
        """Store ``value`` (None clears it) in ``expert``'s token column for ``field``."""
        token = None if value is None else self.keyring.encrypt(value, context=_context(field, expert.code))
        setattr(expert, f"{field}_token", token)
        if field == "id_number":
            expert.id_number_index = None if value is None else self.id_number_index(value)

    def open(self, expert: Expert) -> PersonalData:
        return PersonalData(**{field: self._open(expert, field) for field in PERSONAL_FIELDS})

    def masked(self, expert: Expert) -> PersonalData:
        return PersonalData(**{field: None if (value := self._open(expert, field)) is None else mask(value)
                               for field, mask in PERSONAL_FIELDS.items()})

    def _open(self, expert: Expert, field: str) -> str | None:
        token = getattr(expert, f"{field}_token")
        return None if token is None else self.keyring.decrypt(token, context=_context(field, expert.code))


def _context(field: str, code: str) -> str:
    return f"experts.{field}:{code}"


def contact_phone_context(panel_id: str) -> str:
    """A panel's contact phone is sealed bound to the panel, as an expert's phone is to the expert."""
    return f"experts.panel_contact_phone:{panel_id}"


async def record_unmasking(session: AsyncSession, audit: AuditRecorder, actor: Identity, expert: Expert) -> None:
    """An audit entry naming the personal fields shown whole (never their values); none when none is stored."""
    shown = [field for field in PERSONAL_FIELDS if getattr(expert, f"{field}_token") is not None]
    if shown:
        await audit.record(session, actor=actor, action=UNMASKED_ACTION, object_type="expert",
                           object_id=expert.code, details={"fields": shown})


async def rotate_data_keys(session: AsyncSession, audit: AuditRecorder, actor: Actor, keyring: KeyRing, *,
                           after_id: int, batch: int) -> Resealed:
    """Seal again under ``keyring``'s active key the values of the next ``batch`` experts (by id, after
    ``after_id``) holding a value sealed under an older key, with one audit entry naming them.

    ``sortes keys rotate-data`` calls it batch after batch, one transaction each, once the key file
    holds the new key; the retired keys must stay in the ring until no batch is left. The rows are
    locked first, so a profile edited at the same moment keeps its new value. The blind index does
    not depend on the data keys and stays.
    """
    current = f"v1.{keyring.active.key_id}."
    columns = [getattr(Expert, f"{field}_token") for field in PERSONAL_FIELDS]
    stale = or_(*(column.is_not(None) & ~column.startswith(current, autoescape=True) for column in columns))
    # equivalent mutant: > → >= — the batch before's last expert is sealed anew now, so not stale
    experts = (await session.execute(select(Expert).where(Expert.id > after_id, stale).order_by(Expert.id)
                                     .limit(batch).with_for_update())).scalars().all()
    if not experts:  # the experts are done: then the panels' contact phones, a batch at a time
        return await _reseal_panel_contacts(session, audit, actor, keyring, after_id, batch)
    before, after = [], []
    for expert in experts:
        for field in PERSONAL_FIELDS:
            token = getattr(expert, f"{field}_token")
            if token is None or not keyring.needs_rotation(token):
                continue
            try:
                resealed = keyring.reencrypt(token, context=_context(field, expert.code))
            except DecryptionError as error:
                raise DecryptionError(f"expert {expert.code}, {field}: {error}") from None
            setattr(expert, f"{field}_token", resealed)
            before.append((expert.code, field, token))
            after.append((expert.code, field, resealed))
    codes = [expert.code for expert in experts]
    await audit.record(session, actor=actor, action=RESEALED_ACTION, object_type="data_key",
                       object_id=keyring.active.key_id, before=before, after=after,
                       details={"experts": codes, "values": len(after),
                                "from_keys": sorted({key_id_of(token) for _, _, token in before})})
    return Resealed(experts[-1].id, codes, len(after))


async def _reseal_panel_contacts(session: AsyncSession, audit: AuditRecorder, actor: Actor, keyring: KeyRing,
                                 after_id: int, batch: int) -> Resealed:
    """The next ``batch`` panels whose contact phone is sealed under an older key, sealed again (the
    rotation's caller goes on while a batch changed something; ``after_id`` stays the experts' own)."""
    current = f"v1.{keyring.active.key_id}."
    column = Panel.contact_phone_token
    panels = (await session.execute(select(Panel).where(
        column.is_not(None), ~column.startswith(current, autoescape=True)).order_by(Panel.id)
        .limit(batch).with_for_update())).scalars().all()
    if not panels:
        return Resealed(after_id, [], 0)
    before, after = [], []
    for panel in panels:
        token = panel.contact_phone_token
        assert token is not None
        try:
            resealed = keyring.reencrypt(token, context=contact_phone_context(panel.id))
        except DecryptionError as error:
            raise DecryptionError(f"panel {panel.id}, contact phone: {error}") from None
        panel.contact_phone_token = resealed
        before.append((panel.id, "contact_phone", token))
        after.append((panel.id, "contact_phone", resealed))
    ids = [panel.id for panel in panels]
    await audit.record(session, actor=actor, action=RESEALED_ACTION, object_type="data_key",
                       object_id=keyring.active.key_id, before=before, after=after,
                       details={"panels": ids, "values": len(after),
                                "from_keys": sorted({key_id_of(token) for _, _, token in before})})
    return Resealed(after_id, ids, len(after))
