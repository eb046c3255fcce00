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
from services.experts.domain.draw_keys import load_draw_keys, rotate_draw_keys
from services.experts.settings import ExpertsSettings
from shared.draw import KeySet
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


def test_a_retired_key_reveals_only_while_both_its_file_and_its_published_entry_are_there(tmp_path: Path) -> None:
    key_file, key_set_file = tmp_path / "keys" / "draw.pem", tmp_path / "keys" / "draw-key-set.json"
    first = load_draw_keys(key_file, key_set_file).signer.key_id
    rotation = rotate_draw_keys(key_file, key_set_file)
    keys = load_draw_keys(key_file, key_set_file)
    assert keys.signer.key_id == rotation.active_key_id != first
    assert keys.signer_for(first) is not None and keys.signer_for(first).key_id == first
    # Its private half gone: nothing reveals with it.
    saved = rotation.retired_key_file.read_bytes()
    rotation.retired_key_file.unlink()
    assert keys.signer_for(first) is None
    # Its file back but its entry no longer published: nothing reveals with it either.
    rotation.retired_key_file.write_bytes(saved)
    published = json.loads(key_set_file.read_text())
    published["keys"] = [entry for entry in published["keys"] if entry["key_id"] != first]
    key_set_file.write_text(json.dumps(published))
    assert load_draw_keys(key_file, key_set_file).signer_for(first) is None


def test_the_key_set_may_live_in_a_folder_of_its_own_created_on_first_use(tmp_path: Path) -> None:
    key_file, key_set_file = tmp_path / "private" / "draw.pem", tmp_path / "public" / "well-known" / "keys.json"
    keys = load_draw_keys(key_file, key_set_file)
    assert [entry.key_id for entry in KeySet.from_json_text(key_set_file.read_text()).keys] == [keys.signer.key_id]
    rotate_draw_keys(key_file, key_set_file)  # the folder exists now: written again in place
    assert len(KeySet.from_json_text(key_set_file.read_text()).keys) == 2
