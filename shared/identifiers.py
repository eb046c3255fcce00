"""Checks of national identifiers: the unified social credit code and the resident ID number."""

from __future__ import annotations

import datetime as dt

from shared.errors import Refusal

# GB 32100-2015: 31 characters (no I, O, S, V, Z); weights 3^(i-1) mod 31 for positions 1–17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def uscc_problem(code: str) -> Refusal | None:
    """Why ``code`` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return Refusal("field.length_18", "must be 18 characters")
    bad = sorted({char for char in code if char not in _USCC_VALUE})
    if bad:
        return Refusal("uscc.characters", "contains characters not allowed in a USCC: {characters}",
                       {"characters": "".join(bad)})
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(code, _USCC_WEIGHTS, strict=False))
    expected = USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return Refusal("uscc.check_character", "check character does not match (GB 32100-2015)")
    return None


def uscc_check_character(first17: str) -> str:
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


# GB 11643-1999: weight of position j (from the left) is 2^(18-j) mod 11; check value
# (12 - sum mod 11) mod 11, 10 written X.
_ID_WEIGHTS = [pow(2, 18 - j, 11) for j in range(1, 18)]
_ID_CHECK = "0123456789X"


def id_number_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[(12 - total % 11) % 11]


def id_number_problem(number: str) -> Refusal | None:
    """Why ``number`` is not a valid 18-digit resident ID number, or None when it is.

    The message never repeats the number: it is personal data.
    """
    if len(number) != 18:
        return Refusal("field.length_18", "must be 18 characters")
    if not number[:17].isascii() or not number[:17].isdigit() or number[17] not in _ID_CHECK:
        return Refusal("id_number.digits", "must be 17 digits followed by a digit or X")
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return Refusal("id_number.birth_date", "contains an impossible birth date")
    if number[17] != id_number_check_character(number[:17]):
        return Refusal("id_number.check_digit", "check digit does not match (GB 11643)")
    return None
