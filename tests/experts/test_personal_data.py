"""Personal data at rest: only tokens in the database, found by blind index, re-sealed on key rotation."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from services.experts.domain.personal_data import PersonalDataVault, rotate_data_keys
from services.experts.models import Expert
from services.experts.settings import ExpertsSettings
from shared.audit import system_actor
from shared.crypto import ensure_blind_index_key_file, ensure_key_file, key_id_of, rotate_key_file
from tests.experts.helpers import admin, create_expert, direct_database, profile, valid_id_number


async def test_no_personal_value_is_stored_in_plaintext(experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number, phone="13912345678",
                                  bank_account="6222021234567890123")
    # Audit entries too: the whole database is read, every table.
    async with direct_database(experts_client) as database, database.reading() as session:
        tables = [name for name in (await session.run_sync(
            lambda sync: sync.connection().dialect.get_table_names(sync.connection())))]
        dump = ""
        for table in tables:
            rows = (await session.execute(text(f'SELECT * FROM "{table}"'))).all()
            dump += repr(rows)
    assert created["code"] in dump  # the dump holds the expert's row
    for value in (id_number, id_number[6:14] + id_number[14:], "13912345678", "6222021234567890123"):
        assert value not in dump


async def test_tokens_are_bound_to_their_expert_and_tagged_with_the_key(experts_client, minter) -> None:
    await create_expert(experts_client, minter)
    vault: PersonalDataVault = experts_client.app.state.vault
    async with direct_database(experts_client) as database, database.reading() as session:
        expert = (await session.execute(select(Expert))).scalar_one()
    assert key_id_of(expert.phone_token) == vault.keyring.active.key_id
    assert len(expert.id_number_index) == 64
    expert.code = "E99999"  # a token copied onto another expert does not open
    try:
        vault.open(expert)
    except ValueError:
        return
    raise AssertionError("a token opened under another expert's pool number")


async def test_rotate_data_keys_reseals_every_value_under_the_new_key(experts_client, minter, tmp_path: Path) -> None:
    key_file, index_file = tmp_path / "experts-data-keys", tmp_path / "experts-blind-index"
    old = PersonalDataVault(ensure_key_file(key_file), ensure_blind_index_key_file(index_file))
    experts_client.app.state.vault = old
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number)
    await create_expert(experts_client, minter, phone=None, bank_account=None)

    new_ring = rotate_key_file(key_file)
    audit, actor = experts_client.app.state.audit, system_actor("test")
    async with direct_database(experts_client) as database:
        async with database.transaction() as session:
            first = await rotate_data_keys(session, audit, actor, new_ring, after_id=0, batch=1)
        async with database.transaction() as session:
            second = await rotate_data_keys(session, audit, actor, new_ring, after_id=first.last_id, batch=1)
        async with database.transaction() as session:
            assert await rotate_data_keys(session, audit, actor, new_ring, after_id=0, batch=1) == (0, [], 0)
        async with database.reading() as session:
            experts = (await session.execute(select(Expert).order_by(Expert.code))).scalars().all()
    tokens = [t for e in experts for t in (e.phone_token, e.id_number_token, e.bank_account_token) if t]
    assert len(tokens) == 4 and {key_id_of(token) for token in tokens} == {new_ring.active.key_id}
    assert (first.codes, first.values, second.codes, second.values) == ([created["code"]], 3, [experts[1].code], 1)

    # With the new ring alone (the old key dropped) the values still open and duplicates are still found.
    experts_client.app.state.vault = PersonalDataVault(type(new_ring)(new_ring.active), old.blind_index)
    shown = await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))
    assert shown.json()["personal_data"]["id_number"] == id_number
    duplicate = await experts_client.post("/api/v1/experts", json=profile(id_number=id_number), headers=admin(minter))
    assert duplicate.status_code == 409


def test_sm4_gcm_by_setting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_DATA_ALGORITHM", "SM4-GCM")
    monkeypatch.setenv("SORTES_EXPERTS_DATA_KEY_FILE", str(tmp_path / "sm4-keys"))
    settings = ExpertsSettings(database_url="sqlite+aiosqlite://")
    vault = PersonalDataVault.from_key_files(settings.data_key_file, settings.data_algorithm, tmp_path / "index")
    expert = Expert(code="E00001")
    vault.seal(expert, "phone", "13912345678")
    assert expert.phone_token.split(".")[2] == "SM4GCM"
    assert vault.open(expert).phone == "13912345678"
