"""`sortes keys rotate-data`: a new data key, every value sealed again under it, a running service still reading."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from services.experts.app import create_app as create_experts
from services.experts.settings import ExpertsSettings
from services.vendors.app import create_app as create_vendors
from services.vendors.settings import VendorsSettings
from shared.audit import operator_actor
from shared.crypto import key_id_of, load_key_file, rotate_key_file
from shared.db import Database
from shared.demo import make_uscc
from sortes_cli.main import main
from tests.experts.helpers import admin, audit_entries, create_expert, valid_id_number
from tests.support.databases import TestDatabases
from tests.support.identity import AssertionMinter

TOKEN_COLUMNS = {"experts": ("phone_token", "id_number_token", "bank_account_token"),
                 "vendors": ("legal_representative_id_token",)}


@pytest.fixture
async def experts(test_databases: TestDatabases, backend: str, minter: AssertionMinter, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The experts service running on its own key file, and the CLI pointed at the same database and file."""
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    key_file = tmp_path / "experts-data-keys"
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", url)
    monkeypatch.setenv("SORTES_EXPERTS_DATA_KEY_FILE", str(key_file))
    settings = ExpertsSettings(database_url=url, identity_public_keys=[minter.public_key], data_key_file=key_file,
                               blind_index_key_file=tmp_path / "experts-blind-index")
    async with AsyncTestClient(create_experts(settings)) as client:
        yield client


async def raw_rows(url: str, service: str) -> list[tuple[str | None, ...]]:
    table = "experts" if service == "experts" else "vendors"
    database = Database.from_url(url)
    try:
        async with database.reading() as session:
            return [tuple(row) for row in (await session.execute(
                text(f"SELECT {', '.join(TOKEN_COLUMNS[service])} FROM {table}"))).all()]
    finally:
        await database.dispose()


async def whole_database_text(url: str) -> str:
    database = Database.from_url(url)
    try:
        async with database.reading() as session:
            tables = await session.run_sync(lambda sync: sync.connection().dialect.get_table_names(sync.connection()))
            return "".join([repr((await session.execute(text(f'SELECT * FROM "{table}"'))).all()) for table in tables])
    finally:
        await database.dispose()


def sortes(*arguments: str) -> int:
    return main(list(arguments))


async def test_rotation_reseals_every_expert_value_and_the_running_service_follows(
        experts: AsyncTestClient[Litestar], minter: AssertionMinter, capsys: pytest.CaptureFixture[str]) -> None:
    url = experts.app.state.database.engine.url.render_as_string(hide_password=False)
    people = [dict(id_number=valid_id_number(), phone="13912345678", bank_account="6222021234567890123"),
              dict(id_number=valid_id_number(), phone="13800001111", bank_account=None),
              dict(id_number=valid_id_number(), phone=None, bank_account=None)]
    codes = [(await create_expert(experts, minter, **person))["code"] for person in people]
    old_key = key_id_of(next(token for token in (await raw_rows(url, "experts"))[0] if token))

    assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "experts", "--batch", "2") == 0
    new_key = load_key_file(Path(experts.app.state.vault.keyring.path)).active.key_id
    assert new_key != old_key
    assert f"new data key {new_key}" in capsys.readouterr().out
    tokens = [token for row in await raw_rows(url, "experts") for token in row if token]
    assert len(tokens) == 6 and {key_id_of(token) for token in tokens} == {new_key}
    dump = await whole_database_text(url)
    for person in people:
        assert not any(value and value in dump for value in person.values())

    # The running service opens the new tokens (it reads its key file again) and seals under the new key.
    for code, person in zip(codes, people, strict=True):
        shown = (await experts.get(f"/api/v1/experts/{code}", headers=admin(minter))).json()
        assert shown["personal_data"] == person
    later = await create_expert(experts, minter)
    later_tokens = [token for row in await raw_rows(url, "experts") for token in row if token][6:]
    assert {key_id_of(token) for token in later_tokens} == {new_key}
    shown = (await experts.get(f"/api/v1/experts/{later['code']}", headers=admin(minter))).json()
    assert shown["personal_data"]["phone"] == "13912345678"

    entries = await audit_entries(experts, minter, object_type="data_key")
    assert [(e["action"], e["object_id"], e["details"]["values"]) for e in reversed(entries)] == [
        ("personal_data.resealed", new_key, 5), ("personal_data.resealed", new_key, 1)]
    assert {e["actor"] for e in entries} == {operator_actor().subject}
    assert sorted(code for e in entries for code in e["details"]["experts"]) == codes
    assert all(e["details"]["from_keys"] == [old_key] for e in entries)
    assert await asyncio.to_thread(sortes, "audit", "verify", "--service", "experts") == 0


