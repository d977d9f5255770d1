"""Tests of siapkerja_core.regions: lookups, children, path, search, data integrity."""

from __future__ import annotations

import gzip
import unicodedata
from importlib.resources import files

import pytest

from siapkerja_core import regions
from siapkerja_core.regions import Region

DATA = files("siapkerja_core") / "data" / "regions"


def _rows() -> list[tuple[str, str, str, int]]:
    """The packaged regions.tsv, read without the module under test."""
    out = []
    for line in (DATA / "regions.tsv").read_text("utf-8").splitlines():
        code, name, status, last = line.split("\t")
        out.append((code, name, status, int(last)))
    return out


def _villages() -> list[tuple[str, str]]:
    with gzip.open(str(DATA / "villages.tsv.gz"), "rt", encoding="utf-8") as handle:
        return [tuple(line.rstrip("\n").split("\t")) for line in handle]  # type: ignore[misc]


def codes(found: list[Region]) -> list[str]:
    return [r.code for r in found]


# --------------------------------------------------------------------------
# Data integrity
# --------------------------------------------------------------------------


def test_current_edition_is_2025() -> None:
    assert regions.CURRENT_EDITION == 2025


def test_counts_of_the_current_edition_and_the_retired_codes() -> None:
    rows = _rows()
    by_level_status: dict[tuple[int, str], int] = {}
    for code, _name, status, _last in rows:
        key = (len(code), status)
        by_level_status[key] = by_level_status.get(key, 0) + 1
    assert by_level_status == {
        (2, "c"): 38,
        (4, "c"): 514,
        (4, "r"): 26,
        (6, "c"): 7285,
        (6, "r"): 594,
    }


def test_counts_through_the_api() -> None:
    provinces = regions.children()
    assert len(provinces) == 38
    assert regions.children(include_retired=True) == provinces
    current_regencies = [r for p in provinces for r in regions.children(p.code)]
    all_regencies = [r for p in provinces for r in regions.children(p.code, include_retired=True)]
    assert len(current_regencies) == 514
    assert len(all_regencies) == 514 + 26
    assert sum(r.retired for r in all_regencies) == 26
    assert len(regions.district_codes(include_retired=False)) == 7285
    assert len(regions.district_codes()) == 7285 + 594
    assert regions.district_codes(include_retired=False) < regions.district_codes()
    retired = regions.district_codes() - regions.district_codes(include_retired=False)
    assert len(retired) == 594
    assert all(regions.district(c).retired for c in retired)  # type: ignore[union-attr]


@pytest.mark.slow
def test_village_count_through_the_api() -> None:
    total = sum(len(regions.children(d)) for d in regions.district_codes(include_retired=False))
    assert total == 83_762


def test_codes_are_well_formed_and_unique() -> None:
    rows = _rows()
    seen = [code for code, *_ in rows]
    assert len(seen) == len(set(seen))
    for code, name, status, last in rows:
        assert len(code) in (2, 4, 6)
        assert code.isascii()
        assert code.isdigit()
        assert name == " ".join(name.split())
        assert name
        assert status in ("c", "r")
        if status == "c":
            assert last == 2025
        else:
            assert 2015 <= last < 2025
    villages = _villages()
    assert len(villages) == 83_762
    assert len({code for code, _ in villages}) == 83_762
    for code, name in villages:
        assert len(code) == 10
        assert code.isdigit()
        assert name


def test_every_code_has_a_parent_and_no_current_code_has_a_retired_parent() -> None:
    table = {code: status for code, _name, status, _last in _rows()}
    for code, status in table.items():
        if len(code) == 2:
            assert status == "c"  # no province was retired
            continue
        parent = code[: len(code) - 2]
        assert parent in table, code
        if status == "c":
            assert table[parent] == "c", code
    for code, _name in _villages():
        assert table.get(code[:6]) == "c", code


@pytest.mark.slow
def test_every_code_resolves_with_its_parents() -> None:
    for code, name, status, last in _rows():
        found = regions.lookup(code)
        assert found == Region(code, name, status == "r", last)
        chain = regions.path(code)
        assert codes(chain) == [code[:n] for n in (2, 4, 6) if n <= len(code)]
        assert chain[-1] == found


