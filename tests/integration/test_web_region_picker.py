"""The region picker of the profile's addresses (``/profil/alamat/…``) and its JSON (``/wilayah``).

Through the web binding as a browser without JavaScript uses it (the helpers
of ``test_web_pages.py``): the cascade province → regency/city → district →
village, one *Pilih* at a time, what was typed carried through every step (in
the session, never in the address bar); options that start with the region's
name; the search by village name with each match's full region line, inside
the levels chosen, saying when the list is cut; saving with post/
redirect/get back to the profile's summary; refusals worded by the part of the
address, in Indonesian and English; *Sama dengan alamat KTP*; an old profile
whose village code has since changed. Then the JSON endpoints the page's script
loads from, hostile input included, and their caching.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx
import pytest
from starlette.testclient import TestClient
from test_web_pages import (  # type: ignore[import-not-found]
    EMAIL,
    PASSWORD,
    Browser,
    browser,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    confirm,
    register,
    svc,  # noqa: F401 - fixture
    text,
)

from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.pages.addresses import RegionChoices
from siapkerja_core import regions
from siapkerja_core.profile import Address
from siapkerja_core.service import Siapkerja

PALMERAH = "3173071001"
PALMERAH_LINE = (
    "Kelurahan Palmerah, Kecamatan Pal Merah, Kota Adm. Jakarta Barat, Provinsi DKI Jakarta"
)
KTP = "/profil/alamat/ktp"
DOMICILE = "/profil/alamat/domisili"


@pytest.fixture
def holder(browser: Browser) -> Browser:  # noqa: F811
    register(browser)
    confirm(browser)
    return browser


def selected(page: str, name: str) -> str | None:
    """The value of the selected option of select ``name`` (``None``: none selected)."""
    select = re.search(rf'<select id="f-{name}" name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    found = re.search(r'<option value="([^"]*)"[^>]* selected>', select.group(1))
    return found.group(1) if found else None


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select id="f-{name}" name="{name}"([^>]*)>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(2)) if v]


def disabled(page: str, name: str) -> bool:
    select = re.search(rf'<select id="f-{name}" name="{name}"([^>]*)>', page)
    assert select, f"no select {name}"
    return " disabled" in select.group(1)


def value(page: str, name: str) -> str:
    found = re.search(rf'<input id="f-{name}" name="{name}" [^>]*value="([^"]*)"', page)
    assert found, f"no input {name}"
    return found.group(1)


def summary(page: str, kind: str) -> str:
    """The text of the profile's summary of one address (``ktp`` or ``domisili``)."""
    start = page.index(f'<div class="address-summary" id="address-{kind}">')
    return text(page[start : page.index("</div>", start)])


def query(response: httpx.Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(response.url)).query).items()}


def assert_nothing_typed_in_the_address(response: httpx.Response, *typed: str) -> None:
    """Neither the step's redirect (its Location) nor the page's address carries what
    the person typed: access logs and the browser's history keep those."""
    assert response.history, "a step answers with a redirect"
    addresses = [r.headers["location"] for r in response.history] + [str(response.url)]
    for address in addresses:
        for name in ("jalan", "rt", "rw", "kode_pos"):
            assert f"{name}=" not in address, address
        for typed_value in typed:
            assert typed_value not in address
            assert typed_value.replace(" ", "+") not in address


def saved_address(svc: Siapkerja, which: str = "ktp_address") -> Address | None:  # noqa: F811
    account = svc.login(identifier=EMAIL, password=PASSWORD)
    return getattr(svc.profile(account.id), which)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------
# The profile's summary
# --------------------------------------------------------------------------


def test_the_profile_shows_both_addresses_as_a_summary_with_links_to_the_picker(
    holder: Browser,
) -> None:
    holder.get("/profil")
    section = holder.page[holder.page.index('id="addresses"') :]
    section = section[: section.index("</section>")]
    assert text(section).count("Belum diisi.") == 2
    assert f'href="{KTP}"' in section
    assert f'href="{DOMICILE}"' in section
    assert "Ubah" in text(section)
    # The village search that printed codes to copy is gone, and no code is typed.
    assert 'name="desa"' not in holder.page
    assert "village_code" not in holder.page


