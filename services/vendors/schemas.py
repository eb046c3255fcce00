"""What the vendors service takes and gives over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class VendorView(msgspec.Struct, frozen=True):
    uscc: str
    name: str
    status: str


class EngagementView(msgspec.Struct, frozen=True):
    id: int
    vendor_uscc: str
    vendor_name: str
    project_code: str
    lot_code: str | None
    role: str
    started_on: dt.date
    ended_on: dt.date | None
    amount_fen: int
