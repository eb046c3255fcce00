"""The demo pool ``make run`` loads: plausible, sealed, and the same people every time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from services.experts.demo import load_demo_data
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.models import AUDIT, DeclaredConflict, Expert, FormerEmployer, Unavailability
from shared.audit import AuditRecorder, AuditSettings
from shared.crypto import ensure_blind_index_key_file, ensure_key_file
from shared.db import Database
from shared.identifiers import id_number_problem
from shared.migrations import upgrade


def service_url(client) -> str:
    return client.app.state.database.engine.url.render_as_string(hide_password=False)


async def load(database: Database, audit: AuditRecorder, keys: Path) -> list[tuple[str, str, str]]:
    """Load the demo pool into ``database``; each expert's pool number, name and ID number."""
    vault = PersonalDataVault(ensure_key_file(keys / "data"), ensure_blind_index_key_file(keys / "index"))
    try:
        async with database.transaction() as session:
            assert await load_demo_data(session, audit, vault)
        async with database.transaction() as session:
            assert not await load_demo_data(session, audit, vault)  # a loaded pool is left alone
        async with database.reading() as session:
            experts = (await session.execute(select(Expert).order_by(Expert.code)
                                             .options(selectinload(Expert.fields)))).scalars().all()
            counts = [(await session.execute(select(func.count()).select_from(table))).scalar_one()
                      for table in (FormerEmployer, DeclaredConflict, Unavailability)]
    finally:
        await database.dispose()
    assert 180 <= len(experts) <= 220
    assert all(count > 0 for count in counts), counts
    people = []
    for expert in experts:
        personal = vault.open(expert)
        assert personal.id_number is not None and id_number_problem(personal.id_number) is None
        assert personal.id_number[6:14] == f"{expert.birth_date:%Y%m%d}"
        assert personal.phone and personal.bank_account
        people.append((expert.code, expert.name, personal.id_number))
    return people


async def test_the_demo_pool_is_plausible_and_sealed(experts_client, tmp_path: Path) -> None:
    people = await load(Database.from_url(service_url(experts_client)), experts_client.app.state.audit, tmp_path)
    assert len({id_number for _, _, id_number in people}) == len(people)


async def test_the_demo_pool_is_the_same_people_every_time(tmp_path: Path) -> None:
    loaded = []
    for attempt in ("first", "second"):
        url = f"sqlite+aiosqlite:///{tmp_path / attempt}.db"
        await asyncio.to_thread(upgrade, "experts", url)
        loaded.append(await load(Database.from_url(url), AuditSettings.from_env("experts").recorder("experts", AUDIT),
                                 tmp_path / attempt))
    assert loaded[0] == loaded[1]
