"""A draw-signing key rotated under a running experts service: the service signs new draws with the new
key and publishes both at once, a draw committed before the rotation is still revealed, and records
signed before and after verify with `sortes verify --keys`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.experts.app import create_app
from services.experts.settings import ExpertsSettings
from sortes_cli.main import main
from tests.experts.test_panels import (
    MEETING,
    ask_panel,
    build_pool,
    organiser,
    panel_body,
    register_project,
    reveal,
)
from tests.support.databases import TestDatabases
from tests.support.identity import AssertionMinter


@pytest.fixture
async def experts(test_databases: TestDatabases, backend: str, minter: AssertionMinter, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The experts service on draw key files of its own, and the CLI pointed at the same files."""
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    key_file, key_set_file = tmp_path / "experts-draw.pem", tmp_path / "draw-key-set.json"
    monkeypatch.setenv("SORTES_EXPERTS_DRAW_KEY_FILE", str(key_file))
    monkeypatch.setenv("SORTES_EXPERTS_DRAW_KEY_SET_FILE", str(key_set_file))
    settings = ExpertsSettings(database_url=url, identity_public_keys=[minter.public_key], draw_key_file=key_file,
                               draw_key_set_file=key_set_file)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def record_verifies(client: AsyncTestClient[Litestar], minter: AssertionMinter, draw_id: str,
                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    record = (await client.get(f"/api/v1/draws/{draw_id}/record", headers=organiser(minter))).content
    path = tmp_path / f"record-{draw_id}.json"
    path.write_bytes(record)
    assert await asyncio.to_thread(main, ["verify", str(path), "--keys", str(tmp_path / "draw-key-set.json")]) == 0
    assert capsys.readouterr().out == "OK sortes-draw/1 (Ed25519, SHA-256)\n"
    return json.loads(record)["key_id"]


async def test_a_rotation_under_a_running_service_keeps_every_draw_verifiable(
        experts: AsyncTestClient[Litestar], minter: AssertionMinter, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    await register_project(experts, minter)
    await build_pool(experts, minter, 6)
    before = await ask_panel(experts, minter)
    done = await ask_panel(experts, minter, panel_body(meeting=MEETING + dt.timedelta(days=1)))
    await reveal(experts, minter, done["id"])
    old_key = (await experts.get("/.well-known/sortes-keys", headers=organiser(minter))).json()["keys"][0]["key_id"]

    assert await asyncio.to_thread(main, ["keys", "rotate-draw"]) == 0
    capsys.readouterr()
    published = (await experts.get("/.well-known/sortes-keys", headers=organiser(minter))).json()["keys"]
    assert len(published) == 2 and published[0]["key_id"] == old_key
    assert published[0]["not_after"] is not None and published[1]["not_after"] is None

    await reveal(experts, minter, before["id"])  # committed under the old key, revealed with it
    after = await ask_panel(experts, minter, panel_body(meeting=MEETING + dt.timedelta(days=2)))
    await reveal(experts, minter, after["id"])
    signed_by = [await record_verifies(experts, minter, draw["id"], tmp_path, capsys)
                 for draw in (done, before, after)]
    assert signed_by == [old_key, old_key, published[1]["key_id"]]
