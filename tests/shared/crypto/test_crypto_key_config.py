"""Keys from settings and key files: loading, local key files, rotation, and errors that name the
setting but never the secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shared.crypto import (
    AES_256_GCM,
    SM4_GCM,
    DataKey,
    DecryptionError,
    KeyConfigError,
    KeyRing,
    blind_index_from_env,
    data_algorithm_from_env,
    ensure_blind_index_key_file,
    ensure_key_file,
    format_key_entry,
    keyring_from_env,
    load_blind_index_key_file,
    load_key_file,
    rotate_key_file,
)
from shared.draw.keys import b64url_encode

AES_KEY = DataKey.from_secret(AES_256_GCM, bytes(range(32)))
SM4_KEY = DataKey.from_secret(SM4_GCM, bytes(range(100, 116)))
AES_SECRET_TEXT = b64url_encode(AES_KEY.secret)
CONTEXT = "vendors.bank_account"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_format_key_entry() -> None:
    assert format_key_entry(AES_KEY) == f"AES-256-GCM:{AES_SECRET_TEXT}"


def test_keys_setting_first_entry_is_active() -> None:
    environ = {"SORTES_EXPERTS_DATA_KEYS": f"{format_key_entry(SM4_KEY)}, {format_key_entry(AES_KEY)},"}
    ring = keyring_from_env("SORTES_EXPERTS", environ)
    assert ring.active == SM4_KEY
    assert ring.retired == (AES_KEY,)
    old_token = KeyRing(AES_KEY).encrypt("6222020200112233445", context=CONTEXT)
    assert ring.decrypt(old_token, context=CONTEXT) == "6222020200112233445"


def test_keys_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTES_VENDORS_DATA_KEYS", format_key_entry(AES_KEY))
    monkeypatch.delenv("SORTES_VENDORS_DATA_KEY_FILE", raising=False)
    assert keyring_from_env("SORTES_VENDORS").active == AES_KEY


def test_key_file_one_entry_per_line(tmp_path: Path) -> None:
    key_file = tmp_path / "data-keys"
    key_file.write_text(f"\n{format_key_entry(AES_KEY)}\n\n{format_key_entry(SM4_KEY)}\n")
    ring = keyring_from_env("P", {"P_DATA_KEY_FILE": str(key_file)})
    assert (ring.active, ring.retired) == (AES_KEY, (SM4_KEY,))
    assert load_key_file(key_file).active == AES_KEY


@pytest.mark.parametrize(("value", "problem"), [
    (AES_SECRET_TEXT, "expected <algorithm>:<base64url secret>"),
    (f"AES-128-GCM:{AES_SECRET_TEXT}", "expected <algorithm>:<base64url secret>"),
    (f"AES-256-GCM:{AES_SECRET_TEXT}=", "not unpadded base64url"),
    (f"AES-256-GCM:{AES_SECRET_TEXT}!", "not unpadded base64url"),
    (f"AES-256-GCM:{b64url_encode(AES_KEY.secret[:16])}", "needs a 32-byte secret, got 16 bytes"),
    (f"SM4-GCM:{AES_SECRET_TEXT}", "needs a 16-byte secret, got 32 bytes"),
    (f"{format_key_entry(SM4_KEY)},AES-256-GCM:{AES_SECRET_TEXT[:-1]}", "entry 2"),
    (" , ", "holds no key"),
])
def test_malformed_keys_setting_names_the_setting_not_the_secret(value: str, problem: str) -> None:
    with pytest.raises(KeyConfigError) as caught:
        keyring_from_env("SORTES_EXPERTS", {"SORTES_EXPERTS_DATA_KEYS": value})
    message = str(caught.value)
    assert "SORTES_EXPERTS_DATA_KEYS" in message
    assert problem in message
    assert AES_SECRET_TEXT[:16] not in message and b64url_encode(SM4_KEY.secret)[:16] not in message


def test_malformed_key_file_names_the_file_and_line_number_but_not_the_secret(tmp_path: Path) -> None:
    key_file = tmp_path / "data-keys"
    key_file.write_text(f"{format_key_entry(AES_KEY)}\nSM4-GCM:{AES_SECRET_TEXT}\n")
    expected = r"key file .*data-keys \(from P_DATA_KEY_FILE\), entry 2: SM4-GCM needs a 16-byte secret"
    with pytest.raises(KeyConfigError, match=expected) as caught:
        keyring_from_env("P", {"P_DATA_KEY_FILE": str(key_file)})
    assert AES_SECRET_TEXT not in str(caught.value)


@pytest.mark.parametrize(("environ", "message"), [
    ({}, "set P_DATA_KEYS or P_DATA_KEY_FILE"),
    ({"P_DATA_KEYS": "  "}, "set P_DATA_KEYS or P_DATA_KEY_FILE"),
    ({"P_DATA_KEYS": format_key_entry(AES_KEY), "P_DATA_KEY_FILE": "/x"},
     "only one of P_DATA_KEYS and P_DATA_KEY_FILE"),
    ({"P_DATA_KEY_FILE": "/nonexistent/sortes-keys"}, "/nonexistent/sortes-keys does not exist"),
])
def test_missing_or_ambiguous_settings(environ: dict[str, str], message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        keyring_from_env("P", environ)


def test_key_file_that_is_not_text(tmp_path: Path) -> None:
    key_file = tmp_path / "data-keys"
    key_file.write_bytes("AES-256-GCM:密钥".encode())
    with pytest.raises(KeyConfigError, match="not ASCII text") as caught:
        load_key_file(key_file)
    assert "密钥" not in str(caught.value)


@pytest.mark.parametrize(("environ", "algorithm"), [
    ({}, AES_256_GCM),
    ({"P_DATA_ALGORITHM": "SM4-GCM"}, SM4_GCM),
    ({"P_DATA_ALGORITHM": " AES-256-GCM "}, AES_256_GCM),
])
def test_data_algorithm_setting(environ: dict[str, str], algorithm: str) -> None:
    assert data_algorithm_from_env("P", environ) == algorithm


def test_unknown_data_algorithm_names_the_setting() -> None:
    with pytest.raises(KeyConfigError, match="P_DATA_ALGORITHM must be one of AES-256-GCM, SM4-GCM"):
        data_algorithm_from_env("P", {"P_DATA_ALGORITHM": "DES"})


@pytest.mark.parametrize("algorithm", [AES_256_GCM, SM4_GCM])
def test_ensure_key_file_creates_a_private_file_once(tmp_path: Path, algorithm: str) -> None:
    key_file = tmp_path / "keys" / "experts-data-keys"
    ring = ensure_key_file(key_file, algorithm)  # type: ignore[arg-type]
    assert ring.active.algorithm == algorithm and ring.retired == ()
    assert _mode(key_file) == 0o600
    assert key_file.read_text() == format_key_entry(ring.active) + "\n"
    assert ensure_key_file(key_file, algorithm).active == ring.active  # type: ignore[arg-type]


def test_ensure_key_file_refuses_an_algorithm_switch_without_rotation(tmp_path: Path) -> None:
    key_file = tmp_path / "data-keys"
    ensure_key_file(key_file, AES_256_GCM)
    with pytest.raises(KeyConfigError, match="is AES-256-GCM, not SM4-GCM; rotate"):
        ensure_key_file(key_file, SM4_GCM)
    assert rotate_key_file(key_file, SM4_GCM).active == ensure_key_file(key_file, SM4_GCM).active


def test_rotate_key_file_keeps_old_keys_as_retired(tmp_path: Path) -> None:
    key_file = tmp_path / "data-keys"
    first = ensure_key_file(key_file)
    token = first.encrypt("13912345678", context=CONTEXT)

    rotated = rotate_key_file(key_file, SM4_GCM)
    reloaded = load_key_file(key_file)
    assert (reloaded.active, reloaded.retired) == (rotated.active, (first.active,))
    assert reloaded.active.algorithm == SM4_GCM
    assert reloaded.needs_rotation(token)
    assert reloaded.decrypt(reloaded.reencrypt(token, context=CONTEXT), context=CONTEXT) == "13912345678"

    rotate_key_file(key_file)
    assert len(load_key_file(key_file).retired) == 2
    assert _mode(key_file) == 0o600
    assert os.listdir(tmp_path) == ["data-keys"]  # no temporary file left behind


def test_a_service_ring_follows_its_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "data-keys"
    held = ensure_key_file(key_file)  # what a running service holds
    old_token = held.encrypt("13912345678", context=CONTEXT)
    rotated = rotate_key_file(key_file)  # another process rotates the file ...
    new_token = rotated.reencrypt(old_token, context=CONTEXT)  # ... and seals values under the new key
    assert held.decrypt(new_token, context=CONTEXT) == "13912345678"
    assert held.active == rotated.active and held.retired == rotated.retired
    assert not held.needs_rotation(held.encrypt("x", context=CONTEXT))
    with pytest.raises(DecryptionError):  # a token that does not open still does not
        held.decrypt(new_token, context="vendors.other")


def test_rotating_a_missing_key_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="does not exist"):
        rotate_key_file(tmp_path / "absent")


BLIND_KEY = bytes(range(200, 232))


def test_blind_index_key_from_setting_and_file(tmp_path: Path) -> None:
    from_setting = blind_index_from_env("P", {"P_BLIND_INDEX_KEY": b64url_encode(BLIND_KEY)})
    key_file = tmp_path / "blind-index-key"
    key_file.write_text(b64url_encode(BLIND_KEY) + "\n")
    from_file = blind_index_from_env("P", {"P_BLIND_INDEX_KEY_FILE": str(key_file)})
    assert from_setting.index("x", purpose="p") == from_file.index("x", purpose="p")
    assert load_blind_index_key_file(key_file).index("x", purpose="p") == from_file.index("x", purpose="p")


@pytest.mark.parametrize(("environ", "message"), [
    ({}, "set P_BLIND_INDEX_KEY or P_BLIND_INDEX_KEY_FILE"),
    ({"P_BLIND_INDEX_KEY": b64url_encode(BLIND_KEY[:20])},
     "P_BLIND_INDEX_KEY: a blind index key needs at least 32 bytes, got 20"),
    ({"P_BLIND_INDEX_KEY": BLIND_KEY.hex() + "="}, "P_BLIND_INDEX_KEY: the secret is not unpadded base64url"),
    ({"P_BLIND_INDEX_KEY": "k", "P_BLIND_INDEX_KEY_FILE": "/k"}, "only one of"),
])
def test_malformed_blind_index_setting_names_the_setting_not_the_secret(environ: dict[str, str],
                                                                          message: str) -> None:
    with pytest.raises(KeyConfigError, match=message) as caught:
        blind_index_from_env("P", environ)
    assert b64url_encode(BLIND_KEY[:20])[:12] not in str(caught.value)
    assert BLIND_KEY.hex()[:12] not in str(caught.value)


def test_ensure_blind_index_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "blind-index-key"
    first = ensure_blind_index_key_file(key_file)
    assert _mode(key_file) == 0o600
    assert ensure_blind_index_key_file(key_file).index("x", purpose="p") == first.index("x", purpose="p")