# --------------------------------------------------------------------------
# Without JavaScript: the cascade, the search, saving
# --------------------------------------------------------------------------


def test_the_cascade_one_level_at_a_time_carries_what_was_typed_and_saves(
    holder: Browser,
    svc: Siapkerja,  # noqa: F811
) -> None:
    page = holder.get(KTP)
    assert page.status_code == 200
    assert len(options(holder.page, "provinsi")) == 38
    assert "Daerah Khusus Ibukota Jakarta" in holder.page
    for level in ("kabupaten", "kecamatan", "desa"):
        assert disabled(holder.page, level)
    typed = {"jalan": "Jl. Palmerah Barat No. 7", "rt": "5", "rw": "3", "kode_pos": "11480"}

    page = holder.submit(KTP, {"provinsi": "31", "langkah": "provinsi", **typed})
    assert page.url.path == KTP
    # Neither the CSRF token nor the address typed goes into the address bar.
    assert query(page) == {"provinsi": "31"}
    assert_nothing_typed_in_the_address(page, "Jl. Palmerah Barat No. 7", "11480")
    assert selected(holder.page, "provinsi") == "31"
    assert "3173" in options(holder.page, "kabupaten")
    assert "Kota Administrasi Jakarta Barat" in holder.page
    assert disabled(holder.page, "kecamatan")
    for name, typed_value in typed.items():
        assert value(holder.page, name) == typed_value

    holder.submit(KTP, {"provinsi": "31", "kabupaten": "3173", "langkah": "kabupaten", **typed})
    assert "317307" in options(holder.page, "kecamatan")
    holder.submit(
        KTP,
        {"provinsi": "31", "kabupaten": "3173", "kecamatan": "317307", "langkah": "kecamatan"}
        | typed,
    )
    assert PALMERAH in options(holder.page, "desa")
    # The name first (a select finds an option by its first letters), the kind after.
    assert ' title="Kelurahan Palmerah">Palmerah (Kelurahan)</option>' in holder.page
    assert value(holder.page, "jalan") == typed["jalan"]
    assert value(holder.page, "kode_pos") == typed["kode_pos"]

    form = {"provinsi": "31", "kabupaten": "3173", "kecamatan": "317307", "desa": PALMERAH}
    page = holder.submit(KTP, {**form, **typed, "langkah": "simpan"})
    assert page.url.path == "/profil"
    assert "Perubahan disimpan." in text(holder.page)
    assert summary(holder.page, "ktp") == (
        f"Alamat sesuai KTP Jl. Palmerah Barat No. 7 RT 005/RW 003 {PALMERAH_LINE}"
        " Kode pos 11480 Ubah Alamat sesuai KTP"
    )
    address = saved_address(svc)
    assert address is not None
    assert (address.village_code, address.rt, address.postal_code) == (PALMERAH, "005", "11480")

    # Editing starts from the saved address, every level chosen.
    holder.get(KTP)
    assert [selected(holder.page, n) for n in ("provinsi", "kabupaten", "kecamatan", "desa")] == [
        "31",
        "3173",
        "317307",
        PALMERAH,
    ]
    assert value(holder.page, "rt") == "005"
    assert PALMERAH_LINE in text(holder.page)


def test_another_province_drops_the_levels_below_and_keeps_the_typed_fields(
    holder: Browser,
) -> None:
    holder.get(f"{KTP}?provinsi=31&kabupaten=3173&kecamatan=317307&desa={PALMERAH}")
    assert selected(holder.page, "desa") == PALMERAH
    page = holder.submit(
        KTP,
        {
            "provinsi": "32",
            "kabupaten": "3173",
            "kecamatan": "317307",
            "desa": PALMERAH,
            "jalan": "Jl. A",
            "langkah": "provinsi",
        },
    )
    assert selected(holder.page, "provinsi") == "32"
    assert selected(holder.page, "kabupaten") is None
    assert "3201" in options(holder.page, "kabupaten")  # Kabupaten Bogor
    assert disabled(holder.page, "kecamatan")
    assert disabled(holder.page, "desa")
    assert value(holder.page, "jalan") == "Jl. A"
    assert_nothing_typed_in_the_address(page, "Jl. A")


