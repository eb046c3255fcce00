"""Field encryption: round trips, token format, tampering, contexts, rotation, no leaks, SM4-GCM."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.crypto import (
    AES_256_GCM,
    SM4_GCM,
    DataKey,
    DecryptionError,
    KeyRing,
    UnsupportedAlgorithmError,
    algorithm_supported,
    derive_key_id,
    field_encryption,
    generate_data_key,
    key_id_of,
)
from shared.draw.keys import b64url_decode, b64url_encode

AES_KEY = DataKey.from_secret(AES_256_GCM, bytes(range(32)))
SM4_KEY = DataKey.from_secret(SM4_GCM, bytes(range(16)))
PHONE = "13912345678"
CONTEXT = "experts.phone:E00001"
ALGORITHMS = [AES_256_GCM, SM4_GCM]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("plaintext", [PHONE, "", "330326199001011234", "张三，浙江省温州市", "😀 mixed"])
def test_round_trip(algorithm: str, plaintext: str) -> None:
    ring = KeyRing(generate_data_key(algorithm))
    assert ring.decrypt(ring.encrypt(plaintext, context=CONTEXT), context=CONTEXT) == plaintext


@settings(deadline=None, max_examples=60)
@given(plaintext=st.text(), context=st.text(min_size=1), algorithm=st.sampled_from(ALGORITHMS))
def test_round_trip_property(plaintext: str, context: str, algorithm: str) -> None:
    ring = KeyRing(AES_KEY if algorithm == AES_256_GCM else SM4_KEY)
    token = ring.encrypt(plaintext, context=context)
    assert token.isascii()
    assert ring.decrypt(token, context=context) == plaintext


@pytest.mark.parametrize(("key", "short_name"), [(AES_KEY, "A256GCM"), (SM4_KEY, "SM4GCM")])
def test_token_format(key: DataKey, short_name: str) -> None:
    token = KeyRing(key).encrypt(PHONE, context=CONTEXT)
    version, key_id, algorithm, nonce, sealed = token.split(".")
    assert (version, key_id, algorithm) == ("v1", key.key_id, short_name)
    assert len(b64url_decode(nonce)) == 12
    assert len(b64url_decode(sealed)) == len(PHONE) + 16  # ciphertext + GCM tag
    assert key_id_of(token) == key.key_id
    assert PHONE not in token


def test_key_id_follows_the_documented_rule() -> None:
    expected = hashlib.sha256(b"sortes data key\nAES-256-GCM\n" + bytes(range(32))).hexdigest()[:12]
    assert AES_KEY.key_id == derive_key_id(AES_256_GCM, bytes(range(32))) == expected
    assert SM4_KEY.key_id != DataKey.from_secret(SM4_GCM, bytes(16)).key_id


def test_the_same_value_encrypts_differently_each_time() -> None:
    ring = KeyRing(AES_KEY)
    tokens = {ring.encrypt(PHONE, context=CONTEXT) for _ in range(20)}
    assert len(tokens) == 20
    assert len({token.split(".")[3] for token in tokens}) == 20  # fresh nonces


def test_aes_and_sm4_tokens_are_distinguished() -> None:
    ring = KeyRing(AES_KEY, [SM4_KEY])
    aes_token = ring.encrypt(PHONE, context=CONTEXT)
    sm4_token = KeyRing(SM4_KEY).encrypt(PHONE, context=CONTEXT)
    assert aes_token.split(".")[2] == "A256GCM"
    assert sm4_token.split(".")[2] == "SM4GCM"
    assert ring.decrypt(sm4_token, context=CONTEXT) == ring.decrypt(aes_token, context=CONTEXT) == PHONE
    relabelled = sm4_token.replace(".SM4GCM.", ".A256GCM.")
    with pytest.raises(DecryptionError, match="another algorithm"):
        ring.decrypt(relabelled, context=CONTEXT)
    with pytest.raises(DecryptionError, match="no data key"):
        KeyRing(AES_KEY).decrypt(sm4_token, context=CONTEXT)


def test_sm4_gcm_matches_rfc_8998_test_vector() -> None:
    # RFC 8998 appendix A.1: the installed SM4-GCM is the standard one, not merely self-consistent.
    key = DataKey.from_secret(SM4_GCM, bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"))
    encryptor = field_encryption._cipher(key, bytes.fromhex("00001234567800000000ABCD")).encryptor()
    encryptor.authenticate_additional_data(bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"))
    plaintext = bytes.fromhex("".join(byte * 8 for byte in ["AA", "BB", "CC", "DD", "EE", "FF", "EE", "AA"]))
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    assert ciphertext.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


def test_installed_cryptography_runs_sm4_gcm() -> None:
    assert algorithm_supported(SM4_GCM)
    assert algorithm_supported(AES_256_GCM)


def test_sm4_gcm_is_refused_clearly_where_the_build_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(field_encryption, "algorithm_supported", lambda algorithm: algorithm != SM4_GCM)
    for active, retired in [(SM4_KEY, []), (AES_KEY, [SM4_KEY])]:
        with pytest.raises(UnsupportedAlgorithmError, match=r"SM4-GCM .* not available"):
            KeyRing(active, retired)
    KeyRing(AES_KEY)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_any_altered_character_is_refused(algorithm: str) -> None:
    ring = KeyRing(generate_data_key(algorithm))
    token = ring.encrypt(PHONE, context=CONTEXT)
    for position, character in enumerate(token):
        if character == ".":
            continue
        altered = token[:position] + ("B" if character == "A" else "A") + token[position + 1:]
        with pytest.raises(DecryptionError):
            ring.decrypt(altered, context=CONTEXT)


@pytest.mark.parametrize("part", [3, 4])
def test_a_flipped_bit_in_nonce_or_ciphertext_is_refused(part: int) -> None:
    ring = KeyRing(AES_KEY)
    parts = ring.encrypt(PHONE, context=CONTEXT).split(".")
    for byte_index in range(len(b64url_decode(parts[part]))):
        data = bytearray(b64url_decode(parts[part]))
        data[byte_index] ^= 0x01
        altered = ".".join([*parts[:part], b64url_encode(bytes(data)), *parts[part + 1:]])
        with pytest.raises(DecryptionError, match="did not authenticate"):
            ring.decrypt(altered, context=CONTEXT)


@pytest.mark.parametrize("token", [
    "", "v1", "v2.abc.A256GCM.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", "v1.a.b.c.d.e",
    "v1.abc.AES.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.a b.A256GCM.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.abc.A256GCM.AAAA.AAAAAAAAAAAAAAAAAAAAAA", "v1.abc.A256GCM.AAAAAAAAAAAAAAAA.AAAA",
    "v1.abc.A256GCM.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==",
])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(DecryptionError):
        KeyRing(AES_KEY).decrypt(token, context=CONTEXT)
    with pytest.raises(DecryptionError):
        key_id_of(token)


@pytest.mark.parametrize("other_context", ["experts.phone:E00002", "vendors.phone:E00001", "experts.phone"])
def test_a_token_opens_only_in_its_own_context(other_context: str) -> None:
    ring = KeyRing(AES_KEY)
    token = ring.encrypt(PHONE, context=CONTEXT)
    with pytest.raises(DecryptionError, match="wrong context"):
        ring.decrypt(token, context=other_context)


def test_an_empty_context_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="context"):
        KeyRing(AES_KEY).encrypt(PHONE, context="")


@pytest.mark.parametrize("new_algorithm", ALGORITHMS)
def test_rotation(new_algorithm: str) -> None:
    old_ring = KeyRing(AES_KEY)
    old_token = old_ring.encrypt(PHONE, context=CONTEXT)
    ring = KeyRing(generate_data_key(new_algorithm), [AES_KEY])
    assert ring.retired == (AES_KEY,)
    assert ring.needs_rotation(old_token)
    assert ring.decrypt(old_token, context=CONTEXT) == PHONE

    moved = ring.reencrypt(old_token, context=CONTEXT)
    assert key_id_of(moved) == ring.active.key_id != AES_KEY.key_id
    assert not ring.needs_rotation(moved)
    assert ring.decrypt(moved, context=CONTEXT) == PHONE
    with pytest.raises(DecryptionError, match="no data key"):
        old_ring.decrypt(moved, context=CONTEXT)
    with pytest.raises(DecryptionError):
        ring.reencrypt(old_token, context="experts.phone:E00002")


def test_key_ring_refuses_two_keys_with_one_id_and_merges_repeats() -> None:
    impostor = DataKey(AES_KEY.key_id, AES_256_GCM, bytes(32))
    with pytest.raises(ValueError, match="share the key id"):
        KeyRing(AES_KEY, [impostor])
    assert KeyRing(AES_KEY, [AES_KEY, SM4_KEY, SM4_KEY]).retired == (SM4_KEY,)


@pytest.mark.parametrize(("algorithm", "secret", "key_id", "error"), [
    (AES_256_GCM, bytes(16), "k1", ValueError),
    (SM4_GCM, bytes(32), "k1", ValueError),
    ("AES-128-GCM", bytes(16), "k1", UnsupportedAlgorithmError),
    (AES_256_GCM, bytes(32), "k.1", ValueError),
    (AES_256_GCM, bytes(32), "", ValueError),
])
def test_data_key_validation(algorithm: str, secret: bytes, key_id: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        DataKey(key_id, algorithm, secret)  # type: ignore[arg-type]


def test_no_plaintext_or_key_material_in_errors_or_reprs() -> None:
    ring = KeyRing(AES_KEY)
    token = ring.encrypt(PHONE, context=CONTEXT)
    secret_forms = [AES_KEY.secret.hex(), b64url_encode(AES_KEY.secret), repr(AES_KEY.secret)]
    failures: list[Exception] = []
    for attempt in [
        lambda: ring.decrypt(token, context="elsewhere"),
        lambda: ring.decrypt(token[:-2] + "AA", context=CONTEXT),
        lambda: KeyRing(SM4_KEY).decrypt(token, context=CONTEXT),
        lambda: ring.decrypt(PHONE, context=CONTEXT),
        lambda: ring.encrypt(PHONE + "\ud800", context=CONTEXT),
    ]:
        with pytest.raises(ValueError) as caught:
            attempt()
        failures.append(caught.value)
    for error in failures:
        message = f"{error!s} {error!r}"
        assert PHONE not in message
        assert not any(secret in message for secret in secret_forms)
        # A traceback must not show the inner error either (UnicodeEncodeError carries the text).
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert not any(secret in repr(AES_KEY) for secret in secret_forms)
    assert not any(secret in repr(ring.active) for secret in secret_forms)
