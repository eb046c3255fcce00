"""How many resident ID numbers are consistent with what a caller was shown (docs/guarantees.md §7: masking must
leave at least a million).

A shown ID number keeps some characters and stars the others; a birth year or a full birth date may be
shown beside it. Every 18-character number the project's own check accepts (``id_number_problem``:
digits, a real birth date, the GB 11643 check character) and that agrees with all of it is counted.
"""

from __future__ import annotations

import datetime as dt

MILLION = 1_000_000
# GB 11643-1999, as shared.identifiers checks it: weights 2^(18-j) mod 11, check (12 - sum) mod 11.
_ID_WEIGHTS = [pow(2, 17 - index, 11) for index in range(17)]
_ID_CHECK = "0123456789X"


def possible_id_numbers(shown: str, *, birth_year: int | None = None, birth_date: dt.date | None = None) -> int:
    """How many valid 18-character ID numbers match ``shown`` (``*`` for a hidden character), the
    birth year and the birth date (either may be unknown)."""
    if len(shown) != 18:
        raise ValueError("an 18-character masked ID number is expected")
    total = 0
    for day in _days(birth_year, birth_date):
        digits = f"{day:%Y%m%d}"
        if any(shown[6 + i] not in ("*", digits[i]) for i in range(8)):
            continue
        # Free digits outside the date (region 0–5, sequence 14–16): count assignments by the weighted
        # sum they add, modulo 11, then keep those that give a matching check character.
        known = sum(int(digits[i]) * _ID_WEIGHTS[6 + i] for i in range(8))
        ways = [0] * 11
        ways[known % 11] = 1
        for position in (*range(6), *range(14, 17)):
            choices = range(10) if shown[position] == "*" else (int(shown[position]),)
            step = [0] * 11
            for remainder, count in enumerate(ways):
                if count:
                    for digit in choices:
                        step[(remainder + digit * _ID_WEIGHTS[position]) % 11] += count
            ways = step
        total += sum(count for remainder, count in enumerate(ways)
                     if shown[17] in ("*", _ID_CHECK[(12 - remainder) % 11]))
    return total


def _days(birth_year: int | None, birth_date: dt.date | None) -> list[dt.date]:
    if birth_date is not None:
        return [birth_date]
    years = [birth_year] if birth_year is not None else range(1900, dt.date.today().year + 1)
    days = []
    for year in years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            days.append(day)
            day += dt.timedelta(days=1)
    return days
