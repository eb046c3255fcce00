"""Masking that holds (docs/guarantees.md §7, issue 17 point 4): for every role but bureau admin, the fields shown
together leave at least a million possible ID numbers; phones keep the 3+4 mask."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from tests.experts.helpers import admin, create_expert, valid_id_number
from tests.support.id_numbers import MILLION, possible_id_numbers

BORN = dt.date(1980, 1, 1)
NON_ADMIN_READERS = ("auditor", "organiser", "supervisor", "service")


def shown_birth(detail: dict[str, Any]) -> dict[str, Any]:
    born = detail.get("birth_date")
    return {"birth_date": dt.date.fromisoformat(born) if born else None, "birth_year": detail.get("birth_year")}


def test_the_counting_finds_the_whole_number_behind_the_old_mask() -> None:
    whole = valid_id_number(BORN)
    # What was shown before: region and last four, and the full birth date beside them.
    assert possible_id_numbers(whole[:6] + "*" * 8 + whole[-4:], birth_date=BORN) == 1
    assert possible_id_numbers("*" * 14 + whole[-4:], birth_year=BORN.year) >= MILLION


@pytest.mark.parametrize("role", NON_ADMIN_READERS)
async def test_every_non_admin_role_sees_too_little_to_rebuild_the_id_number(experts_client, minter,
                                                                            role: str) -> None:
    whole = valid_id_number(BORN)
    code = (await create_expert(experts_client, minter, id_number=whole, birth_date=BORN.isoformat()))["code"]
    headers = minter.headers("experts", role, subject=f"user:{role}")
    detail = (await experts_client.get(f"/api/v1/experts/{code}", headers=headers)).json()
    shown = detail["personal_data"]["id_number"]
    assert shown == "*" * 14 + whole[-4:] and detail["birth_year"] == 1980 and detail["birth_date"] is None
    assert detail["personal_data"]["phone"] == "139****5678"
    assert possible_id_numbers(shown, **shown_birth(detail)) >= MILLION
    listed = (await experts_client.get("/api/v1/experts", params={"q": code}, headers=headers)).json()["items"][0]
    assert "birth_date" not in listed and "personal_data" not in listed  # a listing shows no personal data
    if role == "auditor":  # the export is the auditor's and the bureau admin's
        export = await experts_client.get("/api/v1/experts/export", params={"format": "csv"}, headers=headers)
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        row = dict(zip(rows[0], next(r for r in rows if r[0] == code), strict=True))
        assert row["出生年份"] == "1980" and "出生日期" not in row
        assert possible_id_numbers(row["身份证号"], birth_year=int(row["出生年份"])) >= MILLION


async def test_a_bureau_admin_keeps_the_full_values(experts_client, minter) -> None:
    whole = valid_id_number(BORN)
    code = (await create_expert(experts_client, minter, id_number=whole, birth_date=BORN.isoformat()))["code"]
    detail = (await experts_client.get(f"/api/v1/experts/{code}", headers=admin(minter))).json()
    assert detail["personal_data"]["id_number"] == whole and detail["birth_date"] == BORN.isoformat()
    masked = (await experts_client.get(f"/api/v1/experts/{code}", params={"masked": "true"},
                                       headers=admin(minter))).json()
    assert masked["personal_data"]["id_number"] == "*" * 14 + whole[-4:] and masked["birth_year"] == 1980
