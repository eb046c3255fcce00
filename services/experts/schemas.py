"""What the experts service takes and gives over HTTP."""

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


class FieldView(msgspec.Struct, frozen=True):
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    retired: bool


class ExpertFieldView(msgspec.Struct, frozen=True):
    code: str
    primary: bool


class ExpertView(msgspec.Struct, frozen=True):
    code: str
    name: str
    unit_uscc: str
    unit_name: str
    title: str
    years_in_field: int
    status: str
    fields: list[ExpertFieldView]
    trained_until: dt.date | None
