import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import NotAuthenticated
from shared.identity import Identity, IdentityIssuer, IdentityVerifier
from shared.signing_keys import key_id_of

ORGANISER = Identity(subject="user:7", name="李四", roles=("organiser",), unit="11330326862981311N")


def test_an_assertion_round_trips_for_its_audience() -> None:
    key = Ed25519PrivateKey.generate()
    token = IdentityIssuer(key).issue(ORGANISER, "experts")
    assert IdentityVerifier([key.public_key()], "experts").verify(token) == ORGANISER


def test_an_assertion_for_one_service_is_refused_by_another() -> None:
    key = Ed25519PrivateKey.generate()
    token = IdentityIssuer(key).issue(ORGANISER, "experts")
    with pytest.raises(NotAuthenticated):
        IdentityVerifier([key.public_key()], "vendors").verify(token)


def test_an_assertion_signed_by_another_key_is_refused() -> None:
    token = IdentityIssuer(Ed25519PrivateKey.generate()).issue(ORGANISER, "experts")
    with pytest.raises(NotAuthenticated, match="unknown key"):
        IdentityVerifier([Ed25519PrivateKey.generate().public_key()], "experts").verify(token)


def test_an_expired_assertion_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    token = IdentityIssuer(key, ttl_seconds=-60).issue(ORGANISER, "experts")
    with pytest.raises(NotAuthenticated, match="expired"):
        IdentityVerifier([key.public_key()], "experts", leeway_seconds=0).verify(token)


def test_a_tampered_assertion_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    header, payload, signature = IdentityIssuer(key).issue(ORGANISER, "experts").split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    claims["roles"] = ["bureau_admin"]
    forged_payload = jwt.encode(claims, "k" * 32, algorithm="HS256").split(".")[1]
    with pytest.raises(NotAuthenticated):
        IdentityVerifier([key.public_key()], "experts").verify(f"{header}.{forged_payload}.{signature}")


def test_an_assertion_with_an_unknown_role_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    claims = {"iss": "sortes-gateway", "aud": "experts", "sub": "user:1", "roles": ["superuser"],
              "unit": "x", "iat": int(time.time()), "exp": int(time.time()) + 60}
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_id_of(key.public_key())})
    with pytest.raises(NotAuthenticated, match="role"):
        IdentityVerifier([key.public_key()], "experts").verify(token)
