"""``FieldCipher``'s JSON: what it seals comes back exactly, or is refused when sealed.

The SQL adapter writes accounts, registrations, profiles and the keyring as
JSON sealed with AES-GCM, written and read by orjson. orjson reads an integer
beyond 64 bits as a float, so the writer must refuse one; JSON that only the
standard library reads (``NaN``) must still be readable.

``BlindIndex`` computes HMAC-SHA-256 from the key's two padded blocks hashed
once: it must give the very bytes ``hmac.digest`` gives, for every key and value.
"""

from __future__ import annotations

import hmac
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_adapters.sql.crypto import _INDEX_PREFIX, BlindIndex, FieldCipher, KeyMaterial

CONTEXT = b"sk_profiles\x00data\x00acct-1"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"])), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher(KeyMaterial.generate())


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (an int is not a float here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=300)
@given(value=json_values)
def test_sealed_json_comes_back_exactly(cipher: FieldCipher, value: Any) -> None:
    assert _same(cipher.decrypt_json(cipher.encrypt_json(value, CONTEXT), CONTEXT), value)


def test_tuples_come_back_as_lists(cipher: FieldCipher) -> None:
    # As json.dumps wrote them: the profile's unstructured form has only lists.
    assert cipher.decrypt_json(cipher.encrypt_json({"a": (1, 2)}, CONTEXT), CONTEXT) == {
        "a": [1, 2]
    }


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, {"card": [10**30]}, {1: "key"}])
def test_what_would_not_come_back_exactly_is_refused(cipher: FieldCipher, value: Any) -> None:
    with pytest.raises(TypeError, match="not storable as JSON"):
        cipher.encrypt_json(value, CONTEXT)


def test_json_the_standard_library_wrote_is_still_read(cipher: FieldCipher) -> None:
    # NaN and an integer beyond 64 bits: orjson refuses the first and would
    # read the second as a float; the standard library reads both exactly.
    written = json.dumps({"gpa": math.nan, "big": 2**70, "name": "Galih"}).encode()
    read = cipher.decrypt_json(cipher.encrypt(written, CONTEXT), CONTEXT)
    assert math.isnan(read["gpa"])
    assert read["big"] == 2**70
    assert type(read["big"]) is int
    assert read["name"] == "Galih"


def test_the_plaintext_is_compact_utf8(cipher: FieldCipher) -> None:
    sealed = cipher.encrypt_json({"nama": "Sri Wahyuni", "kota": "Bekasi Ü"}, CONTEXT)
    sealed_by_hand = json.dumps(
        {"nama": "Sri Wahyuni", "kota": "Bekasi Ü"}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert cipher.decrypt(sealed, CONTEXT) == sealed_by_hand


@settings(max_examples=300)
@given(
    key=st.binary(min_size=32, max_size=32),
    field=st.sampled_from(["nik", "email", "phone", "registration"]),
    value=st.text(alphabet=st.characters(exclude_categories=["Cs"])),
)
def test_a_blind_index_is_the_hmac_of_the_field_and_value(
    key: bytes, field: str, value: str
) -> None:
    message = _INDEX_PREFIX + field.encode("ascii") + b"\x00" + value.encode("utf-8")
    index = BlindIndex(key)
    assert index(field, value) == hmac.digest(key, message, "sha256")
    assert index(field, value) == index(field, value)  # the kept states are copied, not used up


def test_a_blind_index_of_a_long_value_and_of_keys_of_high_bytes() -> None:
    for key in (b"\x00" * 32, b"\xff" * 32, bytes(range(32))):
        index = BlindIndex(key)
        for value in ("", "x" * 10_000, "Siti Rahmawati ✓"):
            message = _INDEX_PREFIX + b"email\x00" + value.encode("utf-8")
            assert index("email", value) == hmac.digest(key, message, "sha256")


def test_a_blind_index_refuses_a_key_of_another_size() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(b"k" * 31)