def test_every_current_district_has_villages() -> None:
    with_villages = {code[:6] for code, _ in _villages()}
    assert with_villages == regions.district_codes(include_retired=False)


@pytest.mark.parametrize(
    ("code", "name", "retired", "last_edition"),
    [
        ("9101", "Kabupaten Merauke", True, 2022),
        ("9301", "Kabupaten Merauke", False, 2025),
        ("9271", "Kota Sorong", True, 2023),
        ("9671", "Kota Sorong", False, 2025),
        ("6571", "Kota Tarakan", False, 2025),
        ("3218", "Kabupaten Pangandaran", False, 2025),
        ("65", "Kalimantan Utara", False, 2025),
        ("91", "Papua", False, 2025),
        ("92", "Papua Barat", False, 2025),
        ("93", "Papua Selatan", False, 2025),
        ("94", "Papua Tengah", False, 2025),
        ("95", "Papua Pegunungan", False, 2025),
        ("96", "Papua Barat Daya", False, 2025),
        ("1101", "Kabupaten Aceh Selatan", False, 2025),  # Kemendagri, not BPS (Simeulue)
        ("3171", "Kota Administrasi Jakarta Pusat", False, 2025),  # BPS: Jakarta Selatan
        ("910101", "Merauke", True, 2022),
        ("930101", "Merauke", False, 2025),
    ],
)
def test_known_regions(code: str, name: str, retired: bool, last_edition: int) -> None:
    assert regions.lookup(code) == Region(code, name, retired, last_edition)


@pytest.mark.parametrize("code", ["6473", "9412", "647301", "941201", "99", "0101"])
def test_codes_in_no_kemendagri_list_are_unknown(code: str) -> None:
    assert regions.lookup(code) is None


def test_district_codes_include_retired_by_default() -> None:
    assert "910101" in regions.district_codes()
    assert "910101" not in regions.district_codes(include_retired=False)
    assert "930101" in regions.district_codes(include_retired=False)
    assert "647301" not in regions.district_codes()
    assert all(len(c) == 6 for c in regions.district_codes())


# --------------------------------------------------------------------------
# Region
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "parent", "is_city"),
    [
        ("31", "province", None, False),
        ("3101", "regency", "31", False),
        ("3171", "regency", "31", True),
        ("3273", "regency", "32", True),
        ("3204", "regency", "32", False),
        ("317101", "district", "3171", False),
        ("3171011001", "village", "317101", False),
    ],
)
def test_region_level_parent_and_city(
    code: str, level: str, parent: str | None, is_city: bool
) -> None:
    found = regions.lookup(code)
    assert found is not None
    assert found.level == level
    assert found.parent_code == parent
    assert found.is_city is is_city


def test_region_defaults_and_value_semantics() -> None:
    assert Region("31", "x") == Region("31", "x", False, 2025)
    assert hash(Region("31", "x")) == hash(Region("31", "x"))
    assert Region("31", "x") != Region("31", "x", True, 2022)


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("31", Region("31", "Daerah Khusus Ibukota Jakarta")),
        ("3171", Region("3171", "Kota Administrasi Jakarta Pusat")),
        ("317101", Region("317101", "Gambir")),
        ("3171011001", Region("3171011001", "Gambir")),
        ("3171011002", Region("3171011002", "Cideng")),
        ("31.71", Region("3171", "Kota Administrasi Jakarta Pusat")),
        ("31.71.01", Region("317101", "Gambir")),
        ("31.71.01.1002", Region("3171011002", "Cideng")),
        (" 3171 ", Region("3171", "Kota Administrasi Jakarta Pusat")),
    ],
)
def test_lookup_at_every_level(code: str, expected: Region) -> None:
    assert regions.lookup(code) == expected


@pytest.mark.parametrize(
    "code", ["", "0", "00", "3", "317", "31710", "3171019999", "317101100", "abcd", "3199"]
)
def test_lookup_unknown_is_none(code: str) -> None:
    assert regions.lookup(code) is None


