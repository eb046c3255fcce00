"""sortes-draw/1-sm: the public vectors (docs/draw-vectors-sm.json) verify and are reproduced, and the
profile's SM3, HMAC-SM3 and SM2 agree with second implementations and with the standards' examples.

Second implementations: gmalg's own pure-Python SM3 (the profile hashes with OpenSSL's), gmssl (another
pure-Python SM2/SM3), and the OpenSSL command line where it is installed.
"""

from __future__ import annotations

import copy
import json
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import gmalg
import pytest
from gmssl import sm2 as gmssl_sm2
from gmssl import sm3 as gmssl_sm3

from shared import sm_crypto
from shared.draw import (
    SM,
    KeySet,
    Signer,
    SM2Signer,
    b64url_decode,
    b64url_encode,
    commit,
    reveal,
    verify_record,
)
from shared.draw.protocol import _sort_keys
from sortes_cli import verify as verify_cli

VECTORS_PATH = Path(__file__).parents[3] / "docs" / "draw-vectors-sm.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
RECORDS = VECTORS["records"]
SIGNATURES = ("commit_signature", "signature")


@pytest.fixture(scope="module")
def sm_signer() -> SM2Signer:
    return SM2Signer(sm_crypto.SM2PrivateKey(int(VECTORS["test_private_key"], 16)))


@pytest.fixture(scope="module")
def sm_keys() -> KeySet:
    return KeySet.from_json(VECTORS["keys"])


def redo(vector: dict[str, Any], signer: SM2Signer) -> dict[str, Any]:
    receipt = commit(vector["draw_id"], vector["purpose"], vector["project_code"], vector["committed_at"],
                     {quota["field"]: quota["count"] for quota in vector["quotas"]}, vector["reserves_per_field"],
                     vector["candidates"], signer, secret=bytes.fromhex(vector["secret"]))
    return reveal(receipt, bytes.fromhex(vector["secret"]), vector["witness"], vector["drawn_at"],
                  signer).to_json_dict()


# --- the vectors --------------------------------------------------------------------------------


@pytest.mark.parametrize("sm_vector", RECORDS, ids=[record["purpose"] for record in RECORDS])
def test_every_vector_verifies_and_says_its_profile(sm_vector: dict[str, Any], sm_keys: KeySet) -> None:
    outcome = verify_record(sm_vector, sm_keys)
    assert outcome.ok, outcome.message
    assert outcome.profile is SM and sm_vector["protocol"] == "sortes-draw/1-sm"


@pytest.mark.parametrize("name", SIGNATURES)
def test_an_sm2_signature_of_the_wrong_length_is_named_malformed(name: str, sm_keys: KeySet) -> None:
    record = copy.deepcopy(RECORDS[0])
    record[name] = b64url_encode(b64url_decode(record[name])[:-1])
    outcome = verify_record(record, sm_keys)
    assert (outcome.ok, outcome.check) == (False, name)
    assert outcome.message == f"{name} is malformed: an SM2 signature is r ‖ s, {sm_crypto.SIGNATURE_SIZE} bytes"


@pytest.mark.parametrize("sm_vector", RECORDS, ids=[record["purpose"] for record in RECORDS])
def test_every_vector_is_reproduced_but_its_fresh_signatures(sm_vector: dict[str, Any], sm_signer: SM2Signer,
                                                             sm_keys: KeySet) -> None:
    again = redo(sm_vector, sm_signer)
    assert {k: v for k, v in again.items() if k not in SIGNATURES} == \
        {k: v for k, v in sm_vector.items() if k not in SIGNATURES}
    assert all(again[name] != sm_vector[name] for name in SIGNATURES)  # a fresh k each time
    assert verify_record(again, sm_keys).ok


def test_the_key_set_names_the_algorithm_and_an_sm3_key_id(sm_signer: SM2Signer) -> None:
    (entry,) = VECTORS["keys"]["keys"]
    public = b64url_decode(entry["public_key"])
    assert entry["algorithm"] == "SM2" and len(public) == 65 and public[0] == 4
    assert entry["key_id"] == gmssl_sm3.sm3_hash(list(public))[:16] == sm_signer.key_id


