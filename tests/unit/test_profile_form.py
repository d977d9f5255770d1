"""The profile forms' readers: months as people type them, the error paths' fields, fingerprints,
and refusals worded by field label and entry number (no document path shown to a person)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_adapters.web.pages.forms import month_or_raw, profile_field
from siapkerja_adapters.web.pages.profile_form import (
    ENTRY_SECTIONS,
    fingerprint,
    skills_error,
    worded_entry_error,
)
from siapkerja_core.converter import merge_profile
from siapkerja_core.i18n import month_name
from siapkerja_core.profile import Certificate, Profile, ProfileError, YearMonth
from siapkerja_core.profile.dates import MAX_YEAR, MIN_YEAR

months = st.builds(
    YearMonth, st.integers(min_value=MIN_YEAR, max_value=MAX_YEAR), st.integers(1, 12)
)


@given(months, st.sampled_from(["id", "en"]), st.booleans())
def test_every_spelling_of_a_month_is_read_as_the_core_reads_it(
    month: YearMonth, lang: str, short: bool
) -> None:
    name = month_name(month.month, lang)
    spellings = [
        str(month),
        f"{month.month:02d}/{month.year}",
        f"{month.month}/{month.year}",
        f"{month.month}-{month.year}",
        f" {month.month:02d} / {month.year} ",
        f"{name[:3] if short else name} {month.year}",
        f"{name.upper()} {month.year}",
        month.label(lang),
    ]
    for spelling in spellings:
        assert YearMonth.parse(month_or_raw(spelling)) == month, spelling


@given(st.text(max_size=30))
def test_anything_else_goes_to_the_core_as_typed(text: str) -> None:
    read = month_or_raw(text)
    if read != text.strip():
        # Only a month and a year are rewritten, and always into the core's own form.
        assert len(read) == 7
        assert read[4] == "-"


@pytest.mark.parametrize("typed", ["Marathon 2021", "Ju 2021", "13 2021", "2021", "Juni"])
def test_what_is_not_a_month_is_left_alone(typed: str) -> None:
    assert month_or_raw(typed) == typed


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("education[1].gpa", "edu_gpa"),
        ("work[0].start", "work_start"),
        ("certificates[2].valid_until", "cert_valid_until"),
        ("achievements[0].date", "ach_date"),
        ("languages[1]", "lang_name"),
        ("achievements", "ach_title"),
        ("skills[3]", "skills"),
        ("$", None),
    ],
)
def test_an_error_path_names_its_entry_forms_field(path: str, field: str | None) -> None:
    assert profile_field(path) == field


def test_a_fingerprint_changes_with_the_entry_and_only_with_it() -> None:
    one = Certificate(name="TOEFL", issuer="ETS", valid_from="2017-01", score="550")
    same = Certificate(name="TOEFL", issuer="ETS", valid_from=YearMonth(2017, 1), score=550)
    other = Certificate(name="TOEFL", issuer="ETS", valid_from="2017-01", score="551")
    assert fingerprint(one) == fingerprint(same)
    assert fingerprint(one) != fingerprint(other)


def refusal(changes: dict[str, object]) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        merge_profile(Profile(full_name="Galih Agan Pambayun"), changes)
    return caught.value


def test_a_refusal_is_worded_by_label_and_entry_in_both_languages() -> None:
    school = {"institution": "BINUS University", "level": "S1", "start_year": 2016}
    error = refusal({"education": [school, {**school, "end_year": 2018, "gpa": 4.5}]})
    worded = worded_entry_error(error, ENTRY_SECTIONS["education"])
    assert worded.message("id").startswith("IPK (Pendidikan 2): ")
    assert worded.message("en").startswith("GPA (Education 2): ")
    assert "education[" not in worded.message("id") + worded.message("en")
    assert profile_field(worded.field) == "edu_gpa"  # still tied to its input
    assert worded.full_code == "profile.entry_field"


def test_every_problem_is_worded_and_an_end_before_its_start_says_the_month() -> None:
    jobs = [
        {"title": "Dev", "company": "X", "start": "2021-06", "end": "2020-01"},
        {"title": "", "company": "Y", "start": "2019-01", "end": "2019-02"},
    ]
    worded = worded_entry_error(refusal({"work": jobs}), ENTRY_SECTIONS["work"])
    messages = [problem.message("id") for problem in worded.errors]
    assert "Bulan selesai (Pengalaman kerja 1): tidak boleh sebelum Juni 2021." in messages
    assert any(m.startswith("Jabatan (Pengalaman kerja 2): ") for m in messages)


def test_too_many_entries_and_a_skill_too_long_are_worded() -> None:
    language = {"name": "x", "level": "dasar"}
    many = [{**language, "name": f"Bahasa {n}"} for n in range(21)]
    worded = worded_entry_error(refusal({"languages": many}), ENTRY_SECTIONS["languages"])
    assert worded.message("id").startswith("Bahasa: paling banyak 20 entri.")
    assert worded.message("en").startswith("Languages: at most 20 entries.")
    skills = skills_error(refusal({"skills": ["PHP", "x" * 61]}))
    assert skills.message("id").startswith("Keahlian (ke-2): ")
    assert skills.message("en").startswith("Skill (no. 2): ")
