"""The legal representative's ID number: sealed at rest, found through a keyed blind index, masked
in answers, and shown whole only to bureau admins with an audit entry for every showing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import AuditRecorder
from shared.crypto import BlindIndex, KeyRing, ensure_blind_index_key_file, ensure_key_file, mask_id_number
from shared.identity import Identity

UNMASKED_ACTION = "personal_data.unmasked"


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