def test_per_level_helpers_only_answer_their_level() -> None:
    assert regions.province("31") == Region("31", "Daerah Khusus Ibukota Jakarta")
    assert regions.regency("3171") == Region("3171", "Kota Administrasi Jakarta Pusat")
    assert regions.district("317101") == Region("317101", "Gambir")
    assert regions.village("3171011001") == Region("3171011001", "Gambir")
    assert regions.regency("9101") == Region("9101", "Kabupaten Merauke", True, 2022)
    assert regions.district("910101") == Region("910101", "Merauke", True, 2022)
    for helper, wrong in [
        (regions.province, ["3171", "317101", "3171011001", "99"]),
        (regions.regency, ["31", "317101", "3171011001", "3199"]),
        (regions.district, ["31", "3171", "3171011001", "317199"]),
        (regions.village, ["31", "3171", "317101", "3171019999"]),
    ]:
        for code in wrong:
            assert helper(code) is None, (helper.__name__, code)


# --------------------------------------------------------------------------
# children
# --------------------------------------------------------------------------


def test_children_of_nothing_are_the_provinces_in_code_order() -> None:
    provinces = regions.children()
    assert codes(provinces)[:3] == ["11", "12", "13"]
    assert codes(provinces)[-6:] == ["91", "92", "93", "94", "95", "96"]
    assert codes(provinces) == sorted(codes(provinces))
    assert all(r.level == "province" for r in provinces)


def test_children_of_a_province() -> None:
    assert codes(regions.children("31")) == ["3101", "3171", "3172", "3173", "3174", "3175"]
    assert codes(regions.children("65")) == ["6501", "6502", "6503", "6504", "6571"]


def test_children_leave_out_retired_codes_unless_asked() -> None:
    current = codes(regions.children("91"))
    assert current == ["9103", "9105", "9106", "9110", "9111", "9115", "9119", "9120", "9171"]
    everything = regions.children("91", include_retired=True)
    assert len(everything) == 29
    assert "9101" in codes(everything)
    assert codes(everything) == sorted(codes(everything))
    assert {r.code for r in everything if r.retired} == set(codes(everything)) - set(current)
    assert regions.children("9101") == []
    retired_districts = regions.children("9101", include_retired=True)
    assert retired_districts[0] == Region("910101", "Merauke", True, 2022)
    assert all(r.retired and r.parent_code == "9101" for r in retired_districts)


def test_children_of_a_regency_are_its_districts() -> None:
    assert [r.name for r in regions.children("3171")] == [
        "Gambir",
        "Sawah Besar",
        "Kemayoran",
        "Senen",
        "Cempaka Putih",
        "Menteng",
        "Tanah Abang",
        "Johar Baru",
    ]
    assert regions.children("31.71") == regions.children("3171")


def test_children_of_a_district_are_its_villages() -> None:
    villages = regions.children("317101")
    assert [(r.code, r.name) for r in villages] == [
        ("3171011001", "Gambir"),
        ("3171011002", "Cideng"),
        ("3171011003", "Petojo Utara"),
        ("3171011004", "Petojo Selatan"),
        ("3171011005", "Kebon Kelapa"),
        ("3171011006", "Duri Pulo"),
    ]
    assert all(r.level == "village" and r.parent_code == "317101" for r in villages)
    assert regions.children("31.71.01") == villages
    assert regions.children("910101") == []  # retired districts have no villages


@pytest.mark.parametrize("code", ["99", "3199", "317199", "3171011001"])
def test_children_of_unknown_or_leaf_codes_are_empty(code: str) -> None:
    assert regions.children(code) == []
    assert regions.children(code, include_retired=True) == []


# --------------------------------------------------------------------------
# path
# --------------------------------------------------------------------------


def test_path_from_the_province_down() -> None:
    assert [r.name for r in regions.path("3171011001")] == [
        "Daerah Khusus Ibukota Jakarta",
        "Kota Administrasi Jakarta Pusat",
        "Gambir",
        "Gambir",
    ]
    assert codes(regions.path("3171011001")) == ["31", "3171", "317101", "3171011001"]
    assert codes(regions.path("31.71.01")) == ["31", "3171", "317101"]
    assert codes(regions.path("31")) == ["31"]


def test_path_of_a_retired_code() -> None:
    chain = regions.path("910101")
    assert chain == [
        Region("91", "Papua"),
        Region("9101", "Kabupaten Merauke", True, 2022),
        Region("910101", "Merauke", True, 2022),
    ]


