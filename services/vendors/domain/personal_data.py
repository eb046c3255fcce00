"""The legal representative's ID number: sealed at rest, found through a keyed blind index, masked
in answers, and shown whole only to bureau admins with an audit entry for every showing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.models import Vendor
from shared.audit import AuditRecorder
from shared.audit.chain import Actor
from shared.crypto import (
    BlindIndex,
    DecryptionError,
    KeyRing,
    Resealed,
    ensure_blind_index_key_file,
    ensure_key_file,
    key_id_of,
    mask_id_number,
)
from shared.identity import Identity

UNMASKED_ACTION = "personal_data.unmasked"
RESEALED_ACTION = "personal_data.resealed"


@dataclass(frozen=True)
class SealedIdNumber:
    token: str
    index: str


class IdNumberVault:
    def __init__(self, keyring: KeyRing, blind_index: BlindIndex) -> None:
        self._keyring = keyring
        self._blind_index = blind_index

    @classmethod
    def from_key_files(cls, data_key_file: Path, blind_index_key_file: Path) -> IdNumberVault:
        return cls(ensure_key_file(data_key_file), ensure_blind_index_key_file(blind_index_key_file))

    @staticmethod
    def _context(uscc: str) -> str:
        # Bound to the vendor's row: a token copied onto another vendor does not open.
        return f"vendors.legal_representative_id:{uscc}"

    def seal(self, uscc: str, id_number: str) -> SealedIdNumber:
        return SealedIdNumber(token=self._keyring.encrypt(id_number, context=self._context(uscc)),
                              index=self.index(id_number))

    def index(self, id_number: str) -> str:
        return self._blind_index.index_id_number(id_number)

    def open(self, uscc: str, token: str) -> str:
        return self._keyring.decrypt(token, context=self._context(uscc))

    def masked(self, uscc: str, token: str) -> str:
        return mask_id_number(self.open(uscc, token))


async def record_unmasking(session: AsyncSession, audit: AuditRecorder, actor: Identity, uscc: str) -> None:
    await audit.record(session, actor=actor, action=UNMASKED_ACTION, object_type="vendor", object_id=uscc,
                       details={"field": "legal_representative.id_number"})


async def rotate_data_keys(session: AsyncSession, audit: AuditRecorder, actor: Actor, keyring: KeyRing, *,
                           after_id: int, batch: int) -> Resealed:
    """Seal again under ``keyring``'s active key the ID numbers of the next ``batch`` vendors (by id,
    after ``after_id``) sealed under an older key, with one audit entry naming them.

    ``sortes keys rotate-data --service vendors`` calls it batch after batch, one transaction each;
    the rows are locked first, so an edit at the same moment keeps its new value.
    """
    token_column = Vendor.legal_representative_id_token
    stale = token_column.is_not(None) & ~token_column.startswith(f"v1.{keyring.active.key_id}.", autoescape=True)
    # equivalent mutant: > → >= — the batch before's last vendor is sealed anew now, so not stale
    vendors = (await session.execute(select(Vendor).where(Vendor.id > after_id, stale).order_by(Vendor.id)
                                     .limit(batch).with_for_update())).scalars().all()
    if not vendors:
        # equivalent mutant: 0 → 1 — an empty batch ends the caller's loop before its count is read
        return Resealed(after_id, [], 0)
    before, after = [], []
    for vendor in vendors:
        token = vendor.legal_representative_id_token or ""
        try:
            resealed = keyring.reencrypt(token, context=IdNumberVault._context(vendor.uscc))
        except DecryptionError as error:
            raise DecryptionError(f"vendor {vendor.uscc}: {error}") from None
        vendor.legal_representative_id_token = resealed
        before.append((vendor.uscc, token))
        after.append((vendor.uscc, resealed))
    codes = [vendor.uscc for vendor in vendors]
    await audit.record(session, actor=actor, action=RESEALED_ACTION, object_type="data_key",
                       object_id=keyring.active.key_id, before=before, after=after,
                       details={"vendors": codes, "values": len(after),
                                "from_keys": sorted({key_id_of(token) for _, token in before})})
    return Resealed(vendors[-1].id, codes, len(after))
