"""`sortes keys init`: every key file the services read, created once and kept after; `sortes keys
rotate-draw`: a new draw-signing key without a restart, records signed before the rotation still verify
with `sortes verify --keys`, and a draw committed before it can still be revealed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.experts.domain.draw_keys import DrawKeys, load_draw_keys, retired_key_file
from shared.draw import CommitReceipt, Signer, commit, reveal
from sortes_cli.main import main

SECRET = bytes(range(32))


def committed(signer: Signer, draw_id: str) -> CommitReceipt:
    return commit(draw_id=draw_id, purpose="technical_review", project_code="PY-2026-001",
                  committed_at="2026-11-28T01:00:00Z", quotas={"APP": 2}, reserves_per_field=1,
                  candidates={"APP": ["E00001", "E00002", "E00003", "E00004"]}, signer=signer, secret=SECRET)


def revealed(receipt: CommitReceipt, signer: Signer) -> dict[str, object]:
    return reveal(receipt, secret=SECRET, witness="监督人 王五 4321", drawn_at="2026-11-28T01:05:00Z",
                  signer=signer).to_json_dict()


def verify(record: dict[str, object], key_set_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    main(["verify", str(path), "--keys", str(key_set_file)])
    return capsys.readouterr().out


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DrawKeys:
    """The keys a running experts service holds, and the CLI pointed at the same files."""
    key_file, key_set_file = tmp_path / "keys" / "experts-draw.pem", tmp_path / "keys" / "draw-key-set.json"
    monkeypatch.setenv("SORTES_EXPERTS_DRAW_KEY_FILE", str(key_file))
    monkeypatch.setenv("SORTES_EXPERTS_DRAW_KEY_SET_FILE", str(key_set_file))
    return load_draw_keys(key_file, key_set_file)


def test_init_creates_every_key_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_DATA_DIR", str(tmp_path))
    assert main(["keys", "init"]) == 0
    first = capsys.readouterr().out
    assert first.count(" created ") == 15 and " kept " not in first
    files = {path.name: path.read_bytes() for path in (tmp_path / "keys").iterdir()}
    public = {"draw-key-set.json", "identity.pub"}
    assert set(files) >= {"identity.pem", "experts-draw.pem", "vendors-data-keys", "gateway-data-keys",
                          "gateway-audit.pem", *public}
    assert all(oct((tmp_path / "keys" / name).stat().st_mode & 0o777) == "0o600" for name in set(files) - public)

    assert main(["keys", "init"]) == 0
    assert capsys.readouterr().out.count(" kept ") == 15
    assert {path.name: path.read_bytes() for path in (tmp_path / "keys").iterdir()} == files


def test_a_record_signed_before_a_rotation_still_verifies(keys: DrawKeys, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    old = keys.signer
    before = revealed(committed(old, "5d1f0e2a-9c3b-4e7d-8a6f-1b2c3d4e5f60"), old)
    pending = committed(old, "6e2f1f3b-0d4c-4f8e-9b7a-2c3d4e5f6a71")  # committed, not yet revealed

    assert main(["keys", "rotate-draw"]) == 0
    assert f"key {old.key_id} retired" in capsys.readouterr().out

    new = keys.signer  # followed without a restart
    assert new.key_id != old.key_id
    published = {entry.key_id: entry for entry in keys.key_set.keys}
    assert list(published) == [old.key_id, new.key_id]
    assert published[old.key_id].not_after is not None and published[new.key_id].not_after is None
    assert published[new.key_id].not_before == published[old.key_id].not_after
    assert oct(retired_key_file(keys.key_file, old.key_id).stat().st_mode & 0o777) == "0o600"

    assert verify(before, keys.key_set_file, tmp_path, capsys) == "OK sortes-draw/1 (Ed25519, SHA-256)\n"
    after = revealed(committed(new, "7f3a2a4c-1e5d-4a9f-8c8b-3d4e5f6a7b82"), new)
    assert verify(after, keys.key_set_file, tmp_path, capsys) == "OK sortes-draw/1 (Ed25519, SHA-256)\n"
    retired = keys.signer_for(pending.key_id)
    assert retired is not None and retired.key_id == old.key_id
    verified = verify(revealed(pending, retired), keys.key_set_file, tmp_path, capsys)
    assert verified == "OK sortes-draw/1 (Ed25519, SHA-256)\n"


def test_a_second_rotation_keeps_every_earlier_key(keys: DrawKeys, capsys: pytest.CaptureFixture[str]) -> None:
    first = keys.signer.key_id
    assert main(["keys", "rotate-draw"]) == 0
    second = keys.signer.key_id
    assert main(["keys", "rotate-draw"]) == 0
    published = keys.key_set.keys
    assert [entry.key_id for entry in published] == [first, second, keys.signer.key_id]
    assert [entry.not_after is None for entry in published] == [False, False, True]
    assert keys.signer_for("0" * 16) is None