@pytest.mark.parametrize("code", ["", "99", "3199", "317199", "3171019999", "6473"])
def test_path_of_an_unknown_code_is_empty(code: str) -> None:
    assert regions.path(code) == []


# --------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


@pytest.mark.parametrize(
    "query",
    [
        "jakarta barat",
        "Jakarta Barat",
        "JAKARTA BARAT",
        "  jakarta   barat  ",
        "jakarta-barat",
        "Jakarta_Barat!",
        "ＪＡＫＡＲＴＡ　ＢＡＲＡＴ",
        "Kota Administrasi Jakarta Barat",
    ],
)
def test_search_ignores_case_punctuation_and_the_kota_prefix(query: str) -> None:
    assert codes(regions.search(query)) == ["3173"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("tarakan", "6571"),
        ("Kota Tarakan", "6571"),
        ("pangandaran", "3218"),
        ("Kabupaten Pangandaran", "3218"),
        ("merauke", "9301"),
        ("Kabupaten Merauke", "9301"),
        ("kota sorong", "9671"),
        ("bogor", "3201"),
    ],
)
def test_search_finds_regencies_without_their_prefix(query: str, first: str) -> None:
    assert regions.search(query)[0].code == first


@pytest.mark.parametrize(
    ("query", "first"),
    [
        # "Kabupaten Administrasi" is dropped like "Kota Administrasi" is
        ("kepulauan seribu", "3101"),
        ("Kabupaten Kepulauan Seribu", "3101"),
        # a query written with the prefix the data spells out in full
        ("Kota Adm. Jakarta Barat", "3173"),
    ],
)
def test_search_ignores_administrative_regency_prefixes(query: str, first: str) -> None:
    found = regions.search(query)
    assert found
    assert found[0].code == first


def test_search_ranks_exact_then_prefix_then_substring() -> None:
    found = regions.search("bandung", limit=None)
    assert codes(found)[:4] == ["3204", "3273", "350417", "360434"]  # exact, by code length
    assert "3217" in codes(found)  # Kabupaten Bandung Barat: prefix
    assert "320219" in codes(found)  # Kabandungan: substring
    assert codes(found).index("3217") < codes(found).index("320219")
    assert codes(found).index("327315") < codes(found).index("327319")  # Bandung Kulon, Sumur B.

    def rank(region: Region) -> int:
        names = {_fold(region.name)}
        for prefix in ("kabupaten ", "kota administrasi ", "kota "):
            if region.level == "regency" and _fold(region.name).startswith(prefix):
                names.add(_fold(region.name)[len(prefix) :])
        if "bandung" in names:
            return 0
        return 1 if any(n.startswith("bandung") for n in names) else 2

    ranks = [rank(r) for r in found]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0
    assert 1 in ranks
    assert 2 in ranks
    assert all("bandung" in _fold(r.name) for r in found)


def test_search_tarakan_order() -> None:
    assert codes(regions.search("tarakan")) == ["6571", "657101", "657102", "657103", "657104"]


def test_search_within() -> None:
    assert codes(regions.search("pal merah", within="3173")) == ["317307"]
    assert codes(regions.search("palmerah", within="3173")) == ["317307"]  # spacing ignored
    assert regions.search("pal merah", within="31.73") == regions.search("pal merah", within="3173")
    assert codes(regions.search("gambir", within="3171")) == ["317101"]
    assert regions.search("gambir", within="3173") == []
    assert codes(regions.search("sorong", within="96", limit=None)) == [
        c for c in codes(regions.search("sorong", limit=None)) if c.startswith("96")
    ]
    within_district = regions.search("petojo", within="317101")
    assert codes(within_district) == ["3171011003", "3171011004"]


def test_search_level() -> None:
    # exact (Gambir), prefix (Gambiran), substring (Bojonggambir)
    assert codes(regions.search("gambir", level="district")) == ["317101", "351007", "320611"]
    villages = regions.search("gambir", level="village", limit=None)
    assert villages[0] == Region("3171011001", "Gambir")
    assert all(r.level == "village" for r in villages)
    assert all("gambir" in _fold(r.name) for r in villages)
    assert codes(regions.search("sorong", level="regency")) == ["9601", "9671", "9602"]
    assert regions.search("cideng") == []  # villages only when asked for
    assert codes(regions.search("cideng", level="village")) == ["3171011002"]
    assert codes(regions.search("cideng", level="village", within="3171")) == ["3171011002"]
    assert regions.search("cideng", level="village", within="3173") == []
    assert all(r.level == "province" for r in regions.search("papua", level="province"))
    assert len(regions.search("papua", level="province")) == 6


