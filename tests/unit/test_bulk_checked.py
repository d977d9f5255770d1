"""The import's field-by-field section checks (``siapkerja_adapters.bulk.checked``) and the
other shortcuts of this round: they must answer as the slow paths they skip.

* :class:`SectionChecks` against ``converter.structure`` (and ``attrs.evolve``), on
  valid and invalid input, values remembered or not;
* a whole import of a generated register — every column filled, with bad rows of
  every kind — with the checks and without them: the same rows accepted, the same
  refusals (code, line, column), the same stored profiles;
* the phone rule against ``phonenumbers.number_type``;
* the SQLite look-ups of a batch at every statement size.
"""

from __future__ import annotations

import base64
import csv
import io
import random
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_adapters import connect
from siapkerja_adapters.bulk import AKL_COLUMNS, akl_import, import_akl
from siapkerja_adapters.bulk.batch import _is_mobile, validate_sections
from siapkerja_adapters.bulk.checked import NotChecked, RecordCheck, SectionChecks
from siapkerja_core import compose_nik, regions
from siapkerja_core.converter import converter, merge_profile
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.profile import Address, Biodata, Education, Photo, Profile, Skill

VILLAGE = "3173071001"


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), (20, 80, 150)).save(buffer, "PNG")
    return buffer.getvalue()


def structured(value: Any, cl: Any) -> tuple[str, Any]:
    try:
        return "ok", converter.structure(value, cl)
    except Exception as error:
        return "refused", type(error).__name__