def second_sm3(data: bytes) -> bytes:
    """gmalg's pure-Python SM3 (the profile hashes with OpenSSL's)."""
    hasher = gmalg.SM3()
    hasher.update(data)
    return hasher.value()


def reference_hmac_sm3(key: bytes, message: bytes) -> bytes:
    """HMAC (RFC 2104) over gmalg's SM3, written out here as a second implementation."""
    digest = second_sm3
    key = key.ljust(64, b"\0")
    return digest(bytes(b ^ 0x5C for b in key) + digest(bytes(b ^ 0x36 for b in key) + message))


@pytest.mark.parametrize("sm_vector", RECORDS, ids=[record["purpose"] for record in RECORDS])
def test_every_hash_of_a_vector_agrees_with_a_second_sm3(sm_vector: dict[str, Any]) -> None:
    secret, seed = bytes.fromhex(sm_vector["secret"]), bytes.fromhex(sm_vector["seed"])
    assert second_sm3(b"sortes-draw/1-sm secret\n" + secret).hex() == sm_vector["commitment"]
    listed = "".join(f"{field}:{candidate}\n" for field in sorted(sm_vector["candidates"])
                     for candidate in sorted(sm_vector["candidates"][field]))
    assert second_sm3(b"sortes-draw/1-sm candidates\n" + listed.encode()).hex() == sm_vector["candidates_digest"]
    quotas = {quota["field"]: quota["count"] for quota in sm_vector["quotas"]}
    body = "".join(line + "\n" for line in [
        f"draw:{sm_vector['draw_id']}", f"purpose:{sm_vector['purpose']}", f"project:{sm_vector['project_code']}",
        f"committed_at:{sm_vector['committed_at']}", f"key:{sm_vector['key_id']}",
        *(f"quota:{field}={quotas[field]}" for field in sorted(quotas)),
        f"reserves_per_field:{sm_vector['reserves_per_field']}", f"candidates:{sm_vector['candidates_digest']}",
        f"commitment:{sm_vector['commitment']}"]).encode()
    message = b"sortes-draw/1-sm seed\n" + body + f"witness:{sm_vector['witness']}\n".encode()
    assert reference_hmac_sm3(secret, message) == seed
    for field, ids in sm_vector["candidates"].items():
        fast = _sort_keys(seed, field, ids, SM)
        assert [key[:32] for key in fast] == [reference_hmac_sm3(seed, f"rank\n{field}\n{i}".encode()) for i in ids]
    # The commit signature is SM2 over exactly these bytes, checked by gmssl too.
    public = b64url_decode(VECTORS["keys"]["keys"][0]["public_key"])
    checker = gmssl_sm2.CryptSM2(private_key="", public_key=public[1:].hex())
    signature = b64url_decode(sm_vector["commit_signature"]).hex()
    assert checker.verify_with_sm3(signature, b"sortes-draw/1-sm commit\n" + body)


# --- the standards' examples ----------------------------------------------------------------------


@pytest.mark.parametrize(("message", "digest"), [
    # GB/T 32905-2016 (GM/T 0004-2012), appendix A, examples 1 and 2
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
])
def test_sm3_gives_the_standard_examples_in_three_implementations(message: bytes, digest: str) -> None:
    assert sm_crypto.sm3(message).hex() == digest
    assert second_sm3(message).hex() == digest
    assert gmssl_sm3.sm3_hash(list(message)) == digest


def test_sm3_and_hmac_sm3_agree_with_the_second_implementations_on_any_input() -> None:
    for length in (0, 1, 55, 56, 63, 64, 65, 200, 1000):
        data = bytes((i * 7 + length) % 256 for i in range(length))
        assert sm_crypto.sm3(data) == second_sm3(data)
        for key in (b"", b"k", bytes(64), bytes(range(80))):
            if len(key) > 64:
                assert sm_crypto.hmac_sm3(key, data) == reference_hmac_sm3(second_sm3(key), data)
            else:
                assert sm_crypto.hmac_sm3(key, data) == reference_hmac_sm3(key, data)