def test_search_leaves_out_retired_codes_unless_asked() -> None:
    assert codes(regions.search("merauke")) == ["9301", "930101"]
    with_retired = regions.search("merauke", include_retired=True)
    assert codes(with_retired) == ["9101", "9301", "910101", "930101"]
    assert [r.retired for r in with_retired] == [True, False, True, False]
    assert "9271" not in codes(regions.search("sorong", limit=None))
    assert "9271" in codes(regions.search("sorong", include_retired=True, limit=None))


def test_search_limit() -> None:
    assert len(regions.search("a")) == 20
    assert len(regions.search("a", limit=5)) == 5
    assert regions.search("a", limit=5) == regions.search("a")[:5]
    everything = regions.search("a", limit=None)
    assert len(everything) > 1000
    assert len({r.code for r in everything}) == len(everything)


@pytest.mark.parametrize("query", ["", "   ", "...", "-", "xyzzyqqq"])
def test_search_with_nothing_to_match(query: str) -> None:
    assert regions.search(query) == []


# --------------------------------------------------------------------------
# label and line: how an address writes a region
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "full", "short"),
    [
        ("31", "Provinsi Daerah Khusus Ibukota Jakarta", "Provinsi DKI Jakarta"),
        ("34", "Provinsi Daerah Istimewa Yogyakarta", "Provinsi DI Yogyakarta"),
        ("32", "Provinsi Jawa Barat", "Provinsi Jawa Barat"),
        ("3173", "Kota Administrasi Jakarta Barat", "Kota Adm. Jakarta Barat"),
        ("3101", "Kabupaten Administrasi Kepulauan Seribu", "Kab. Adm. Kepulauan Seribu"),
        ("3201", "Kabupaten Bogor", "Kab. Bogor"),
        ("3273", "Kota Bandung", "Kota Bandung"),
        ("317307", "Kecamatan Pal Merah", "Kecamatan Pal Merah"),
        ("3173071001", "Kelurahan Palmerah", "Kelurahan Palmerah"),
    ],
)
def test_label_writes_the_kind_before_the_name(code: str, full: str, short: str) -> None:
    region = regions.lookup(code)
    assert region is not None
    assert regions.label(region) == full
    assert regions.label(region, short=True) == short


def test_label_tells_a_desa_from_a_kelurahan_by_the_seventh_digit() -> None:
    villages = regions.children("320101")  # Kabupaten Bogor, Cibinong: both kinds
    kinds = {regions.label(v).split()[0] for v in villages}
    assert kinds <= {"Desa", "Kelurahan"}
    for village in villages:
        expected = "Kelurahan" if village.code[6] == "1" else "Desa"
        assert regions.label(village) == f"{expected} {village.name}"
    assert regions.label(Region("3201012001", "Contoh")) == "Desa Contoh"


def test_line_of_a_village_is_every_region_above_it() -> None:
    assert regions.line("3173071001") == (
        "Kelurahan Palmerah, Kecamatan Pal Merah, Kota Adm. Jakarta Barat, Provinsi DKI Jakarta"
    )
    assert regions.line("31.73.07.1001") == regions.line("3173071001")
    assert regions.line("3201") == "Kab. Bogor, Provinsi Jawa Barat"


def test_line_of_a_village_of_a_renumbered_district_keeps_what_is_known() -> None:
    # 9101 (Kab. Merauke) became 9301 in 2022: its villages' old codes are in no list.
    assert regions.lookup("9101012001") is None
    assert regions.line("9101012001") == "Kecamatan Merauke, Kab. Merauke, Provinsi Papua"


@pytest.mark.parametrize("code", ["", "3", "31x", "317307100", "99", "0000000000", "٣١"])
def test_line_of_a_malformed_or_unknown_code_is_empty(code: str) -> None:
    assert regions.line(code) == ""


