"""Identity assertions for calling a service directly in tests, as the gateway would."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.identity import Identity, IdentityIssuer
from shared.signing_keys import public_key_text

BUREAU_USCC = "11330326862981311N"  # the demo bureau's code


class AssertionMinter:
    def __init__(self) -> None:
        self.private_key = Ed25519PrivateKey.generate()
        self.issuer = IdentityIssuer(self.private_key)
        self.public_key = public_key_text(self.private_key.public_key())

    def headers(self, audience: str, *roles: str, unit: str = BUREAU_USCC,
                subject: str = "user:test") -> dict[str, str]:
        identity = Identity(subject=subject, name="测试用户", roles=tuple(roles), unit=unit)
        return {"x-sortes-identity": self.issuer.issue(identity, audience)}
