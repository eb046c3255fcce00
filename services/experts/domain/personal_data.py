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

from services.experts.models import Expert
from shared.audit import AuditRecorder
from shared.crypto import (
    Algorithm,
    BlindIndex,
    KeyRing,
    ensure_blind_index_key_file,
    ensure_key_file,
    mask_bank_account,
    mask_id_number,
    mask_phone,
)
from shared.identity import Identity

UNMASKED_ACTION = "personal_data.unmasked"
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


async def record_unmasking(session: AsyncSession, audit: AuditRecorder, actor: Identity, expert: Expert) -> None:
    """An audit entry naming the personal fields shown whole (never their values); none when none is stored."""
    shown = [field for field in PERSONAL_FIELDS if getattr(expert, f"{field}_token") is not None]
    if shown:
        await audit.record(session, actor=actor, action=UNMASKED_ACTION, object_type="expert",
                           object_id=expert.code, details={"fields": shown})


async def rotate_data_keys(session: AsyncSession, keyring: KeyRing) -> int:
    """Seal again under ``keyring``'s active key every value sealed under an older key.

    Returns how many experts changed. The blind index does not depend on the data keys and stays.
    Run it after the key file was rotated; the retired keys must stay in the ring until it returns.
    """
    token_columns = [Expert.phone_token, Expert.id_number_token, Expert.bank_account_token]
    current = f"v1.{keyring.active.key_id}.%"
    stale = or_(*(column.is_not(None) & column.not_like(current) for column in token_columns))
    changed = 0
    for expert in (await session.execute(select(Expert).where(stale))).scalars():
        for field in PERSONAL_FIELDS:
            token = getattr(expert, f"{field}_token")
            if token is not None and keyring.needs_rotation(token):
                setattr(expert, f"{field}_token", keyring.reencrypt(token, context=_context(field, expert.code)))
        changed += 1
    await session.flush()
    return changed