# GM/T 0003.5-2012 (part 5 of SM2, since GB/T 32918.5), appendix A: a signature on the curve sm2p256v1
# with the default user ID, the message "message digest", and the nonce k given there.
EXAMPLE_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
EXAMPLE_PUBLIC = bytes.fromhex("04" "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
                               "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
EXAMPLE_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
EXAMPLE_SIGNATURE = bytes.fromhex("f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
                                  "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa")


def test_sm2_reproduces_and_verifies_the_standard_example() -> None:
    key = sm_crypto.SM2PrivateKey(EXAMPLE_D)
    assert key.public_key == EXAMPLE_PUBLIC
    # gmalg, the library the profile signs with, gives the standard's r and s for its k
    fixed = gmalg.SM2(EXAMPLE_D.to_bytes(32, "big"), sm_crypto.DEFAULT_USER_ID, EXAMPLE_PUBLIC,
                      rnd_fn=lambda _bits: EXAMPLE_K)
    r, s = fixed.sign(b"message digest")
    assert r + s == EXAMPLE_SIGNATURE
    assert sm_crypto.verify(EXAMPLE_PUBLIC, EXAMPLE_SIGNATURE, b"message digest")
    assert not sm_crypto.verify(EXAMPLE_PUBLIC, EXAMPLE_SIGNATURE, b"message digesT")
    # and so does gmssl, the second implementation
    other = gmssl_sm2.CryptSM2(private_key=f"{EXAMPLE_D:064x}", public_key=EXAMPLE_PUBLIC[1:].hex())
    assert other.sign_with_sm3(b"message digest", f"{EXAMPLE_K:064x}") == EXAMPLE_SIGNATURE.hex()
    assert other.verify_with_sm3(EXAMPLE_SIGNATURE.hex(), b"message digest")


def test_signatures_cross_between_the_two_implementations() -> None:
    for _ in range(3):
        key = sm_crypto.SM2PrivateKey.generate()
        if key.public_key[1:].hex().startswith("04"):  # gmssl strips a leading "04" from the key text
            continue
        other = gmssl_sm2.CryptSM2(private_key=key._d.hex(), public_key=key.public_key[1:].hex())
        message = b"sortes-draw/1-sm commit\ndraw:..."
        assert other.verify_with_sm3(key.sign(message).hex(), message)
        nonce = secrets.token_bytes(31).hex() + "01"  # gmssl's own nonce comes from random, not secrets
        theirs = bytes.fromhex(other.sign_with_sm3(message, nonce))
        assert sm_crypto.verify(key.public_key, theirs, message)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_key_files_and_signatures_interoperate_with_openssl(tmp_path: Path) -> None:
    key = sm_crypto.SM2PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(key.to_pem())
    (tmp_path / "message").write_bytes(b"sortes-draw/1-sm result\n")
    signed = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", "key.pem",
                             "-pkeyopt", "distid:1234567812345678", "-in", "message"],
                            cwd=tmp_path, capture_output=True, check=False)
    if signed.returncode != 0:
        pytest.skip(f"this openssl does not sign with SM2: {signed.stderr.decode()[:200]}")
    der = signed.stdout  # SEQUENCE { INTEGER r, INTEGER s }
    r_length = der[3]
    r = int.from_bytes(der[4:4 + r_length], "big")
    s = int.from_bytes(der[6 + r_length:6 + r_length + der[5 + r_length]], "big")
    assert sm_crypto.verify(key.public_key, r.to_bytes(32, "big") + s.to_bytes(32, "big"),
                            b"sortes-draw/1-sm result\n")
    assert sm_crypto.SM2PrivateKey.from_pem(key.to_pem()).public_key == key.public_key