def checked(check: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", check(value)
    except NotChecked:
        return "refused", "NotChecked"
    except Exception as error:
        return "refused", type(error).__name__


RECORDS: list[tuple[type, dict[str, Any]]] = [
    (Address, {"village_code": VILLAGE}),
    (Address, {"village_code": "31.73.07.1001", "street": "  Jl.  Anggrek ", "rt": "7"}),
    (Address, {"village_code": VILLAGE, "rt": "007", "rw": "12", "postal_code": "11480"}),
    (Address, {"village_code": VILLAGE, "rt": 7}),  # an int is not text: refused
    (Address, {"village_code": VILLAGE, "rt": "0"}),
    (Address, {"village_code": VILLAGE, "rt": "abcd"}),
    (Address, {"village_code": "3173079999"}),
    (Address, {"village_code": "31730"}),
    (Address, {"village_code": VILLAGE, "street": "x" * 500}),
    (Address, {"village_code": VILLAGE, "street": "Jl.\x01Anggrek"}),
    (Address, {"village_code": VILLAGE, "postal_code": "01480"}),
    (Address, {"village_code": VILLAGE, "floor": "2"}),  # unknown key
    (Address, {"street": "Jl. Anggrek"}),  # required key missing
    (Address, {"village_code": None}),
    (Biodata, {"birth_place": "Jakarta", "birth_date": "1990-02-01", "sex": "L"}),
    (Biodata, {"marital_status": "menikah", "religion": "islam", "headline": " Staf "}),
    (Biodata, {"birth_date": "1990-02-30"}),
    (Biodata, {"birth_date": "1800-01-01"}),
    (Biodata, {"sex": "X"}),
    (Biodata, {"religion": "Islam"}),
    (Biodata, {"headline": ""}),
    (Biodata, {"birth_place": 12}),
    (Biodata, {"sex": "P", "occupation": None, "employment_status": None}),
    (
        Education,
        {"institution": "UI", "level": "S1", "start_year": 2010, "end_year": 2014, "gpa": 3.5},
    ),
    (Education, {"institution": "UI", "level": "S1", "start_year": 2010, "end_year": 2014}),
    (Education, {"institution": "UI", "level": "S1", "start_year": 2010}),
    (Education, {"institution": "SMA 1", "level": "SMA", "start_year": 2010, "end_year": 2013}),
    (
        Education,
        {"institution": "UI", "level": "S1", "start_year": 2014, "end_year": 2010, "gpa": 3.0},
    ),
    (Education, {"institution": "UI", "level": "S1", "start_year": 2010, "gpa": 4.5}),
    (Education, {"institution": "UI", "level": "S1", "start_year": 2010, "gpa": 3}),
    (Education, {"institution": "UI", "level": "S1", "start_year": 2010, "gpa": True}),
    (Education, {"institution": "UI", "level": "S1", "start_year": True}),
    (Education, {"institution": "UI", "level": "S1", "start_year": 2010.0}),
    (Education, {"institution": "UI", "level": "S9", "start_year": 2010}),
    (Education, {"institution": "", "level": "S1", "start_year": 2010}),
    (Skill, {"name": "PHP"}),
    (Skill, {"name": " Microsoft  Excel "}),
    (Skill, {"name": ""}),
    (Skill, {"name": "PHP", "esco_uri": "http://data.europa.eu/esco/skill/x"}),
    (Photo, {"content": png()}),
    (Photo, {"content": png(), "media_type": "image/jpeg"}),
    (Photo, {"content": b"not an image at all" * 10}),
    (Photo, {"content": base64.b64encode(png()).decode()}),
]


@pytest.mark.parametrize(("cl", "value"), RECORDS)
def test_a_record_check_answers_as_structure(cl: type, value: dict[str, Any]) -> None:
    check = RecordCheck(cl)
    expected = structured(value, cl)
    assert checked(check, value)[0] == expected[0]
    if expected[0] == "ok":
        assert checked(check, value) == expected  # remembered: the same again
        assert check(value) == expected[1]


# Each field's inputs: valid ones, refused ones, other types, and "not given" (absent).
_ABSENT = object()
_FIELD_INPUTS: dict[type, dict[str, list[Any]]] = {
    Address: {
        "village_code": [VILLAGE, "31.73.07.1001", "3173079999", "31730", None, 3173071001],
        "street": [_ABSENT, "Jl. Anggrek", "  Jl.  Anggrek ", "", "x" * 300, None, 7],
        "rt": [_ABSENT, "7", "007", "0", "abcd", 7, None],
        "rw": [_ABSENT, "12", "1", "", None],
        "postal_code": [_ABSENT, "11480", "01480", "1148", None],
    },
    Education: {
        "institution": ["UI", " Universitas  Indonesia ", "", None, 5],
        "level": ["S1", "SMA", "D3", "S9", "s1", None],
        "major": [_ABSENT, "Akuntansi", "", None],
        "start_year": [2010, 2014, 1800, 2010.0, True, "2010"],
        "end_year": [_ABSENT, None, 2014, 2009, 2200, "2014"],
        "gpa": [_ABSENT, None, 3.5, 3, "3,25", 4.5, True, float("nan"), "x"],
    },
    Biodata: {
        "birth_place": [_ABSENT, "Jakarta", "", None, 12],
        "birth_date": [_ABSENT, "1990-02-01", "1990-02-30", "1800-01-01", None],
        "sex": [_ABSENT, "L", "P", "X", None],
        "religion": [_ABSENT, "islam", "Islam", None],
        "headline": [_ABSENT, " Staf ", "", None],
        "occupation": [_ABSENT, None],
    },
}


@st.composite
def _record_input(draw: st.DrawFn) -> tuple[type, dict[str, Any]]:
    cl = draw(st.sampled_from(list(_FIELD_INPUTS)))
    value: dict[str, Any] = {}
    for name, inputs in _FIELD_INPUTS[cl].items():
        chosen = draw(st.sampled_from(inputs))
        if chosen is not _ABSENT:
            value[name] = chosen
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        value["unknown"] = "x"  # a key the class does not have
    return cl, value


_CHECKS = {cl: RecordCheck(cl) for cl in _FIELD_INPUTS}
"""One per class for the whole run, as an import keeps them: what earlier examples
remembered must not change a later answer."""


@settings(max_examples=400, deadline=None)
@given(_record_input())
def test_a_record_check_answers_as_structure_on_generated_input(
    case: tuple[type, dict[str, Any]],
) -> None:
    cl, value = case
    expected = structured(value, cl)
    answer = checked(_CHECKS[cl], value)
    assert answer[0] == expected[0]  # a refusal of either kind: the slow way decides
    if expected[0] == "ok":
        assert answer == expected
        assert attrs.asdict(answer[1]) == attrs.asdict(expected[1])


def test_remembered_values_are_kept_apart_by_type_and_never_for_refusals() -> None:
    check = RecordCheck(Address)
    assert check({"village_code": VILLAGE, "rt": "7"}).rt == "007"
    with pytest.raises(Exception):  # noqa: B017 - the slow way names it
        check({"village_code": VILLAGE, "rt": 7})  # 7 == "7"? no: an int is refused
    education = RecordCheck(Education)
    base = {"institution": "UI", "level": "S1", "start_year": 2010}
    assert education({**base, "gpa": 1}).gpa == 1.0
    with pytest.raises(Exception):  # noqa: B017
        education({**base, "gpa": True})  # True == 1, but not a GPA
    for _ in range(2):  # a refusal is not remembered: refused again
        with pytest.raises(Exception):  # noqa: B017
            check({"village_code": "3173079999"})


def test_a_skill_is_checked_by_remembered_values_only() -> None:
    """A skill's validators look at no instance: each distinct name and ESCO URI is
    checked once, nothing again per skill (its ESCO check ran on every skill)."""
    check = RecordCheck(Skill)
    assert check.late == []
    uri = "http://data.europa.eu/esco/skill/" + "0" * 8 + "-1111-2222-3333-" + "4" * 12
    assert check({"name": "PHP", "esco_uri": uri}) == Skill(name="PHP", esco_uri=uri)
    assert check({"name": "PHP"}) == Skill(name="PHP")
    with pytest.raises(Exception):  # noqa: B017 - the slow way names it
        check({"name": "PHP", "esco_uri": "http://example.com/skill"})


def test_every_section_an_import_fills_is_checked_and_put_together_as_evolve() -> None:
    checks = SectionChecks()
    scratch = attrs.evolve(Profile(full_name="AK/I"), biodata=Biodata(sex="P"))
    sections = {
        "biodata": {**converter.unstructure(scratch.biodata), "birth_place": "Bandung"},
        "ktp_address": {"village_code": VILLAGE, "street": "Jl. Anggrek"},
        "domicile_address": None,
        "education": [{"institution": "ITB", "level": "S1", "start_year": 2010}],
        "skills": ["PHP", {"name": "Linux"}],
        "photo": {"content": png()},
    }
    made = {name: checks.section(name, value) for name, value in sections.items()}
    types = {field.name: field.type for field in attrs.fields(Profile)}
    assert made == {name: converter.structure(v, types[name]) for name, v in sections.items()}
    assert checks.profile(scratch, made) == attrs.evolve(scratch, **made)
    with pytest.raises(NotChecked):
        checks.section("languages", [])
    with pytest.raises(Exception):  # noqa: B017 - two skills of one name
        checks.profile(scratch, {"skills": (Skill(name="PHP"), Skill(name="php"))})


def test_validate_sections_with_checks_answers_as_merge_profile() -> None:
    checks = SectionChecks()
    scratch = attrs.evolve(Profile(full_name="AK/I"), biodata=Biodata(sex="L"))
    cases: list[dict[str, Any]] = [
        {"biodata": {"birth_place": "Jakarta", "religion": "islam"}},
        {"ktp_address": {"village_code": "3173079999"}},
        {"skills": [{"name": "PHP"}, {"name": "php"}]},
        {"education": [{"institution": "UI", "level": "S1", "start_year": 2010, "end_year": 2014}]},
        {"photo": {"content": b"x" * 200}},
        {"biodata": {"sex": "P"}, "domicile_address": {"village_code": VILLAGE, "rt": "3"}},
    ]
    for sections in cases:
        try:
            expected: Any = merge_profile(scratch, sections)
        except Exception as error:
            expected = (type(error).__name__, getattr(error, "full_code", None))
        try:
            got: Any = validate_sections(sections, scratch, checks)
        except Exception as error:
            got = (type(error).__name__, getattr(error, "full_code", None))
        assert got == expected


# --------------------------------------------------------------------------
# A whole generated register, with and without the checks
# --------------------------------------------------------------------------

_BAD_CELLS: list[dict[str, str]] = [
    {"ktp_village_code": "3173079999"},
    {"ktp_rt": "0"},
    {"domicile_rw": "abcd"},
    {"education_gpa": "5"},
    {"education_gpa": ""},  # a finished S1 without its GPA
    {"education_end_year": "1980"},
    {"birth_date": "31-02-1990"},
    {"sex": "X"},
    {"religion": "Jedi"},
    {"phone": "0211234567"},
    {"email": "no-at-sign"},
    {"full_name": ""},
    {"skills": "PHP;php"},
    {"ktp_street": "x" * 300},
    {"domicile_street": "Jl.\x01Anggrek"},
    {"photo": "data:image/png;base64,not*base64"},
    {"ktp_postal_code": "01480"},
    {"education_level": "S9"},
]


def _register(path: Path, rows: int) -> Path:
    districts = sorted(regions.district_codes(include_retired=False))
    villages = [village.code for village in regions.children("317307")]
    photo = "data:image/png;base64," + base64.b64encode(png()).decode()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(AKL_COLUMNS)
        for k in range(rows):
            born = date(1970 + k % 35, 1 + k % 12, 1 + k % 28)
            sex = "L" if k % 2 else "P"
            village = villages[k % len(villages)]
            cells = {
                "nik": compose_nik(districts[k // 9999], born, sex, k % 9999 + 1),
                "full_name": f"Peserta {k:05d}",
                "email": f"p{k}@example.com",
                "phone": f"0813{k:08d}" if k % 3 else f"+62 852-{k:08d}",
                "birth_place": ("Jakarta", "Bandung", "Surabaya")[k % 3],
                "birth_date": born.isoformat() if k % 2 else born.strftime("%d-%m-%Y"),
                "sex": sex,
                "marital_status": ("Belum Kawin", "Kawin", "Cerai Hidup")[k % 3],
                "religion": ("Islam", "Kristen", "Katolik", "Hindu", "Buddha")[k % 5],
                "ktp_village_code": village,
                "ktp_street": f"Jl. Palmerah Barat No. {k % 200 + 1}",
                "ktp_rt": str(k % 20 + 1),
                "ktp_rw": str(k % 9 + 1),
                "ktp_postal_code": "11480",
                "domicile_village_code": village,
                "domicile_street": f"Jl. Anggrek No. {k % 150 + 1}",
                "domicile_rt": "" if k % 4 else "3",
                "education_level": ("S1", "SMA", "D3")[k % 3],
                "education_institution": ("UI", "ITB", "UGM")[k % 3],
                "education_major": ("Akuntansi", "Informatika", "")[k % 3],
                "education_gpa": f"{2 + k % 200 / 100:.2f}",
                "education_start_year": str(1990 + k % 25),
                "education_end_year": "" if k % 7 == 0 else str(1994 + k % 25),
                "skills": "Microsoft Excel;Akuntansi" if k % 2 else "PHP;Linux",
                "headline": "Staf Akuntansi" if k % 2 else "Backend Developer",
                "photo": photo if k % 2 else "",
            }
            if k % 5 == 4:  # every fifth row bad, each kind in turn
                cells |= _BAD_CELLS[(k // 5) % len(_BAD_CELLS)]
            writer.writerow([cells.get(column, "") for column in AKL_COLUMNS])
        first = compose_nik(districts[0], date(1970, 1, 1), "P", 1)
        repeated = {"nik": first, "full_name": "Dup", "email": "d@example.com"}
        repeated["phone"] = "081300000001"  # an earlier NIK
        writer.writerow([repeated.get(column, "") for column in AKL_COLUMNS])
    return path


def _stored(svc: Any, path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8", newline="") as handle:
        niks = [row[0] for row in list(csv.reader(handle))[1:]]
    stored: dict[str, Any] = {}
    with svc.storage.transaction() as tx:
        for nik in niks:
            account = tx.accounts.find(nik=nik)
            if account is not None:
                stored[nik] = converter.unstructure(tx.profiles.get(account.id))
    return stored


@pytest.mark.parametrize("storage", ["memory", "sql"])
def test_an_import_with_and_without_the_checks_gives_the_same_outcome(
    storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _register(tmp_path / "register.csv", 360)
    outcomes = []
    for kind in ("fast", "slow"):
        if kind == "slow":
            monkeypatch.setattr(akl_import, "SectionChecks", lambda: None)
        options: dict[str, Any] = {"storage": storage}
        if storage == "sql":
            options["database_url"] = f"sqlite:///{tmp_path / f'{kind}.sqlite3'}"
        svc = connect(environ={}, hasher=PasswordHasher.fast_for_tests(), **options)
        try:
            report = import_akl(svc, path, batch_size=64)
            again = import_akl(svc, path, batch_size=64)
            outcomes.append(
                (
                    (report.created, report.updated, report.unchanged),
                    [(bad.line, bad.code, bad.column) for bad in report.bad_rows],
                    (again.created, again.updated, again.unchanged),
                    _stored(svc, path),
                )
            )
        finally:
            if storage == "sql":
                svc.storage.dispose()
    fast, slow = outcomes
    assert fast == slow
    counts, refused, rerun, _ = fast
    assert counts[0] + len(refused) == 361
    assert rerun == (0, 0, counts[0])
    assert len(refused) >= 60  # most of every fifth row, and the repeated NIK
    kinds = {(code, column) for _line, code, column in refused}
    assert len(kinds) >= 15, kinds


# --------------------------------------------------------------------------
# Phone numbers; the SQLite look-ups
# --------------------------------------------------------------------------


def test_the_mobile_rule_answers_as_number_type() -> None:
    mobile = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    numbers = random.Random(15)
    for _ in range(20_000):
        national = "8" + "".join(
            numbers.choice("0123456789") for _ in range(numbers.randint(6, 13))
        )
        number = phonenumbers.PhoneNumber(country_code=62, national_number=int(national))
        assert _is_mobile(national) == (phonenumbers.number_type(number) in mobile), national


@pytest.mark.parametrize("count", [1, 8, 9, 64, 65, 600, 2000, 2001, 4500])
def test_the_sqlite_look_ups_find_the_stored_accounts_at_every_size(
    count: int, tmp_path: Path
) -> None:
    svc = connect(
        environ={},
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'find.sqlite3'}",
        hasher=PasswordHasher.fast_for_tests(),
    )
    try:
        path = _register(tmp_path / "r.csv", 30)
        import_akl(svc, path)
        storage = svc.storage
        with storage.transaction() as tx:
            stored = {a.nik: a for a in (tx.accounts.find(nik=n) for n in _niks(path)) if a}
        some = sorted(stored)[: min(count, len(stored)) // 2 + 1]
        niks = [*some, *[f"99{k:014d}" for k in range(count - len(some))]]
        emails = [stored[some[-1]].email, *[f"none{k}@example.com" for k in range(count - 1)]]
        phones = [f"+62813{k:08d}9" for k in range(count - 1)] + [stored[some[0]].phone]
        with storage.transaction() as tx:
            found = storage.bulk_find_accounts(tx, niks=niks, emails=emails, phones=phones)
        assert sorted(a.nik for a in found) == sorted(set(some))
        assert all(found_one == stored[found_one.nik] for found_one in found)
    finally:
        svc.storage.dispose()


def _niks(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[0] for row in list(csv.reader(handle))[1:]]


def test_a_register_of_account_columns_only_skips_the_sections_and_stores_no_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "accounts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(AKL_COLUMNS[:4])
        writer.writerow([compose_nik("317307", date(1990, 1, 2), "L", 7), "Budi", "b@x.com", ""])
        writer.writerow([compose_nik("317307", date(1990, 1, 2), "L", 8), "Budi", "b@x.com", "x"])
        writer.writerow([compose_nik("317307", date(1990, 1, 3), "P", 9), "Sri", "s@x.com", "0813"])
        writer.writerow(
            [compose_nik("317307", date(1991, 1, 3), "P", 9), "Sri", "t@x.com", "0813111122"]
        )
    read: list[Any] = []
    real = akl_import._sections
    monkeypatch.setattr(akl_import, "_sections", lambda *a: read.append(a) or real(*a))
    svc = connect(environ={}, storage="memory", hasher=PasswordHasher.fast_for_tests())
    report = import_akl(svc, path)
    assert read == []  # no profile column: no row's cells are read into sections
    assert report.created == 1
    assert [(bad.line, bad.code) for bad in report.bad_rows] == [
        (2, "bulk.empty"),
        (3, "phone.format"),
        (4, "phone.too_short"),
    ]
    with svc.storage.transaction() as tx:
        account = tx.accounts.find(email="t@x.com")
        assert account is not None
        assert tx.profiles.get(account.id) is None


def test_an_import_spaces_young_collections_and_puts_the_setting_back(
    tmp_path: Path,
) -> None:
    import gc

    path = _register(tmp_path / "register.csv", 40)
    svc = connect(environ={}, storage="memory", hasher=PasswordHasher.fast_for_tests())
    before = gc.get_threshold()
    during: list[tuple[int, ...]] = []
    try:
        report = import_akl(
            svc, path, batch_size=8, progress=lambda _: during.append(gc.get_threshold())
        )
        assert report.created > 0
        assert during
        assert all(seen == (akl_import.YOUNG_COLLECTION_THRESHOLD, *before[1:]) for seen in during)
        assert gc.get_threshold() == before
        # Changed by someone else meanwhile: theirs is kept, not overwritten on the way out.
        import_akl(svc, path, progress=lambda _: gc.set_threshold(1234, *before[1:]))
        assert gc.get_threshold() == (1234, *before[1:])
    finally:
        gc.set_threshold(*before)


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=40))
def test_digits_alone_never_look_like_a_spreadsheet_number(text: str) -> None:
    # The import skips NUMERIC_NIK for a NIK of digits alone (Unicode digits too).
    from siapkerja_adapters.residents import NUMERIC_NIK

    assert text.isdigit()
    assert NUMERIC_NIK.fullmatch(text) is None
