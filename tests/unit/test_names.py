"""Tests of siapkerja_core.names: name normalisation and similarity."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from siapkerja_core.names import (
    ACADEMIC_TITLES,
    DEGREES,
    HONORIFIC_TITLES,
    MUHAMMAD_VARIANTS,
    RELIGIOUS_TITLES,
    name_similarity,
    names_match,
    normalize_name,
)

PREFIX_TITLES = (*RELIGIOUS_TITLES, *ACADEMIC_TITLES, *HONORIFIC_TITLES)

# --------------------------------------------------------------------------
# normalize_name: examples
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "record"),
    [
        ("H. Galih Agan Pambayun, S.Kom.", "galih agan pambayun"),
        ("Moh. Rizki", "Muhammad Rizki"),
        ("M. Rizki", "Muhammad Rizki"),
        ("Mochamad Rizki", "MUHAMAD RIZKI"),
        ("Mhd Rizki", "Mohammed Rizki"),
        ("Hj. Siti Aminah", "SITI AMINAH"),
        ("Dr. Ir. Bambang Susilo, M.T.", "Bambang Susilo"),
        ("Prof. Dr. (H.C.) K.H. Ma'ruf Amin", "MA'RUF AMIN"),
        ("KH Ma’ruf Amin", "Ma ruf Amin"),
        ("Drs. H. Ahmad Yani, M.Pd.", "AHMAD YANI"),
        ("dr. Andi Wijaya, Sp.PD", "ANDI WIJAYA"),
        ("dr. Andi Wijaya, Sp.THT-KL.", "ANDI WIJAYA"),
        ("Budi Santoso SE MM", "BUDI SANTOSO"),
        ("Budi Santoso, S.E., M.M.", "BUDI SANTOSO"),
        ("Siti Nurhaliza, A.Md.Kep", "SITI NURHALIZA"),
        ("Ustadz Abdul Somad, Lc., MA", "ABDUL SOMAD"),
        ("Rina Marlina, S.Pd.I", "RINA MARLINA"),
        ("Ny. Sri Wahyuni", "SRI WAHYUNI"),
        ("Agus Salim, Ph.D.", "AGUS SALIM"),
        ("  galih   agan\tpambayun ", "GALIH AGAN PAMBAYUN"),
        ("Galih-Agan (Pambayun)", "GALIH AGAN PAMBAYUN"),
    ],
)
def test_typed_names_normalise_like_the_record(typed: str, record: str) -> None:
    assert normalize_name(typed) == normalize_name(record)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H. Galih Agan Pambayun, S.Kom.", "GALIH AGAN PAMBAYUN"),
        ("Moh. Rizki", "MUHAMMAD RIZKI"),
        ("Dr. Ir. Bambang Susilo, M.T.", "BAMBANG SUSILO"),
        ("Budi S. Santoso", "BUDI S SANTOSO"),  # S in the middle is an initial
        ("Budi S. Santoso, S.T.", "BUDI S SANTOSO"),
        ("Agus M. Hidayat", "AGUS M HIDAYAT"),  # M only means Muhammad at the front
        ("Agus Moh. Hidayat", "AGUS MUHAMMAD HIDAYAT"),
        ("Rizki M", "RIZKI M"),
        ("Agus H. Salim", "AGUS H SALIM"),  # H in the middle is an initial, not Haji
        ("H. C. Wibowo", "C WIBOWO"),
        ("ＧＡＬＩＨ　ａｇａｎ", "GALIH AGAN"),  # full-width letters and space
        ("José Ramos-Horta", "JOSÉ RAMOS HORTA"),  # accents are kept
        ("Straße", "STRASSE"),  # casefold
        ("Teuku Umar", "TEUKU UMAR"),  # part of the legal name: kept
        ("Raden Ajeng Kartini", "RADEN AJENG KARTINI"),
        ("Andi Mallarangeng", "ANDI MALLARANGENG"),
        ("I Made Wirawan", "I MADE WIRAWAN"),
        ("Siregar, Budi", "SIREGAR BUDI"),  # non-degree tokens after a comma stay
        ("Ma´ruf", "MA RUF"),  # a lone accent is punctuation
    ],
)
def test_normalize_name_examples(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("  .,-  ", ""),
        ("Hj.", "HJ"),  # nothing but a title: kept rather than emptied
        ("Dr. H.", "DR H"),
        ("S.T.", "S T"),
        ("M. Kn", "MUHAMMAD KN"),  # a degree never starts the name
        ("M", "M"),
    ],
)
def test_nothing_is_refused(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


def test_title_lists_are_well_formed() -> None:
    for spelling in (*PREFIX_TITLES, *DEGREES):
        assert normalize_name(spelling), spelling
    assert "MUHAMMAD" in MUHAMMAD_VARIANTS
    assert all(variant.isupper() for variant in MUHAMMAD_VARIANTS)
    assert "Tgk." not in RELIGIOUS_TITLES  # ambiguous with nobility: deliberately absent


# --------------------------------------------------------------------------
# normalize_name: properties
# --------------------------------------------------------------------------

NAME_PARTS = (
    "GalihAganPambayunSitiAminahNurAiniBambangSusiloRizkiPutriDewiAgusSalimSriWahyuniBudiSantosoAhmadYaniEkoPrasetyoRinaMarlinaJokoWidodoKartiniWayanKetutMadeAndiTeukuRadenAyuLestariHartonoSulastriYohanesMariaTanLiemMuhammadMohMuhFitriIndahPermataSariHidayatKurniawanSetiawanRahmawatiNgatini",
)


def _keeps(token: str) -> bool:
    """A random token that is not itself a title or a degree."""
    return normalize_name(f"Budi {token}") == f"BUDI {token.upper()}"


random_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü", min_size=2, max_size=10).filter(
    _keeps
)
base_names = st.lists(
    st.one_of(st.sampled_from(NAME_PARTS), random_part), min_size=1, max_size=5
).map(" ".join)


@st.composite
def random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips, strict=True))


@given(st.text())
@example("Prof. Dr. (H.C.) K.H. Ma'ruf Amin, S.Kom., M.T.")
@example("S KOM, H, DR")
@example("Budi S, T")
@example("K DR H Budi")
@example("ΐ İ ǰ ß ﬁ")
def test_normalize_name_is_idempotent(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


@given(st.text())
def test_normalize_name_shape(text: str) -> None:
    result = normalize_name(text)
    assert result == result.strip()
    assert "  " not in result
    assert "," not in result
    assert "." not in result


@given(st.data(), base_names)
def test_normalize_name_ignores_case(data: st.DataObject, name: str) -> None:
    assert normalize_name(data.draw(random_case(name))) == normalize_name(name)


@given(
    base_names,
    st.booleans(),
    st.lists(st.sampled_from(PREFIX_TITLES), max_size=4),
    st.lists(st.sampled_from(DEGREES), max_size=4),
)
@example("Rizki", True, ["H.", "Dr."], ["S.Kom.", "M.T."])
@example("Ma'ruf Amin", False, ["Prof.", "Dr. (H.C.)", "K.H."], [])
@example("kn", True, [], ["S.Ag."])
def test_normalize_name_ignores_titles(
    name: str, muhammad: bool, prefixes: list[str], degrees: list[str]
) -> None:
    if muhammad:
        name = f"M. {name}"
    decorated = " ".join([*prefixes, name])
    if degrees:
        decorated += ", " + ", ".join(degrees)
    assert normalize_name(decorated) == normalize_name(name)


# --------------------------------------------------------------------------
# name_similarity and names_match
# --------------------------------------------------------------------------


def test_similarity_examples() -> None:
    assert name_similarity("H. Galih Agan Pambayun, S.Kom.", "GALIH AGAN PAMBAYUN") == 100
    assert name_similarity("PAMBAYUN GALIH AGAN", "GALIH AGAN PAMBAYUN") == 99
    assert name_similarity("Nur Aini", "Nuraini") == 99
    assert 80 <= name_similarity("Galih Pambayun", "Galih Agan Pambayun") < 99
    assert 85 <= name_similarity("Galih A. Pambayun", "Galih Agan Pambayun") < 99
    assert name_similarity("Budi Santoso", "Siti Aminah") < 50


def test_similarity_formula() -> None:
    # SequenceMatcher("BUDI", "BUDU"): 3 of 4 characters match → 2·3/8 = 75.
    assert name_similarity("Budi", "Budu") == 75


@pytest.mark.parametrize(("a", "b"), [("", ""), ("", "Budi"), ("...", "Budi"), (" ", " ")])
def test_empty_names_match_nothing(a: str, b: str) -> None:
    assert name_similarity(a, b) == 0
    assert names_match(a, b, 0)  # a threshold of 0 accepts everything, as Dukcapil's would
    assert not names_match(a, b, 1)


@given(st.text(), st.text())
@example("ab", "ba")
@example("AXBY", "BYAX")
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    score = name_similarity(a, b)
    assert score == name_similarity(b, a)
    assert 0 <= score <= 100


@given(st.one_of(st.text(), base_names), st.one_of(st.text(), base_names))
def test_similarity_is_100_iff_normalised_equal(a: str, b: str) -> None:
    equal = normalize_name(a) == normalize_name(b) != ""
    assert (name_similarity(a, b) == 100) == equal


@given(base_names)
def test_a_name_matches_itself(name: str) -> None:
    assert name_similarity(name, name) == 100
    assert names_match(name, name.upper(), 100)


def test_names_match_threshold() -> None:
    assert names_match("M. Rizki", "Muhammad Rizki", 100)
    assert names_match("Galih Pambayun", "Galih Agan Pambayun", 80)
    assert not names_match("Galih Pambayun", "Galih Agan Pambayun", 95)
    assert names_match("Budi", "Siti", 0)


@pytest.mark.parametrize("threshold", [-1, 101, True])
def test_names_match_rejects_bad_thresholds(threshold: int) -> None:
    with pytest.raises(ValueError):
        names_match("Budi", "Budi", threshold)


@given(base_names)
def test_adding_a_token_lowers_the_score(name: str) -> None:
    longer = f"{name} Wibisono"
    assume(normalize_name(longer) != normalize_name(name))
    assert name_similarity(name, longer) < 100