# --- bad records: exit 1 naming the check ---------------------------------------------------------


def run_verify(tmp_path: Path, record: dict[str, Any], keys: dict[str, Any],
               capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (tmp_path / "record.json").write_text(json.dumps(record))
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    parser_args = type("Args", (), {"record": str(tmp_path / "record.json"), "keys": str(tmp_path / "keys.json"),
                                    "url": None})()
    code = verify_cli.run(parser_args)
    return code, capsys.readouterr().out


def test_the_cli_says_which_profile_it_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_verify(tmp_path, RECORDS[0], VECTORS["keys"], capsys) == (0, "OK sortes-draw/1-sm (SM2, SM3)\n")


def test_a_record_renamed_to_the_other_profile_fails_on_its_key(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    record = {**RECORDS[0], "protocol": "sortes-draw/1"}
    code, out = run_verify(tmp_path, record, VECTORS["keys"], capsys)
    assert code == 1 and out.startswith("FAILED: key: ")
    assert "SM2 key; sortes-draw/1 records are signed with Ed25519" in out


def test_an_sm_record_checked_against_an_ed25519_key_with_its_id_fails_on_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ed = Signer.generate().public_entry()
    keys = {"keys": [{**ed.to_json_dict()}]}
    record = {**RECORDS[0], "key_id": ed.key_id}
    code, out = run_verify(tmp_path, record, keys, capsys)
    assert code == 1 and out.startswith("FAILED: key: ") and "Ed25519 key; sortes-draw/1-sm" in out


def test_an_unknown_profile_fails_on_protocol(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_verify(tmp_path, {**RECORDS[0], "protocol": "sortes-draw/1-gm"}, VECTORS["keys"], capsys)
    assert code == 1 and out.startswith("FAILED: protocol: ")


def off_curve_keys() -> dict[str, Any]:
    keys = copy.deepcopy(VECTORS["keys"])
    public = bytearray(b64url_decode(keys["keys"][0]["public_key"]))
    public[-1] ^= 1  # y changed: no longer on the curve
    keys["keys"][0]["public_key"] = b64url_encode(bytes(public))
    keys["keys"][0]["key_id"] = sm_crypto.sm3(bytes(public)).hex()[:16]
    return keys


def test_a_key_off_the_curve_fails_on_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = off_curve_keys()
    record = {**RECORDS[0], "key_id": keys["keys"][0]["key_id"]}
    code, out = run_verify(tmp_path, record, keys, capsys)
    assert code == 1 and out.startswith("FAILED: key: ") and "not a point of the curve" in out


def test_a_short_public_key_fails_on_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = copy.deepcopy(VECTORS["keys"])
    short = b64url_decode(keys["keys"][0]["public_key"])[:33]
    keys["keys"][0].update(public_key=b64url_encode(short), key_id=sm_crypto.sm3(short).hex()[:16])
    code, out = run_verify(tmp_path, {**RECORDS[0], "key_id": keys["keys"][0]["key_id"]}, keys, capsys)
    assert code == 1 and out.startswith("FAILED: key: ")


@pytest.mark.parametrize(("name", "signature"), [
    ("commit_signature", b"\x01" * 63),  # too short
    ("commit_signature", bytes(64)),  # r = s = 0
    ("commit_signature", b"\xff" * 64),  # r, s ≥ n
    ("signature", b"\x01" * 65),
])
def test_malformed_signatures_fail_on_their_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  name: str, signature: bytes) -> None:
    code, out = run_verify(tmp_path, {**RECORDS[0], name: b64url_encode(signature)}, VECTORS["keys"], capsys)
    assert code == 1 and out.startswith(f"FAILED: {name}: ")


def test_a_signature_of_the_other_draw_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = {**RECORDS[0], "signature": RECORDS[1]["signature"]}
    assert run_verify(tmp_path, record, VECTORS["keys"], capsys)[1].startswith("FAILED: signature: ")
