"""A deployment moves to the commercial-cryptography profile (issue 26, points 3 and 4): a migration, not a
rewrite of history. Its old draws and its SHA-256 chain keep verifying; the chain records the switch as an
entry, new entries are hashed with SM3 and checkpoints signed with SM2; new draws are sortes-draw/1-sm."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared import sm_crypto
from shared.audit.chain import PROFILE_CHANGED, Actor, compute_hash
from shared.audit.checkpoints import checkpoint_message
from shared.draw import SM, STANDARD, KeySet, b64url_decode, verify_record
from shared.signing_keys import load_signing_key, signing_public_entry
from sortes_cli.main import main
from tests.conftest import build_service_app
from tests.experts.test_panels import MEETING, ask_panel, build_pool, organiser, panel_body, register_project, reveal


async def sql(url: str, statement: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement))
            return result.all() if result.returns_rows else []
    finally:
        await engine.dispose()


async def draw_and_reveal(client: AsyncTestClient[Litestar], minter: Any, meeting: dt.date) -> dict[str, Any]:
    committed = await ask_panel(client, minter, panel_body(count=2, reserves=1, meeting=meeting))
    await reveal(client, minter, committed["id"])
    response = await client.get(f"/api/v1/draws/{committed['id']}/record", headers=organiser(minter))
    assert response.status_code == 200, response.text
    return response.json()


async def cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_a_deployment_moves_to_the_sm_profile_and_keeps_verifying_its_history(
        test_databases, backend, minter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("SORTES_DATA_DIR", str(tmp_path))  # this test's own keys
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", url)
    async with AsyncTestClient(build_service_app("experts", url, minter.public_key)) as client:
        await register_project(client, minter)
        await build_pool(client, minter, 8)
        before = await draw_and_reveal(client, minter, MEETING)
    assert before["protocol"] == "sortes-draw/1"

    monkeypatch.setenv("SORTES_CRYPTO_PROFILE", "sm")
    assert await cli("keys", "rotate-draw") == 0
    assert await cli("keys", "rotate-audit", "--service", "experts") == 0
    assert await cli("keys", "rotate-data", "--service", "experts") == 0  # personal data sealed again, SM4-GCM
    assert "(SM2)" in capsys.readouterr().out
    assert "SM4-GCM" in (tmp_path / "keys" / "experts-data-keys").read_text().splitlines()[0]
    async with AsyncTestClient(build_service_app("experts", url, minter.public_key)) as client:
        after = await draw_and_reveal(client, minter, MEETING + dt.timedelta(days=1))
        key_set = KeySet.from_json((await client.get("/.well-known/sortes-keys", headers=organiser(minter))).json())
        # The service's own check (the console's verify button) trusts the retired checkpoint key too.
        report = (await client.get("/api/v1/audit/verification",
                                   headers=minter.headers("experts", "auditor"))).json()
        assert report["ok"] is True, report
    assert after["protocol"] == "sortes-draw/1-sm"
    assert [entry.algorithm for entry in key_set.keys] == ["Ed25519", "SM2"]
    assert verify_record(before, key_set).profile is STANDARD and verify_record(before, key_set).ok
    assert verify_record(after, key_set).profile is SM and verify_record(after, key_set).ok

    # The chain: one profile change, SHA-256 before it (and for itself), SM3 after; SM2 checkpoints after.
    changes = await sql(url, f"SELECT seq, details FROM audit_log WHERE action = '{PROFILE_CHANGED}'")
    assert [json.loads(details) for _, details in changes] == [{"from": "standard", "to": "sm"}]
    switch = changes[0][0]
    rows = await sql(url, "SELECT seq, recorded_at, actor_subject, actor_roles, actor_unit, action, object_type, "
                          "object_id, before_digest, after_digest, details, prev_hash, entry_hash, rows_digest "
                          f"FROM audit_log WHERE seq IN ({switch}, {switch + 1}) ORDER BY seq")
    for row, profile in zip(rows, ("standard", "sm"), strict=True):
        recorded_at = row[1] if isinstance(row[1], dt.datetime) else dt.datetime.fromisoformat(row[1])
        assert row[12] == compute_hash(
            seq=row[0], recorded_at=recorded_at, actor=Actor(row[2], tuple(filter(None, row[3].split(","))), row[4]),
            action=row[5], object_type=row[6], object_id=row[7], before_digest=row[8], after_digest=row[9],
            details=row[10], prev_hash=row[11], rows_digest=row[13], profile=profile)
    checkpoints = await sql(url, "SELECT seq, entry_hash, signed_at, key_id, signature FROM audit_checkpoints "
                                 "ORDER BY seq")
    active = signing_public_entry(load_signing_key(tmp_path / "keys" / "experts-audit.pem"))
    assert active.algorithm == "SM2"
    before_switch = [c for c in checkpoints if c[0] < switch]
    after_switch = [c for c in checkpoints if c[0] > switch]
    assert before_switch and all(c[3] != active.key_id for c in before_switch)  # the retired Ed25519 key
    assert after_switch and all(c[3] == active.key_id for c in after_switch)
    for seq, entry_hash, signed_at, _, signature in after_switch:
        assert sm_crypto.verify(active.public_key, b64url_decode(signature),
                                checkpoint_message("experts", seq, entry_hash, signed_at))

    assert await cli("audit", "verify", "--service", "experts") == 0
    output = capsys.readouterr().out
    assert "experts: OK —" in output and "every audited row" in output, output

    # Editing the switch (to hide it, or to claim another profile) breaks the chain at that entry.
    await sql(url, f"UPDATE audit_log SET details = '{{\"from\":\"standard\",\"to\":\"standard\"}}' "
                   f"WHERE seq = {switch}")
    assert await cli("audit", "verify", "--service", "experts") == 1
    assert f"entry {switch} was edited" in capsys.readouterr().out


async def test_a_deployment_begun_under_the_profile_hashes_with_sm3_from_its_first_entry(
        test_databases, backend, minter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("SORTES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SORTES_CRYPTO_PROFILE", "sm")
    assert await cli("keys", "init") == 0
    out = capsys.readouterr().out
    assert "draw-signing key (SM2)" in out and "audit checkpoint signing key (SM2)" in out
    assert (tmp_path / "keys" / "experts-blind-index").read_text().startswith("hmac-sm3:")
    assert "SM4-GCM" in (tmp_path / "keys" / "experts-data-keys").read_text()
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", url)
    async with AsyncTestClient(build_service_app("experts", url, minter.public_key)) as client:
        await register_project(client, minter)
        await build_pool(client, minter, 4)
        record = await draw_and_reveal(client, minter, MEETING)
    assert record["protocol"] == "sortes-draw/1-sm"
    assert [seq for seq, in await sql(url, f"SELECT seq FROM audit_log WHERE action = '{PROFILE_CHANGED}'")] == [1]
    assert await cli("audit", "verify", "--service", "experts") == 0, capsys.readouterr().out