def test_typed_fields_wait_for_their_own_address_only_and_never_come_from_a_query(
    holder: Browser,
) -> None:
    # What a step keeps is for the page of that address: the domicile's page (and
    # then the KTP's page again, read once) does not show it.
    holder.get(KTP)
    holder.submit(KTP, {"provinsi": "31", "jalan": "Jl. Rahasia 9", "langkah": "provinsi"})
    assert value(holder.page, "jalan") == "Jl. Rahasia 9"
    holder.get(DOMICILE)
    assert value(holder.page, "jalan") == ""
    holder.get(KTP)
    assert value(holder.page, "jalan") == ""
    holder.submit(KTP, {"provinsi": "31", "rt": "7", "langkah": "provinsi"})
    holder.get(f"{DOMICILE}?provinsi=31")
    assert value(holder.page, "rt") == ""
    # An old link that put the address in the query shows none of it.
    holder.get(f"{KTP}?provinsi=31&jalan=Jl.+Lama&rt=001")
    assert value(holder.page, "jalan") == ""
    assert value(holder.page, "rt") == ""


@pytest.mark.parametrize(
    "path",
    [
        f"{KTP}?provinsi=3x&kabupaten=<b>&desa=1234567890",
        f"{KTP}?provinsi=99&kabupaten=9901",
        f"{KTP}?desa=9101012001",  # a village of a district renumbered in 2022
        f"{KTP}?jalan={'x' * 5000}&cari={'y' * 5000}",
        f"{KTP}?provinsi=31&provinsi=32",
    ],
)
def test_a_hostile_or_stale_query_shows_the_page_choosing_only_current_regions(
    holder: Browser, path: str
) -> None:
    page = holder.get(path)
    assert page.status_code == 200
    chosen = [selected(holder.page, n) for n in ("provinsi", "kabupaten", "kecamatan", "desa")]
    for code in filter(None, chosen):
        region = regions.lookup(code)
        assert region is not None
        assert not region.retired
    assert chosen[3] is None
    assert "<b>" not in holder.page
    assert len(value(holder.page, "jalan")) <= 200
    assert len(value(holder.page, "cari")) <= 60


def test_an_unknown_kind_of_address_is_not_found(holder: Browser) -> None:
    assert holder.get("/profil/alamat/kantor").status_code == 404


def test_the_search_offers_villages_with_their_full_region_line(holder: Browser) -> None:
    holder.get(KTP)
    page = holder.submit(KTP, {"cari": "palmerah", "jalan": "Jl. B", "langkah": "cari"})
    assert query(page) == {"cari": "palmerah"}
    assert_nothing_typed_in_the_address(page, "Jl. B")
    assert value(holder.page, "jalan") == "Jl. B"
    shown = text(holder.page)
    assert "Hasil pencarian di seluruh Indonesia:" in shown
    assert PALMERAH_LINE in shown
    assert f'name="hasil" type="radio" value="{PALMERAH}"' in holder.page

    # The chosen match fills every level; what was typed stays.
    page = holder.submit(KTP, {"hasil": PALMERAH, "jalan": "Jl. B", "langkah": "desa"})
    assert query(page) == {"desa": PALMERAH}
    assert_nothing_typed_in_the_address(page, "Jl. B")
    assert selected(holder.page, "kecamatan") == "317307"
    assert selected(holder.page, "desa") == PALMERAH
    assert value(holder.page, "jalan") == "Jl. B"


def test_the_search_stays_in_the_chosen_province_unless_nothing_matches_there(
    holder: Browser,
) -> None:
    holder.get(f"{KTP}?provinsi=31&cari=kebon+jeruk")
    shown = text(holder.page)
    assert "Hasil pencarian di Provinsi DKI Jakarta:" in shown
    assert "Kelurahan Kebon Jeruk, Kecamatan Kebon Jeruk" in shown
    holder.get(f"{KTP}?provinsi=31&cari=sukamaju")
    assert "Hasil pencarian di seluruh Indonesia:" in text(holder.page)
    holder.get(f"{KTP}?cari=qqqzzz")
    assert 'Tidak ada desa/kelurahan bernama "qqqzzz"' in text(holder.page)


def results(page: str) -> list[str]:
    return re.findall(r'name="hasil" type="radio" value="(\d+)"', page)