# --------------------------------------------------------------------------
# The village search over the folded blob matches a plain scan
# --------------------------------------------------------------------------


def _scan(text: str, within: str | None = None) -> list[str]:
    """The village search as a plain loop over every name: the reference."""
    needle = regions._fold(text)
    bare = regions._without_regency_prefix(needle) or needle
    scores: dict[str, int] = {}
    for code, name in _villages():
        if within and not code.startswith(within):
            continue
        folded = regions._fold(name)
        for penalty, wanted in ((0, needle), (1, bare), (2, bare.replace(" ", ""))):
            candidate = folded.replace(" ", "") if penalty == 2 else folded
            if candidate == wanted:
                rank = 0
            elif candidate.startswith(wanted):
                rank = 2
            elif wanted in candidate:
                rank = 4
            else:
                continue
            scores[code] = rank + penalty
            break
    return sorted(scores, key=lambda c: (scores[c], c))


@pytest.mark.parametrize(
    ("text", "within"),
    [
        ("palmerah", None),
        ("PAL-MERAH", None),
        ("kebon jeruk", "31"),
        ("sukamaju", "32"),
        ("kota bambu", None),
        ("kabupaten bogor", None),
        ("nan xx", None),
        ("ujung", "3173"),
        ("ii", None),
        ("qqqzzz", None),
    ],
)
def test_village_search_matches_a_plain_scan(text: str, within: str | None) -> None:
    found = regions.search(text, level="village", within=within, limit=None)
    assert [r.code for r in found] == _scan(text, within)


def test_find_says_how_many_matched_beyond_the_limit() -> None:
    found = regions.find("sukamaju", level="village", limit=10)
    assert (len(found.regions), found.total) == (10, 128)
    assert list(found.regions) == regions.search("sukamaju", level="village", limit=10)
    in_jabar = regions.find("sukamaju", level="village", within="32", limit=10)
    assert in_jabar.total == 35
    assert {r.code[:2] for r in in_jabar.regions} == {"32"}
    assert regions.find("", level="village") == regions.Found((), 0)


@pytest.mark.parametrize(
    ("code", "option"),
    [
        ("3273", "Bandung (Kota)"),
        ("3204", "Bandung (Kabupaten)"),
        ("3173", "Jakarta Barat (Kota Administrasi)"),
        ("3101", "Kepulauan Seribu (Kabupaten Administrasi)"),
        ("3173071001", "Palmerah (Kelurahan)"),
        ("32", "Jawa Barat"),
        ("317307", "Pal Merah"),
    ],
)
def test_option_name_puts_the_name_first(code: str, option: str) -> None:
    region = regions.lookup(code)
    assert region is not None
    assert regions.option_name(region) == option


def test_option_name_of_a_desa() -> None:
    desa = next(r for r in regions.search("sukamaju", level="village") if r.code[6] != "1")
    assert regions.option_name(desa) == "Sukamaju (Desa)"


def _scanned(blob: object, wanted: str) -> list[tuple[int, int]]:
    """What the trigram index must answer: every name holding ``wanted``, by a plain scan."""
    found = []
    for number, name in enumerate(blob.names):  # type: ignore[attr-defined]
        if wanted in name:
            found.append((number, 0 if name == wanted else 2 if name.startswith(wanted) else 4))
    return found


@pytest.mark.parametrize(
    "wanted", ["palmerah", "pal merah", "sukamaju", "jaya", "aa", "a", "zzq", "kampung baru"]
)
def test_the_village_index_finds_what_a_scan_finds(wanted: str) -> None:
    """The village search reads a trigram index (three characters or more) or scans the
    joined names (fewer): either way every name holding the text, ranked alike."""
    _codes, spaced, bare = regions._village_blobs()
    for blob in (spaced, bare):
        assert sorted(blob.matches(wanted)) == _scanned(blob, wanted), wanted


def test_the_village_index_agrees_with_a_scan_on_substrings_of_names() -> None:
    _codes, spaced, bare = regions._village_blobs()
    for blob in (spaced, bare):
        for number in range(0, len(blob.names), 997):
            name = blob.names[number]
            for wanted in (name, name[1:7], name[-5:], name[2:4]):
                if wanted:
                    assert sorted(blob.matches(wanted)) == _scanned(blob, wanted), wanted
