"""Blind index: deterministic per key and purpose, ID numbers normalised before indexing."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.crypto import ID_NUMBER_PURPOSE, BlindIndex, normalise_id_number

KEY = bytes(range(32))
ID_NUMBER = "33032619900101123X"


def test_index_follows_the_documented_formula() -> None:
    expected = hmac.new(KEY, b"sortes blind index\nresident_id_number\n" + ID_NUMBER.encode(),
                        hashlib.sha256).hexdigest()
    assert BlindIndex(KEY).index(ID_NUMBER, purpose=ID_NUMBER_PURPOSE) == expected
    assert BlindIndex(KEY).index_id_number(ID_NUMBER) == expected


def test_equal_for_the_same_value_and_purpose_different_otherwise() -> None:
    index = BlindIndex(KEY)
    assert index.index("甲", purpose="p") == index.index("甲", purpose="p")
    assert index.index("甲", purpose="p") != index.index("乙", purpose="p")
    assert index.index("甲", purpose="experts.id") != index.index("甲", purpose="vendors.id")
    assert index.index("甲", purpose="p") != BlindIndex(bytes(32)).index("甲", purpose="p")


@pytest.mark.parametrize("purpose", ["", "a\nb"])
def test_purpose_must_be_one_nonempty_line(purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        BlindIndex(KEY).index("value", purpose=purpose)


@pytest.mark.parametrize("written", [
    "33032619900101123x", "33032619900101123X", " 330326 19900101 123x ", "330326\u300019900101123X",
    "３３０３２６１９９００１０１１２３ｘ",  # full-width, as a Chinese input method may produce
])
def test_id_number_spellings_share_one_index(written: str) -> None:
    assert normalise_id_number(written) == ID_NUMBER
    assert BlindIndex(KEY).index_id_number(written) == BlindIndex(KEY).index_id_number(ID_NUMBER)


def test_normalisation_only_touches_a_trailing_x() -> None:
    assert normalise_id_number("x12x") == "x12X"
    assert normalise_id_number("") == ""


# What people type for an ID number: ASCII and full-width digits and X, ASCII and ideographic spaces.
ID_NUMBER_CHARACTERS = "0123456789xX０１２３４５６７８９ｘＸ \u3000\t"


@settings(deadline=None)
@given(st.text(ID_NUMBER_CHARACTERS))
def test_normalisation_is_idempotent(value: str) -> None:
    assert normalise_id_number(normalise_id_number(value)) == normalise_id_number(value)


def test_short_keys_are_refused_and_the_key_stays_out_of_repr() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(bytes(31))
    assert KEY.hex() not in repr(BlindIndex(KEY)) and repr(KEY) not in repr(BlindIndex(KEY))


def test_lone_surrogate_error_does_not_carry_the_value() -> None:
    with pytest.raises(ValueError, match="surrogate") as caught:
        BlindIndex(KEY).index("secret-value\ud800", purpose="p")
    assert "secret-value" not in str(caught.value)


def test_a_key_made_under_the_sm_profile_indexes_with_hmac_sm3_and_an_older_key_keeps_sha256(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.crypto import ensure_blind_index_key_file, load_blind_index_key_file

    monkeypatch.delenv("SORTES_CRYPTO_PROFILE", raising=False)
    older = ensure_blind_index_key_file(tmp_path / "older")
    monkeypatch.setenv("SORTES_CRYPTO_PROFILE", "sm")
    newer = ensure_blind_index_key_file(tmp_path / "newer")
    assert (tmp_path / "newer").read_text().startswith("hmac-sm3:")
    assert ensure_blind_index_key_file(tmp_path / "older").hash_name == "sha256"  # kept: its indexes still find
    assert load_blind_index_key_file(tmp_path / "older").index_id_number(ID_NUMBER) == older.index_id_number(ID_NUMBER)
    secret = tmp_path.joinpath("newer").read_text().strip().removeprefix("hmac-sm3:")
    from shared.draw.keys import b64url_decode

    expected = hmac.new(b64url_decode(secret), b"sortes blind index\nresident_id_number\n" + ID_NUMBER.encode(),
                        "sm3").hexdigest()
    assert newer.index_id_number(ID_NUMBER) == expected and newer.hash_name == "sm3"