def test_a_search_cut_at_ten_says_how_many_matched_and_how_to_narrow_it(
    holder: Browser,
) -> None:
    holder.get(f"{KTP}?cari=sukamaju")
    assert len(results(holder.page)) == 10
    assert (
        "10 pertama dari 128 desa/kelurahan yang cocok — pilih provinsi, kabupaten/kota atau"
        " kecamatan di bawah untuk mempersempit" in text(holder.page)
    )
    # Jawa Barat chosen: its 35 only, still cut, still said.
    holder.get(f"{KTP}?provinsi=32&cari=sukamaju")
    assert {code[:2] for code in results(holder.page)} == {"32"}
    assert "10 pertama dari 35 desa/kelurahan" in text(holder.page)
    # A list that is whole says nothing of the kind.
    holder.get(f"{KTP}?cari=palmerah")
    assert "pertama dari" not in text(holder.page)
    holder.get(f"{KTP}?cari=sukamaju&lang=en")
    assert (
        "The first 10 of 128 matching villages — choose a province, regency/city or district"
        " below to narrow the search" in text(holder.page)
    )


def test_the_search_stays_inside_the_regency_and_the_district_chosen(holder: Browser) -> None:
    # Sukamaju, Kabupaten Bogor: the regency chosen lists its villages only …
    holder.get(f"{KTP}?provinsi=32&kabupaten=3201&cari=sukamaju")
    found = results(holder.page)
    assert found
    assert {code[:4] for code in found} == {"3201"}
    assert "Hasil pencarian di Kab. Bogor, Provinsi Jawa Barat:" in text(holder.page)
    # … and a district chosen, its own.
    district = found[0][:6]
    holder.get(f"{KTP}?provinsi=32&kabupaten=3201&kecamatan={district}&cari=sukamaju")
    assert {code[:6] for code in results(holder.page)} == {district}
    assert "pertama dari" not in text(holder.page)
    # The no-script "Cari" button searches inside the levels sent with it.
    holder.get(KTP)
    page = holder.submit(
        KTP, {"provinsi": "32", "kabupaten": "3201", "cari": "sukamaju", "langkah": "cari"}
    )
    assert query(page) == {"provinsi": "32", "kabupaten": "3201", "cari": "sukamaju"}
    assert {code[:4] for code in results(holder.page)} == {"3201"}


def test_options_start_with_the_name_so_typing_finds_them(holder: Browser) -> None:
    holder.get(f"{KTP}?provinsi=32")
    assert '<option value="3204" title="Kabupaten Bandung">Bandung (Kabupaten)</option>' in (
        holder.page
    )
    assert '<option value="3273" title="Kota Bandung">Bandung (Kota)</option>' in holder.page
    holder.get(f"{KTP}?provinsi=31")
    assert ">Jakarta Barat (Kota Administrasi)</option>" in holder.page
    # Provinces and districts are bare names already: no title repeats them.
    assert '<option value="31" selected>Daerah Khusus Ibukota Jakarta</option>' in holder.page


def test_a_search_match_can_be_saved_directly(holder: Browser, svc: Siapkerja) -> None:  # noqa: F811
    holder.get(f"{KTP}?cari=palmerah")
    page = holder.submit(KTP, {"hasil": PALMERAH, "rt": "7", "langkah": "simpan"})
    assert page.url.path == "/profil"
    address = saved_address(svc)
    assert address is not None
    assert (address.village_code, address.rt) == (PALMERAH, "007")


# --------------------------------------------------------------------------
# Refusals, worded by the part of the address
# --------------------------------------------------------------------------


def _error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', page, re.S)
    assert found, f"no error on {field}"
    shown = text(found.group(1))
    prefix, _, message = shown.partition(": ")
    assert prefix in ("Kesalahan", "Error")  # said to screen readers before the message
    return message