async def test_a_second_run_rotates_again_and_an_interrupted_one_is_finished_without_a_new_key(
        experts: AsyncTestClient[Litestar], minter: AssertionMinter, capsys: pytest.CaptureFixture[str]) -> None:
    url = experts.app.state.database.engine.url.render_as_string(hide_password=False)
    created = await create_expert(experts, minter, phone="13912345678")
    key_file = Path(experts.app.state.vault.keyring.path)
    assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "experts") == 0
    assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "experts") == 0
    assert len(load_key_file(key_file).retired) == 2
    assert "3 values of 1 experts sealed again" in capsys.readouterr().out

    # A rotation that stopped after adding its key: the next run finishes it under that key.
    added = rotate_key_file(key_file)
    assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "experts") == 0
    assert "finished an unfinished rotation: 3 values of 1 experts" in capsys.readouterr().out
    assert load_key_file(key_file).active == added.active
    assert {key_id_of(token) for token in (await raw_rows(url, "experts"))[0]} == {added.active.key_id}
    shown = (await experts.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert shown["personal_data"]["phone"] == "13912345678"


async def test_a_value_under_a_key_no_longer_in_the_file_stops_the_rotation(
        experts: AsyncTestClient[Litestar], minter: AssertionMinter, capsys: pytest.CaptureFixture[str]) -> None:
    await create_expert(experts, minter)
    key_file = Path(experts.app.state.vault.keyring.path)
    rotate_key_file(key_file)
    key_file.write_text(key_file.read_text().splitlines()[0] + "\n")  # the old key lost
    assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "experts") == 1
    assert "does not open" in capsys.readouterr().err


def test_a_missing_key_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_DATA_KEY_FILE", str(tmp_path / "absent"))
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", f"sqlite:///{tmp_path / 'experts.db'}")
    assert sortes("keys", "rotate-data", "--service", "experts") == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "absent").exists()


async def test_vendors_rotate_the_legal_representatives_id_numbers(
        test_databases: TestDatabases, backend: str, minter: AssertionMinter, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = await asyncio.to_thread(test_databases.fresh, "vendors", backend)
    key_file = tmp_path / "vendors-data-keys"
    monkeypatch.setenv("SORTES_VENDORS_DATABASE_URL", url)
    monkeypatch.setenv("SORTES_VENDORS_DATA_KEY_FILE", str(key_file))
    settings = VendorsSettings(database_url=url, identity_public_keys=[minter.public_key], data_key_file=key_file,
                               blind_index_key_file=tmp_path / "vendors-blind-index")
    headers = minter.headers("vendors", "bureau_admin")
    rng = random.Random(5)
    async with AsyncTestClient(create_vendors(settings)) as client:
        id_numbers = {make_uscc(rng, "91"): valid_id_number() for _ in range(3)}
        for uscc, id_number in id_numbers.items():
            response = await client.post("/api/v1/vendors", headers=headers, json={
                "uscc": uscc, "name": f"浙江测试{uscc[-4:]}有限公司",
                "legal_representative": {"name": "陈建国", "id_number": id_number}})
            assert response.status_code == 201, response.text
        old_key = load_key_file(key_file).active.key_id

        assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "vendors") == 0
        new_key = load_key_file(key_file).active.key_id
        assert {key_id_of(row[0]) for row in await raw_rows(url, "vendors")} == {new_key} != {old_key}
        dump = await whole_database_text(url)
        assert not any(id_number in dump for id_number in id_numbers.values())
        for uscc, id_number in id_numbers.items():
            shown = (await client.get(f"/api/v1/vendors/{uscc}", headers=headers)).json()
            assert shown["legal_representative"]["id_number"] == id_number
        # One entry on the record for the batch: which vendors, how many values, from which key.
        entries = (await client.get("/api/v1/audit", params={"object_type": "data_key"},
                                    headers=minter.headers("vendors", "auditor"))).json()["items"]
        assert [(e["action"], e["object_id"], e["details"]) for e in entries] == [
            ("personal_data.resealed", new_key, {"vendors": list(id_numbers), "values": 3, "from_keys": [old_key]})]


async def test_rotation_reseals_the_panels_contact_phones_too(experts: AsyncTestClient[Litestar],
                                                              minter: AssertionMinter) -> None:
    from tests.experts.test_panels import ask_panel, build_pool, organiser, panel_body, register_project

    url = experts.app.state.database.engine.url.render_as_string(hide_password=False)
    await register_project(experts, minter)
    await build_pool(experts, minter, 3)
    committed = await ask_panel(experts, minter, panel_body(count=1, contact_phone="13800138000"))
    database = Database.from_url(url)
    try:
        async with database.reading() as session:
            [old_token] = (await session.execute(text("SELECT contact_phone_token FROM panels"))).scalars()
    finally:
        await database.dispose()

    assert await asyncio.to_thread(sortes, "keys", "rotate-data", "--service", "experts") == 0
    new_key = load_key_file(Path(experts.app.state.vault.keyring.path)).active.key_id
    database = Database.from_url(url)
    try:
        async with database.reading() as session:
            [token] = (await session.execute(text("SELECT contact_phone_token FROM panels"))).scalars()
    finally:
        await database.dispose()
    assert key_id_of(token) == new_key != key_id_of(old_token)
    view = (await experts.get(f"/api/v1/draws/{committed['id']}", headers=organiser(minter))).json()
    assert view["panel"]["contact_phone"] == "13800138000"
    entries = await audit_entries(experts, minter, object_type="data_key")
    # One entry for the panels' batch: which panels, how many values, from which key.
    assert [e["details"] for e in entries if "panels" in e["details"]] == [
        {"panels": [committed["panel"]["id"]], "values": 1, "from_keys": [key_id_of(old_token)]}]
    assert await asyncio.to_thread(sortes, "audit", "verify", "--service", "experts") == 0
