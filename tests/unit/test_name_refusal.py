"""Names refuse invisible characters: what a card page shows is what was typed.

A right-to-left override in ``"Budi \\u202eosotnaS Wijaya"`` makes the public
card page show "Budi ayajiW Santoso"; :func:`name_refusal` refuses every
character of Unicode category ``C*`` (format, control, surrogate, private use,
unassigned) other than whitespace, which names collapse. The property tests
hold the check to that definition both ways.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_core.errors import RegistrationError
from siapkerja_core.names import invisible_in_name, without_invisible
from siapkerja_core.profile.lengths import MAX_NAME_LENGTH
from siapkerja_core.services.registration import name_refusal

FORMAT_CHARACTERS = [
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    *(chr(c) for c in range(0x200B, 0x2010)),  # ZWSP ZWNJ ZWJ LRM RLM
    "\u00ad",  # soft hyphen
    "\u061c",  # Arabic letter mark
    "\ufeff",  # zero width no-break space (BOM)
    "\U000e0001",  # language tag
    "\U000e0041",  # tag latin capital A
    "\U000e007f",  # cancel tag
]


def _is_hidden(char: str) -> bool:
    return unicodedata.category(char)[0] == "C" and not char.isspace()


def test_the_spoofed_name_of_the_finding_is_refused_in_both_languages() -> None:
    refusal = name_refusal("Budi \u202eosotnaS Wijaya", "full_name")
    assert isinstance(refusal, RegistrationError)
    assert refusal.full_code == "registration.invalid_name"
    assert refusal.params["field"] == "full_name"
    assert "U+202E" in str(refusal.params["reason_en"])
    assert "U+202E" in str(refusal.params["reason_id"])
    assert "text-direction" in str(refusal.params["reason_en"])
    assert "pengatur arah teks" in str(refusal.params["reason_id"])
    assert "U+202E" in refusal.message("en")


@pytest.mark.parametrize("char", FORMAT_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["full_name", "mother_name"])
def test_every_listed_format_character_is_refused(char: str, field: str) -> None:
    assert unicodedata.category(char) == "Cf"
    refusal = name_refusal(f"Siti{char} Rahmawati", field)
    assert refusal is not None
    assert refusal.params["field"] == field
    assert f"U+{ord(char):04X}" in str(refusal.params["reason_en"])


@pytest.mark.parametrize(
    "char",
    ["\ue000", "\U000f0000", "\u0378", "\U0010ffff"],  # private use, unassigned, noncharacter
    ids=["Co", "Co-plane15", "Cn", "Cn-max"],
)
def test_private_use_and_unassigned_characters_are_refused(char: str) -> None:
    assert name_refusal(f"Siti {char}", "full_name") is not None


@pytest.mark.parametrize("name", ["Siti\x07 Rahmawati", "Siti\x9bX", "Siti\ud800"])
def test_controls_and_surrogates_stay_refused(name: str) -> None:
    refusal = name_refusal(name, "full_name")
    assert refusal is not None
    assert refusal.params["reason_en"] == "contains control characters"


@pytest.mark.parametrize(
    "name",
    [
        "Budi Santoso",
        "H. Galih Agan Pambayun, S.Kom.",
        "Zoë O'Neil-Ramírez",
        "Ni Luh\tPutu\n Ayu",  # whitespace is collapsed, not refused
        "ＧＡＬＩＨ",  # full width: NFKC folds it when stored
    ],
)
def test_ordinary_names_are_accepted(name: str) -> None:
    assert name_refusal(name, "full_name") is None


@given(st.text(max_size=MAX_NAME_LENGTH))
def test_no_accepted_name_holds_a_hidden_character(name: str) -> None:
    if name_refusal(name, "full_name") is None:
        assert not any(_is_hidden(char) for char in name)
        folded = unicodedata.normalize("NFKC", name)
        assert not any(unicodedata.category(char) == "Cf" for char in folded)


@given(
    st.text(alphabet=st.characters(categories=["L", "Zs"]), min_size=1, max_size=40),
    st.characters(categories=["Cf"]),
    st.integers(min_value=0, max_value=40),
)
def test_no_name_with_a_format_character_is_accepted(text: str, char: str, at: int) -> None:
    name = "A" + text[:at] + char + text[at:]
    assert name_refusal(name, "full_name") is not None
    assert name_refusal(name, "mother_name") is not None


@given(st.text(max_size=60))
def test_the_helper_names_a_hidden_character_exactly_when_there_is_one(name: str) -> None:
    found = invisible_in_name(name)
    hidden = [c for c in name + unicodedata.normalize("NFKC", name) if _is_hidden(c)]
    assert found == (hidden[0] if hidden else None)


@given(st.text(max_size=60))
def test_without_invisible_drops_exactly_the_hidden_characters(name: str) -> None:
    shown = without_invisible(name)
    assert shown == "".join(c for c in name if not _is_hidden(c))
    assert shown is name or not name.isprintable()