@pytest.mark.parametrize(
    ("lang", "form", "field", "message"),
    [
        ("id", {}, "desa", "Desa/Kelurahan (alamat KTP): wajib dipilih."),
        ("en", {}, "desa", "Village (KTP address): choose one."),
        (
            "id",
            {"desa": PALMERAH, "rt": "12a"},
            "rt",
            "RT (alamat KTP): harus 1 sampai 3 angka (misalnya 005).",
        ),
        (
            "en",
            {"desa": PALMERAH, "rt": "12a"},
            "rt",
            "RT (KTP address): must be 1 to 3 digits (e.g. 005).",
        ),
        (
            "id",
            {"desa": PALMERAH, "kode_pos": "123"},
            "kode_pos",
            "Kode pos (alamat KTP): harus 5 angka, misalnya 11480.",
        ),
        (
            "id",
            {"desa": "1234567890"},
            "desa",
            "Desa/Kelurahan (alamat KTP): tidak ada dalam daftar wilayah Kemendagri;"
            " pilih lagi dari daftar.",
        ),
    ],
)
def test_a_refused_address_says_which_part_in_words(
    holder: Browser, lang: str, form: dict[str, str], field: str, message: str
) -> None:
    holder.get(f"{KTP}?lang={lang}")
    holder.submit(KTP, {"jalan": "Jl. Kopi 1", **form, "langkah": "simpan"})
    assert _error(holder.page, field) == message
    assert message in text(holder.page.split('class="error-summary"')[1])
    assert f'href="#f-{field}"' in holder.page
    assert "ktp_address" not in holder.page
    assert "village_code" not in holder.page
    assert value(holder.page, "jalan") == "Jl. Kopi 1"  # nothing typed is lost


def test_every_problem_of_an_address_is_told_at_once(holder: Browser) -> None:
    holder.get(f"{KTP}?lang=en")
    holder.submit(KTP, {"rt": "5a", "rw": "000", "kode_pos": "0123", "langkah": "simpan"})
    assert _error(holder.page, "desa") == "Village (KTP address): choose one."
    assert _error(holder.page, "rt") == "RT (KTP address): must be 1 to 3 digits (e.g. 005)."
    assert _error(holder.page, "rw") == "RW (KTP address): cannot be 000."
    assert _error(holder.page, "kode_pos") == (
        "Postal code (KTP address): must be 5 digits, for example 11480."
    )
    summary = holder.page.split('class="error-summary"')[1].split("</div>")[0]
    assert re.findall(r'href="#f-([a-z_]+)"', summary) == [
        "desa",
        "rt",
        "rw",
        "kode_pos",
    ]


def test_a_refusal_after_a_search_shows_the_matches_again(holder: Browser) -> None:
    holder.get(f"{KTP}?cari=palmerah")
    holder.submit(KTP, {"cari": "palmerah", "rt": "5a", "langkah": "simpan"})
    assert _error(holder.page, "desa") == "Desa/Kelurahan (alamat KTP): wajib dipilih."
    assert PALMERAH_LINE in text(holder.page)
    assert value(holder.page, "rt") == "5a"


def test_a_refused_domicile_names_the_domicile_address(holder: Browser) -> None:
    holder.get(DOMICILE)
    holder.submit(DOMICILE, {"rw": "0", "langkah": "simpan"})
    assert _error(holder.page, "desa") == "Desa/Kelurahan (alamat domisili): wajib dipilih."


# --------------------------------------------------------------------------
# Sama dengan alamat KTP
# --------------------------------------------------------------------------


def test_the_domicile_can_be_the_ktp_address_and_follows_it(
    holder: Browser,
    svc: Siapkerja,  # noqa: F811
) -> None:
    holder.get(DOMICILE)
    assert 'name="sama"' not in holder.page
    assert "Isi alamat KTP dulu" in text(holder.page)
    # Posted anyway (a stale tab): back to the KTP address, with the reason.
    page = holder.submit(DOMICILE, {"sama": "1", "langkah": "simpan"})
    assert page.url.path == KTP
    assert "Isi alamat KTP dulu" in text(holder.page)

    holder.submit(KTP, {"desa": PALMERAH, "jalan": "Jl. Palmerah Barat", "langkah": "simpan"})
    holder.get(DOMICILE)
    assert 'id="f-sama" name="sama" type="checkbox" value="1"' in holder.page
    assert PALMERAH_LINE in text(holder.page)  # the hint says which address it follows
    page = holder.submit(DOMICILE, {"sama": "1", "langkah": "simpan"})
    assert page.url.path == "/profil"
    assert "Sama dengan alamat KTP." in text(holder.page)
    assert saved_address(svc, "domicile_address") == saved_address(svc)
    holder.get(DOMICILE)
    assert 'value="1" aria-describedby="f-sama-hint" checked' in holder.page

    # The KTP address moves: the domicile, said to be the same, moves with it.
    other = regions.children("317301")[0].code
    holder.submit(KTP, {"desa": other, "langkah": "simpan"})
    assert saved_address(svc, "domicile_address") == saved_address(svc)
    assert saved_address(svc).village_code == other  # type: ignore[union-attr]

    # Unticked, the domicile is its own address.
    holder.get(DOMICILE)
    holder.submit(DOMICILE, {"desa": PALMERAH, "langkah": "simpan"})
    assert saved_address(svc, "domicile_address").village_code == PALMERAH  # type: ignore[union-attr]
    assert saved_address(svc).village_code == other  # type: ignore[union-attr]
    assert "Sama dengan alamat KTP." not in text(holder.page)


