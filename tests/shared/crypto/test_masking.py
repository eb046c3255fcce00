"""Masks for responses: the usual patterns, short and odd values, never the whole value."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.crypto import mask_bank_account, mask_id_number, mask_phone, mask_text


@pytest.mark.parametrize(("mask", "value", "masked"), [
    (mask_phone, "13912345678", "139****5678"),
    (mask_phone, "139-1234-5678", "139****5678"),
    (mask_phone, "+8613912345678", "+86****5678"),
    (mask_phone, "8888123", "8*****3"),
    (mask_id_number, "33032619900101123x", "**************123X"),
    (mask_id_number, "330326900101123", "***********1123"),
    (mask_id_number, "3303", "3**3"),
    (mask_bank_account, "6222020200112233445", "**** **** **** 3445"),
    (mask_bank_account, "6222 0202 0011 2233", "**** **** **** 2233"),
    (mask_bank_account, "12345", "1***5"),
    (mask_text, "欧阳娜娜", "欧**娜"),
    (mask_text, "张三", "张*"),
    (mask_text, "a", "*"),
    (mask_text, "", ""),
])
def test_examples(mask: Callable[[str], str], value: str, masked: str) -> None:
    assert mask(value) == masked


@settings(deadline=None)
@given(value=st.text(st.characters(exclude_characters="*")),
       mask=st.sampled_from([mask_phone, mask_id_number, mask_bank_account, mask_text]))
def test_any_value_is_masked_without_crashing(value: str, mask: Callable[[str], str]) -> None:
    masked = mask(value)
    significant = value if mask is mask_text else "".join(value.split()).replace("-", "")
    if significant:
        assert "*" in masked
