"""Tests of the offline Dukcapil adapter: the bundled residents, CSV loading, switches, factory.

The behaviour every registry shares (verdicts, threshold, not found, inactive)
is in tests/contract/test_registry_contract.py.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections import Counter
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from siapkerja_adapters.dukcapil_offline import (
    CSV_COLUMNS,
    OfflineRegistry,
    Resident,
    ResidentDataError,
    bundled_residents,
    offline_registry_from_settings,
    read_residents,
)
from siapkerja_core import regions
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.names import normalize_name
from siapkerja_core.nik import InvalidNik, compose_nik, parse_nik
from siapkerja_core.ports import RegistryUnavailable, VerificationRequest
from siapkerja_core.settings import resolve_settings
from support import people

ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(CSV_COLUMNS)
GALIH_NIK = people.NIK
# Fictional people for the CSV tests, with NIKs the bundled set does not hold.
ANI_NIK = compose_nik("317101", date(1990, 5, 17), "P", 9001)
BUDI_NIK = compose_nik("350701", date(1985, 7, 1), "L", 9002)


def request(nik: str, full_name: str, mother_name: str, threshold: int = 90) -> VerificationRequest:
    return VerificationRequest(
        nik=nik,
        full_name=normalize_name(full_name),
        mother_name=normalize_name(mother_name),
        threshold=threshold,
    )


def write(tmp_path: Path, text: str, name: str = "residents.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def good_csv() -> str:
    return (
        f"{HEADER},active\n"
        f"{ANI_NIK},Ani Rahmawati,Siti Khodijah,Jakarta,1990-05-17,P,true\n"
        "\n"
        f'{BUDI_NIK},"H. Budi Santoso, S.E.",Sri Lestari,Malang,01-07-1985,L,false\n'
    )


# --- the bundled set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> tuple[Resident, ...]:
    return bundled_residents()


def test_the_bundled_set_has_at_least_200_residents_with_unique_valid_niks(bundled) -> None:
    assert len(bundled) >= 200
    assert len({r.nik for r in bundled}) == len(bundled)
    for resident in bundled:
        nik = parse_nik(resident.nik)  # strict: the region is a Kemendagri code
        assert nik.region_known
        assert (nik.birth_date, nik.sex) == (resident.birth_date, resident.sex)


def test_the_bundled_set_covers_all_38_provinces(bundled) -> None:
    per_province = Counter(r.nik[:2] for r in bundled)
    provinces = {p.code for p in regions.children()}
    assert len(provinces) == 38
    assert set(per_province) == provinces
    assert min(per_province.values()) >= 3


def test_the_bundled_set_has_the_variety_tests_and_demos_need(bundled) -> None:
    assert {r.sex for r in bundled} == {"L", "P"}
    years = {r.birth_date.year for r in bundled}
    assert min(years) >= 1950
    assert max(years) <= 2007
    assert any((r.birth_date.month, r.birth_date.day) == (7, 1) for r in bundled)
    assert any((r.birth_date.month, r.birth_date.day) == (12, 31) for r in bundled)
    assert sum(not r.active for r in bundled) >= 3
    names = [r.full_name for r in bundled]
    assert any(n.startswith("H. ") for n in names)
    assert any(n.startswith("Hj. ") for n in names)
    assert "H. Ahmad Fauzi" in names
    assert "Hj. Siti Rahmah" in names
    assert any(n.split()[0] in {"M.", "Moh.", "Mochamad", "Muhammad", "Muh."} for n in names)
    for resident in bundled:  # a mother is never recorded under her child's name
        assert normalize_name(resident.mother_name) != normalize_name(resident.full_name)


def test_the_bundled_set_keeps_retired_region_codes(bundled) -> None:
    retired = [r for r in bundled if parse_nik(r.nik).region_retired]
    assert any(r.nik.startswith("910101") for r in retired)  # Merauke, before Papua Selatan
    assert any(r.nik.startswith("9271") for r in retired)  # Kota Sorong, before Papua Barat Daya
    assert len(retired) >= 5


def test_galih_agan_pambayun_is_bundled_in_palmerah(bundled) -> None:
    palmerah = regions.search("pal merah", level="district", within="3173")
    assert [d.code for d in palmerah] == ["317307"]
    galih = [r for r in bundled if r.full_name == "Galih Agan Pambayun"]
    assert len(galih) == 1
    (person,) = galih
    nik = parse_nik(person.nik)
    assert person.nik == GALIH_NIK
    assert nik.district_code == "317307"
    assert nik.regency_name == "Kota Administrasi Jakarta Barat"
    assert person.sex == "L"
    assert person.birth_place == "Jakarta"
    assert 1990 <= person.birth_date.year <= 1999
    assert person.mother_name == "Sri Wahyuni"
    assert person.active


def test_the_bundled_csv_has_the_documented_header() -> None:
    text = (files("siapkerja_adapters") / "data" / "residents.csv").read_text("utf-8")
    assert text.splitlines()[0] == f"{HEADER},active"
    source = (files("siapkerja_adapters") / "data" / "residents.SOURCE.md").read_text("utf-8")
    assert "fictional" in source
    assert "scripts/make_residents.py" in source


def test_the_bundled_csv_is_what_the_generator_script_writes(monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_residents", ROOT / "scripts" / "make_residents.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_residents", module)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script prepends src/
    spec.loader.exec_module(module)
    packaged = (files("siapkerja_adapters") / "data" / "residents.csv").read_text("utf-8")
    assert module.render(module.build()) == packaged


def test_a_default_registry_holds_the_bundled_set(bundled) -> None:
    registry = OfflineRegistry()
    assert len(registry) == len(bundled)
    assert GALIH_NIK in registry
    assert len(OfflineRegistry(include_bundled=False)) == 0


# --- Resident ---------------------------------------------------------------------------------


def test_a_resident_checks_its_fields() -> None:
    good = {
        "nik": GALIH_NIK,
        "full_name": "Galih Agan Pambayun",
        "mother_name": "Sri Wahyuni",
        "birth_place": "Jakarta",
        "birth_date": date(1994, 3, 12),
        "sex": "L",
    }
    Resident(**good)  # type: ignore[arg-type]
    with pytest.raises(InvalidNik):
        Resident(**{**good, "nik": "9999991203940042"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sex"):
        Resident(**{**good, "sex": "X"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="full_name"):
        Resident(**{**good, "full_name": "  "})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Resident(**{**good, "birth_date": "1994-03-12"})  # type: ignore[arg-type]


def test_a_residents_repr_hides_the_mothers_name() -> None:
    registry = OfflineRegistry()
    galih = registry.get(GALIH_NIK)
    assert galih is not None
    assert "Sri Wahyuni" not in repr(galih)
    assert "Sri Wahyuni" not in repr(registry)


# --- CSV loading --------------------------------------------------------------------------------


def test_load_csv_adds_every_row_and_returns_the_count(tmp_path) -> None:
    registry = OfflineRegistry()
    before = len(registry)
    assert registry.load_csv(write(tmp_path, good_csv())) == 2
    assert len(registry) == before + 2
    ani = registry.get(ANI_NIK)
    assert ani is not None
    assert (ani.full_name, ani.birth_date, ani.sex, ani.active) == (
        "Ani Rahmawati",
        date(1990, 5, 17),
        "P",
        True,
    )
    result = registry.verify(request(ANI_NIK, "ani rahmawati", "Siti Khodijah"))
    assert result.status == "found"
    assert result.full_name.matched
    assert result.mother_name.matched


def test_dd_mm_yyyy_birth_dates_are_accepted(tmp_path) -> None:
    registry = OfflineRegistry(include_bundled=False)
    registry.load_csv(write(tmp_path, good_csv()))
    budi = registry.get(BUDI_NIK)
    assert budi is not None
    assert budi.birth_date == date(1985, 7, 1)
    assert budi.full_name == "H. Budi Santoso, S.E."  # stored as written
    assert not budi.active
    assert registry.verify(request(BUDI_NIK, "Budi Santoso", "Sri Lestari")).status == "inactive"


def test_the_active_column_is_optional_and_a_bom_is_accepted(tmp_path) -> None:
    text = f"{HEADER}\n{ANI_NIK},Ani Rahmawati,Siti Khodijah,Jakarta,17-05-1990,p\n"
    residents = read_residents(write(tmp_path, text, bom=True))
    assert [(r.nik, r.sex, r.active) for r in residents] == [(ANI_NIK, "P", True)]


def test_a_nik_with_separators_is_stored_as_16_digits(tmp_path) -> None:
    dotted = f"{ANI_NIK[:6]}.{ANI_NIK[6:12]}.{ANI_NIK[12:]}"
    text = f"{HEADER}\n{dotted},Ani Rahmawati,Siti Khodijah,Jakarta,1990-05-17,P\n"
    assert [r.nik for r in read_residents(write(tmp_path, text))] == [ANI_NIK]


def test_a_later_csv_replaces_a_bundled_resident(tmp_path) -> None:
    registry = OfflineRegistry()
    text = f"{HEADER},active\n{GALIH_NIK},Galih Agan Pambayun,Sri Wahyuni,Jakarta,1994-03-12,L,0\n"
    registry.load_csv(write(tmp_path, text))
    assert len(registry) == len(bundled_residents())
    result = registry.verify(request(GALIH_NIK, "Galih Agan Pambayun", "Sri Wahyuni"))
    assert result.status == "inactive"


@pytest.mark.parametrize(
    "header",
    [
        "nik,nama,mother_name,birth_place,birth_date,sex",
        "full_name,nik,mother_name,birth_place,birth_date,sex",
        "nik,full_name,mother_name,birth_place,birth_date",
        f"{HEADER},active,extra",
        f"{HEADER},status",
        f"{ANI_NIK},Ani Rahmawati,Siti Khodijah,Jakarta,1990-05-17,P",  # no header at all
        "",
    ],
)
def test_a_bad_header_is_refused(tmp_path, header) -> None:
    path = write(
        tmp_path, f"{header}\n{ANI_NIK},Ani Rahmawati,Siti Khodijah,Jakarta,1990-05-17,P\n"
    )
    registry = OfflineRegistry()
    before = len(registry)
    with pytest.raises(ResidentDataError) as caught:
        registry.load_csv(path)
    assert caught.value.full_code == "dukcapil_data.header"
    assert len(registry) == before


def test_an_empty_file_is_refused(tmp_path) -> None:
    with pytest.raises(ResidentDataError) as caught:
        read_residents(write(tmp_path, ""))
    assert caught.value.code == "header"


def bad_row_file(tmp_path: Path, row: str) -> Path:
    # The bad row is on line 3; line 2 is fine.
    return write(
        tmp_path,
        f"{HEADER}\n{ANI_NIK},Ani Rahmawati,Siti Khodijah,Jakarta,1990-05-17,P\n{row}\n",
    )


def test_a_bad_nik_is_refused_with_its_line_number_and_nothing_is_loaded(tmp_path) -> None:
    bad_region = "999999" + BUDI_NIK[6:]
    path = bad_row_file(tmp_path, f"{bad_region},Budi Santoso,Sri Lestari,Malang,1985-07-01,L")
    registry = OfflineRegistry()
    before = len(registry)
    with pytest.raises(ResidentDataError) as caught:
        registry.load_csv(path)
    error = caught.value
    assert error.full_code == "dukcapil_data.row"
    assert (error.params["line"], error.params["column"], error.params["reason"]) == (
        3,
        "nik",
        "nik.region",
    )
    assert "baris 3" in error.message_id
    assert "line 3" in error.message_en
    assert bad_region not in str(error)  # the file's values stay out of messages
    assert len(registry) == before
    assert ANI_NIK not in registry  # the good line 2 was not loaded either


@pytest.mark.parametrize(
    "spelled",
    ["3.17101E+15", "3,17101E+15", "3.173071203940042e15", "3173071203940042.0", "1.0E16"],
)
def test_a_nik_stored_as_a_number_is_refused_never_repaired(tmp_path, spelled) -> None:
    path = bad_row_file(tmp_path, f'"{spelled}",Budi Santoso,Sri Lestari,Malang,1985-07-01,L')
    with pytest.raises(ResidentDataError) as caught:
        read_residents(path)
    assert caught.value.params["reason"] == "nik_number"
    assert caught.value.params["line"] == 3
    assert "spreadsheet" in caught.value.message_en
    assert "spreadsheet" in caught.value.message_id


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (f"{BUDI_NIK[:15]},Budi,Sri,Malang,1985-07-01,L", "nik", "nik.length"),
        (f"{BUDI_NIK[:12]}0000,Budi,Sri,Malang,1985-07-01,L", "nik", "nik.serial"),
        (f"{BUDI_NIK},Budi,Sri,Malang,1985-02-30,L", "birth_date", "birth_date"),
        (f"{BUDI_NIK},Budi,Sri,Malang,01/07/1985,L", "birth_date", "birth_date"),
        (f"{BUDI_NIK},Budi,Sri,Malang,1985-7-1,L", "birth_date", "birth_date"),
        (f"{BUDI_NIK},Budi,Sri,Malang,1985-07-01,M", "sex", "sex"),
        (f"{BUDI_NIK},Budi,Sri,Malang,1985-07-01,L,true", "*", "columns"),
        (f"{BUDI_NIK},Budi,Sri,Malang,1985-07-01", "*", "columns"),
        (f"{BUDI_NIK},,Sri,Malang,1985-07-01,L", "full_name", "empty"),
        (f"{BUDI_NIK},Budi,  ,Malang,1985-07-01,L", "mother_name", "empty"),
        (f"{ANI_NIK},Ani,Siti,Jakarta,1990-05-17,P", "nik", "duplicate"),
    ],
)
def test_a_malformed_row_names_its_line_column_and_reason(tmp_path, row, column, reason) -> None:
    with pytest.raises(ResidentDataError) as caught:
        read_residents(bad_row_file(tmp_path, row))
    error = caught.value
    assert (error.params["line"], error.params["column"], error.params["reason"]) == (
        3,
        column,
        reason,
    )
    assert error.message_id != error.message_en
    assert "3" in str(error)


def test_a_bad_active_value_is_refused(tmp_path) -> None:
    text = f"{HEADER},active\n{ANI_NIK},Ani,Siti,Jakarta,1990-05-17,P,maybe\n"
    with pytest.raises(ResidentDataError) as caught:
        read_residents(write(tmp_path, text))
    assert (caught.value.params["line"], caught.value.params["reason"]) == (2, "active")


def test_line_numbers_count_physical_lines(tmp_path) -> None:
    text = (
        f"{HEADER}\n"
        f'{ANI_NIK},"Ani\nRahmawati",Siti,Jakarta,1990-05-17,P\n'  # a quoted newline: lines 2-3
        "\n"  # line 4
        f"{BUDI_NIK},Budi,Sri,Malang,1985-07-01,X\n"  # line 5
    )
    with pytest.raises(ResidentDataError) as caught:
        read_residents(write(tmp_path, text))
    assert caught.value.params["line"] == 5


def test_an_unreadable_file_is_a_file_error(tmp_path) -> None:
    with pytest.raises(ResidentDataError) as caught:
        read_residents(tmp_path / "missing.csv")
    assert caught.value.full_code == "dukcapil_data.file"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        f"{HEADER}\n{ANI_NIK},Ani Ros\xe9,Siti,Jakarta,1990-05-17,P\n".encode("latin-1")
    )
    with pytest.raises(ResidentDataError) as caught:
        read_residents(latin1)
    assert caught.value.code == "file"


# --- verify details ---------------------------------------------------------------------


def test_unnormalised_request_names_still_match() -> None:
    # The core normalises; the adapter normalising again is harmless.
    registry = OfflineRegistry()
    result = registry.verify(
        VerificationRequest(
            nik=GALIH_NIK,
            full_name="  h. galih  AGAN pambayun, S.Kom.",
            mother_name="hj. sri wahyuni",
            threshold=95,
        )
    )
    assert (result.full_name.score, result.mother_name.score) == (100, 100)


def test_a_malformed_nik_in_a_request_is_not_found() -> None:
    registry = OfflineRegistry()
    for nik in ("", "123", "31730712039400AB"):
        assert registry.verify(request(nik, "Galih", "Sri")).status == "not_found"


def test_get_accepts_any_nik_spelling() -> None:
    registry = OfflineRegistry()
    assert registry.get("3173 0712 0394 0042") == registry.get(GALIH_NIK)
    assert registry.get("not a nik") is None
    assert "not a nik" not in registry
    assert sum(1 for _ in registry) == len(registry)


# --- fail_next ----------------------------------------------------------------------------------


def test_fail_next_makes_the_next_calls_unavailable() -> None:
    registry = OfflineRegistry(daily_quota=10)
    registry.fail_next(2)
    for _ in range(2):
        with pytest.raises(RegistryUnavailable) as caught:
            registry.verify(request(GALIH_NIK, "Galih Agan Pambayun", "Sri Wahyuni"))
        assert caught.value.full_code == "dukcapil.unavailable"
    result = registry.verify(request(GALIH_NIK, "Galih Agan Pambayun", "Sri Wahyuni"))
    assert result.status == "found"
    assert result.quota_remaining == 9  # failed calls used no quota


def test_fail_next_replaces_the_count_and_zero_cancels() -> None:
    registry = OfflineRegistry()
    registry.fail_next(5)
    registry.fail_next(0)
    assert registry.verify(request(GALIH_NIK, "Galih", "Sri")).status == "found"
    registry.fail_next()
    with pytest.raises(RegistryUnavailable):
        registry.verify(request(GALIH_NIK, "Galih", "Sri"))
    with pytest.raises(ValueError):
        registry.fail_next(-1)


# --- quota ------------------------------------------------------------------------------------


def test_the_quota_counts_down_and_runs_out() -> None:
    registry = OfflineRegistry(daily_quota=3)
    assert registry.quota_remaining == 3
    seen = [
        registry.verify(request(GALIH_NIK, "Galih Agan Pambayun", "Sri Wahyuni")).quota_remaining,
        registry.verify(request(ANI_NIK, "Ani", "Siti")).quota_remaining,  # not found counts too
        registry.verify(request(GALIH_NIK, "x", "y")).quota_remaining,
    ]
    assert seen == [2, 1, 0]
    with pytest.raises(RegistryUnavailable) as caught:
        registry.verify(request(GALIH_NIK, "Galih Agan Pambayun", "Sri Wahyuni"))
    assert caught.value.params["reason"] == "quota"
    assert registry.quota_remaining == 0


def test_the_quota_renews_each_day() -> None:
    today = [date(2026, 1, 5)]
    registry = OfflineRegistry(daily_quota=1, today=lambda: today[0])
    registry.verify(request(GALIH_NIK, "Galih", "Sri"))
    with pytest.raises(RegistryUnavailable):
        registry.verify(request(GALIH_NIK, "Galih", "Sri"))
    today[0] += timedelta(days=1)
    assert registry.verify(request(GALIH_NIK, "Galih", "Sri")).quota_remaining == 0


def test_an_unlimited_registry_reports_no_quota() -> None:
    registry = OfflineRegistry()
    assert registry.daily_quota is None
    assert registry.quota_remaining is None
    assert registry.verify(request(GALIH_NIK, "Galih", "Sri")).quota_remaining is None


def test_the_quota_holds_under_concurrent_calls() -> None:
    registry = OfflineRegistry(daily_quota=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            registry.verify(request(GALIH_NIK, "Galih Agan Pambayun", "Sri Wahyuni"))
            outcome = "ok"
        except RegistryUnavailable:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(outcomes) == {"ok": 30, "refused": 20}


@pytest.mark.parametrize("quota", [-1, True])
def test_a_bad_quota_is_refused(quota) -> None:
    with pytest.raises(ValueError):
        OfflineRegistry(daily_quota=quota)


# --- the settings factory ---------------------------------------------------------------


def test_the_factory_without_settings_holds_the_bundled_set() -> None:
    registry = offline_registry_from_settings(resolve_settings("memory"))
    assert len(registry) == len(bundled_residents())
    assert registry.daily_quota is None


def test_the_factory_loads_dukcapil_residents_on_top_of_the_bundled_set(tmp_path) -> None:
    path = write(tmp_path, good_csv())
    settings = resolve_settings("memory", kwargs={"dukcapil_residents": path})
    registry = offline_registry_from_settings(settings)
    assert len(registry) == len(bundled_residents()) + 2
    assert ANI_NIK in registry
    assert GALIH_NIK in registry


def test_a_relative_dukcapil_residents_path_is_relative_to_the_current_directory(
    tmp_path, monkeypatch
) -> None:
    (tmp_path / "data").mkdir()
    write(tmp_path / "data", good_csv(), name="people.csv")
    monkeypatch.chdir(tmp_path)
    settings = resolve_settings(
        "memory", environ={"SIAPKERJA_DUKCAPIL_RESIDENTS": "data/people.csv"}
    )
    assert ANI_NIK in offline_registry_from_settings(settings)


def test_a_missing_dukcapil_residents_file_is_a_configuration_error(tmp_path) -> None:
    settings = resolve_settings("memory", kwargs={"dukcapil_residents": tmp_path / "nope.csv"})
    with pytest.raises(ConfigurationError) as caught:
        offline_registry_from_settings(settings)
    assert caught.value.full_code == "config.invalid"
    assert caught.value.params["name"] == "dukcapil_residents"


def test_a_malformed_dukcapil_residents_file_says_where(tmp_path) -> None:
    path = bad_row_file(tmp_path, f"{BUDI_NIK},Budi,Sri,Malang,1985-07-01,Q")
    settings = resolve_settings("memory", kwargs={"dukcapil_residents": path})
    with pytest.raises(ResidentDataError) as caught:
        offline_registry_from_settings(settings)
    assert caught.value.params["line"] == 3
    assert str(path) in str(caught.value)


def test_the_factory_reads_the_daily_quota(tmp_path) -> None:
    settings = resolve_settings("memory", kwargs={"dukcapil_daily_quota": 5})
    assert offline_registry_from_settings(settings).quota_remaining == 5
    for bad in ("abc", "-3", "1.5"):
        settings = resolve_settings("memory", kwargs={"dukcapil_daily_quota": bad})
        with pytest.raises(ConfigurationError) as caught:
            offline_registry_from_settings(settings)
        assert caught.value.params["name"] == "dukcapil_daily_quota"