# --------------------------------------------------------------------------
# A village code that changed since the profile was saved
# --------------------------------------------------------------------------


def test_an_old_village_code_shows_what_is_known_and_asks_for_the_current_one(
    holder: Browser,
    svc: Siapkerja,  # noqa: F811
) -> None:
    # 9101 (Kabupaten Merauke) became 9301 in 2022; its villages' old codes are in no list.
    # A profile saved before then holds one: stored as it was, without today's check.
    account = svc.login(identifier=EMAIL, password=PASSWORD)
    with attrs.validators.disabled():
        old = Address(village_code="9101012001", street="Jl. Raya Mandala")
    profile = attrs.evolve(svc.profile(account.id), ktp_address=old)
    with svc.storage.transaction() as tx:
        tx.profiles.put(account.id, profile)

    holder.get("/profil")
    shown = summary(holder.page, "ktp")
    assert "Kecamatan Merauke, Kab. Merauke, Provinsi Papua" in shown
    assert "Kode wilayah alamat ini sudah berubah." in shown

    holder.get(KTP)
    shown = text(holder.page)
    assert "memakai kode wilayah lama (Kecamatan Merauke, Kab. Merauke, Provinsi Papua)" in shown
    assert "Pilih desa/kelurahan yang berlaku sekarang" in shown
    assert selected(holder.page, "provinsi") == "91"  # Papua still is
    assert selected(holder.page, "kabupaten") is None  # the old regency cannot be chosen
    assert value(holder.page, "jalan") == "Jl. Raya Mandala"


# --------------------------------------------------------------------------
# The JSON endpoints
# --------------------------------------------------------------------------


@pytest.fixture
def api(svc: Siapkerja) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(svc, dev=True)) as client:
        yield client


def test_the_provinces_and_the_children_of_a_region(api: TestClient) -> None:
    root = api.get("/wilayah")
    assert root.status_code == 200
    body = root.json()
    assert body["parent"] is None
    assert len(body["regions"]) == 38
    assert body["regions"][10] == {
        "code": "31",
        "name": "Daerah Khusus Ibukota Jakarta",
        "label": "Provinsi Daerah Khusus Ibukota Jakarta",
        "option": "Daerah Khusus Ibukota Jakarta",
        "line": "Provinsi DKI Jakarta",
    }
    regencies = api.get("/wilayah/31/anak").json()
    assert regencies["parent"]["code"] == "31"
    assert {"code": "3173", "name": "Kota Administrasi Jakarta Barat"}.items() <= next(
        r for r in regencies["regions"] if r["code"] == "3173"
    ).items()
    villages = api.get("/wilayah/317307/anak").json()["regions"]
    palmerah = next(r for r in villages if r["code"] == PALMERAH)
    assert palmerah["label"] == "Kelurahan Palmerah"
    assert palmerah["option"] == "Palmerah (Kelurahan)"  # the name first: typing finds it
    assert palmerah["line"] == PALMERAH_LINE
    # Retired codes (Kabupaten Merauke before 2022) are no choice.
    assert "9101" not in [r["code"] for r in api.get("/wilayah/91/anak").json()["regions"]]


