"""The draw key set at the gateway, and `sortes verify --url` against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.draw import Signer, commit, reveal
from shared.signing_keys import load_private_key
from sortes_cli.local_system import LocalSystem

pytestmark = pytest.mark.e2e


def signed_record(system: LocalSystem) -> dict[str, object]:
    """A draw record signed with the experts service's own key, as a real draw will be."""
    signer = Signer(load_private_key(system.data_dir / "keys" / "experts-draw.pem"))
    receipt = commit(draw_id="5d1f0e2a-9c3b-4e7d-8a6f-1b2c3d4e5f60", purpose="technical_review",
                     project_code="PY-2026-001", committed_at="2026-11-28T01:00:00Z", quotas={"APP": 2},
                     reserves_per_field=1, candidates={"APP": ["E00001", "E00002", "E00003", "E00004"]},
                     signer=signer, secret=bytes(range(32)))
    return reveal(receipt, secret=bytes(range(32)), witness="监督人 王五 4321", drawn_at="2026-11-28T01:05:00Z",
                  signer=signer).to_json_dict()


def verify(record: dict[str, object], system: LocalSystem, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "sortes_cli.main", "verify", str(path), "--url", system.url()],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_key_set_is_public_at_the_gateway(local_system: LocalSystem) -> None:
    response = httpx.get(local_system.url() + "/.well-known/sortes-keys", timeout=10)
    assert response.status_code == 200
    keys = response.json()["keys"]
    signer = Signer(load_private_key(local_system.data_dir / "keys" / "experts-draw.pem"))
    assert [key["key_id"] for key in keys] == [signer.key_id]
    assert keys[0]["algorithm"] == "Ed25519" and keys[0]["not_after"] is None


def test_sortes_verify_fetches_keys_from_the_gateway(local_system: LocalSystem, tmp_path: Path) -> None:
    record = signed_record(local_system)
    ok = verify(record, local_system, tmp_path)
    assert (ok.returncode, ok.stdout) == (0, "OK sortes-draw/1 (Ed25519, SHA-256)\n"), ok.stderr
    tampered = verify({**record, "witness": "监督人 王五 4322"}, local_system, tmp_path)
    assert tampered.returncode == 1 and tampered.stdout.startswith("FAILED: seed")


def test_a_record_signed_by_a_foreign_key_fails_the_key_check(local_system: LocalSystem, tmp_path: Path) -> None:
    vectors = json.loads((Path(__file__).resolve().parents[2] / "docs" / "draw-vectors.json").read_text())
    result = verify(vectors["records"][0], local_system, tmp_path)
    assert result.returncode == 1 and result.stdout.startswith("FAILED: key")
