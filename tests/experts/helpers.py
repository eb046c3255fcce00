"""Building experts through the public API, as a bureau admin would."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.clock import beijing_today
from shared.db import Database
from shared.identifiers import id_number_check_character
from tests.support.databases import url_of
from tests.support.identity import AssertionMinter

EMPLOYER = "11330326862981311N"  # the demo bureau
OTHER_UNIT = "91330326MA2CT8U6X4"
THIRD_UNIT = "91330326MA2CT8U7X5"
_sequence = itertools.count(1)


def valid_id_number(birth_date: dt.date = dt.date(1980, 1, 1), sequence: int | None = None) -> str:
    first17 = f"330326{birth_date:%Y%m%d}{(sequence or next(_sequence)) % 1000:03d}"
    return first17 + id_number_check_character(first17)


def id_number_ending_in_x(birth_date: dt.date = dt.date(1980, 1, 1)) -> str:
    """A valid ID number whose check character is X (one sequence in eleven has it)."""
    return next(number for sequence in range(1, 1000)
                if (number := valid_id_number(birth_date, sequence)).endswith("X"))


def born(years_ago: int, days: int = 0) -> dt.date:
    """The birth date of someone ``years_ago`` years old today (Beijing), ``days`` later."""
    today = beijing_today()
    return today.replace(year=today.year - years_ago) + dt.timedelta(days=days)


def _date_or_none(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def profile(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "王建国", "birth_date": "1980-01-01", "unit_uscc": EMPLOYER, "unit_name": "平阳县大数据发展管理局",
        "title": "高级工程师", "years_in_field": 15, "fields": [{"code": "APP", "primary": True}],
        "phone": "13912345678", "id_number": valid_id_number(), "bank_account": "6222021234567890123",
        "last_trained_on": (dt.date.today() - dt.timedelta(days=30)).isoformat(),
    }
    birth = _date_or_none(changes.get("birth_date"))
    if birth is not None and "id_number" not in changes:
        # The ID number encodes the birth date, and the years in the field fit the age (both checked);
        # a birth date that is no date is left for the service to refuse.
        body["id_number"] = valid_id_number(birth)
        if "years_in_field" not in changes:
            age = dt.date.today().year - birth.year - 1
            body["years_in_field"] = max(0, min(15, age - 16))
    body.update(changes)
    return body


def admin(minter: AssertionMinter) -> dict[str, str]:
    return minter.headers("experts", "bureau_admin", subject="user:admin")


async def create_expert(client: AsyncTestClient[Litestar], minter: AssertionMinter, **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/experts", json=profile(**changes), headers=admin(minter))
    assert response.status_code == 201, response.text
    return response.json()


async def audit_entries(client: AsyncTestClient[Litestar], minter: AssertionMinter, **params: str) -> list[dict]:
    page = await client.get("/api/v1/audit", params={"page_size": 200, **params},
                            headers=minter.headers("experts", "auditor"))
    return page.json()["items"]


@contextlib.asynccontextmanager
async def direct_database(client: AsyncTestClient[Litestar]) -> AsyncIterator[Database]:
    """The service's database on an engine of the test's own event loop, to read and write rows directly."""
    database = Database.from_url(url_of(client))
    try:
        yield database
    finally:
        await database.dispose()