def test_region_answers_are_cacheable_by_etag(api: TestClient) -> None:
    first = api.get("/wilayah/31/anak")
    assert first.headers["cache-control"] == "private, max-age=86400"
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = api.get("/wilayah/31/anak", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert api.get("/wilayah/31/anak", headers={"If-None-Match": '"other"'}).status_code == 200
    weak = api.get("/wilayah/31/anak", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    assert api.get("/wilayah/32/anak").headers["etag"] != etag


@pytest.mark.parametrize(
    "code", ["99", "3x", "abc", "317307100", "3173071001", "٣١", "31%0A", "1" * 500, "9101"]
)
def test_children_of_an_unknown_or_malformed_code_are_a_404_problem(
    api: TestClient, code: str
) -> None:
    answer = api.get(f"/wilayah/{code}/anak")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "request.not_found"


def test_the_search_answers_villages_with_their_line(api: TestClient) -> None:
    answer = api.get("/wilayah/cari", params={"q": "palmerah"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, max-age=86400"
    found = answer.json()["regions"]
    assert found[0] == {
        "code": PALMERAH,
        "name": "Palmerah",
        "label": "Kelurahan Palmerah",
        "option": "Palmerah (Kelurahan)",
        "line": PALMERAH_LINE,
    }
    assert answer.json()["total"] == len(found)
    assert len(api.get("/wilayah/cari", params={"q": "sari"}).json()["regions"]) == 10
    # Cut at ten, the answer says how many matched, in the scope asked for.
    assert api.get("/wilayah/cari", params={"q": "sukamaju"}).json()["total"] == 128
    jabar = api.get("/wilayah/cari", params={"q": "sukamaju", "dalam": "32"}).json()
    assert (len(jabar["regions"]), jabar["total"]) == (10, 35)
    assert {r["code"][:2] for r in jabar["regions"]} == {"32"}
    within = api.get("/wilayah/cari", params={"q": "kebon jeruk", "dalam": "3173"}).json()
    assert [r["code"][:4] for r in within["regions"]] == ["3173"]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"q": ""}, 0),
        ({"q": "pa"}, 0),  # too short to search 84,000 villages
        ({}, 0),
        ({"q": "palmerah", "dalam": "<script>"}, 2),  # a malformed scope is no scope
        ({"q": "palmerah", "dalam": "3" * 100}, 2),
        ({"q": "%%%' OR 1=1 --"}, 0),
    ],
)
def test_the_search_with_little_or_hostile_input(
    api: TestClient, params: dict[str, str], count: int
) -> None:
    answer = api.get("/wilayah/cari", params=params)
    assert answer.status_code == 200
    assert len(answer.json()["regions"]) == count


@pytest.mark.parametrize(
    ("lang", "reason"), [("id", "paling banyak 60 huruf"), ("en", "at most 60")]
)
def test_a_search_text_too_long_is_a_problem_naming_the_parameter(
    api: TestClient, lang: str, reason: str
) -> None:
    answer = api.get("/wilayah/cari", params={"q": "a" * 61, "lang": lang})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "request.invalid_parameter"
    assert body["params"]["field"] == "q"
    assert reason in body["detail"]


# --------------------------------------------------------------------------
# The cascade's state, read off the values shown
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ("", "", "", "")),
        ({"desa": PALMERAH}, ("31", "3173", "317307", PALMERAH)),
        ({"provinsi": "31", "kabupaten": "3173"}, ("31", "3173", "", "")),
        ({"provinsi": "32", "kabupaten": "3173", "desa": PALMERAH}, ("32", "", "", "")),
        (
            {"provinsi": "31", "kabupaten": "3173", "kecamatan": "317301", "desa": PALMERAH},
            ("31", "3173", "317301", ""),
        ),
        ({"desa": "9101012001"}, ("91", "", "", "")),  # the regency was renumbered
        ({"provinsi": "31 ", "kabupaten": "3173"}, ("", "", "", "")),
        ({"provinsi": ["31"]}, ("", "", "", "")),
        ({"desa": "1234567890"}, ("12", "", "", "")),
    ],
)
def test_the_cascade_keeps_each_level_inside_the_one_above(
    values: dict[str, object], expected: tuple[str, str, str, str]
) -> None:
    state = RegionChoices.state(values)
    assert (state["provinsi"], state["kabupaten"], state["kecamatan"], state["desa"]) == expected
