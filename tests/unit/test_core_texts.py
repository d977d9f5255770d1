"""The core's labels, requirement names, month names and card texts come from the catalogues."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from siapkerja_core import translations
from siapkerja_core.completeness import PHOTO, RULE_SETS, MissingItem, ProfileIncomplete
from siapkerja_core.i18n import month_name
from siapkerja_core.profile import (
    EducationLevel,
    LanguageLevel,
    MaritalStatus,
    ProfileError,
    Religion,
    Section,
    Sex,
    Stakeholder,
    YearMonth,
)
from siapkerja_core.render.card import Card, format_tanggal

ENUMS = (EducationLevel, LanguageLevel, MaritalStatus, Religion, Section, Sex, Stakeholder)


def _compile(directory: Path, lang: str, messages: dict[str, str]) -> None:
    catalog = Catalog(locale=lang, domain="siapkerja")
    for key, value in messages.items():
        catalog.add(key, value)
    target = directory / lang / "LC_MESSAGES" / "siapkerja.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        write_mo(handle, catalog)


@pytest.fixture
def deployer(tmp_path: Path) -> Iterator[Path]:
    """A deployer's catalogue directory, switched on process-wide for the test."""
    yield tmp_path
    translations.use_directories([])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_label_and_requirement_is_in_the_catalogues(lang: str) -> None:
    keys = [member.label_key for enum in ENUMS for member in enum]
    keys += [f"requirement.{key}" for rules in RULE_SETS.values() for key in rules.keys]
    keys += [f"month.{n}" for n in range(1, 13)]
    missing = [key for key in keys if translations.text(key, lang) == key]
    assert missing == []


def test_labels_follow_the_language_rule() -> None:
    assert MaritalStatus.BELUM_MENIKAH.label("en-US") == "Not married"
    assert MaritalStatus.BELUM_MENIKAH.label("fr") == "Belum Menikah"
    assert Section.WORK.label_id == "Pengalaman kerja"
    assert PHOTO.label_id == "Foto"
    assert PHOTO.label("EN") == "Photo"
    assert YearMonth(2021, 6).label("en-GB") == "June 2021"


def test_a_deployer_catalogue_rewords_labels_requirements_and_months(deployer: Path) -> None:
    _compile(
        deployer,
        "id",
        {
            "label.marital_status.belum_menikah": "Lajang",
            "requirement.photo": "Pasfoto",
            "month.6": "Juni (VI)",
            "render.card.issued": "Terbit",
        },
    )
    translations.use_directories([deployer])
    assert MaritalStatus.BELUM_MENIKAH.label() == "Lajang"
    assert MaritalStatus.BELUM_MENIKAH.label_id == "Lajang"
    assert MaritalStatus.BELUM_MENIKAH.label_en == "Not married"  # English left as packaged
    assert PHOTO.label_id == "Pasfoto"
    assert MissingItem(key="photo").label("id") == "Pasfoto"
    assert "Pasfoto" in ProfileIncomplete(missing=["photo"]).message_id
    assert month_name(6) == "Juni (VI)"
    assert YearMonth(2021, 6).label() == "Juni (VI) 2021"
    assert format_tanggal(date(2026, 6, 1)) == "1 Juni (VI) 2026"
    card = Card(siapkerja_id="SK-1", holder_name="Galih", issued_at=date(2026, 6, 1), qr_text="x")
    assert "Terbit" in card.to_terminal(cache=None)
    assert "Terbit" in card.to_svg()


def test_a_deployer_catalogue_rewords_validation_reasons(deployer: Path) -> None:
    _compile(deployer, "en", {"reason.year_month_format": "use YYYY-MM, like 2021-06"})
    translations.use_directories([deployer])
    with pytest.raises(ProfileError) as caught:
        YearMonth.parse("June 2021")
    assert "use YYYY-MM, like 2021-06" in caught.value.message_en
    assert "TTTT-BB" in caught.value.message_id  # Indonesian left as packaged


def test_a_third_language_falls_back_to_indonesian_key_by_key(deployer: Path) -> None:
    _compile(
        deployer,
        "jv",
        {
            "label.sex.l": "Lanang",
            "requirement.photo": "Gambar",
            "month.1": "Januari (jv)",
        },
    )
    translations.use_directories([deployer])
    assert Sex.L.label("jv") == "Lanang"
    assert Sex.P.label("jv") == "Perempuan"  # not in the Javanese catalogue: Indonesian
    assert PHOTO.label("jv") == "Gambar"
    assert MissingItem(key="sex").label("jv") == "Jenis kelamin"
    assert month_name(1, "jv") == "Januari (jv)"
    assert month_name(2, "jv") == "Februari"


def test_a_custom_requirement_keeps_its_own_labels() -> None:
    item = MissingItem(key="certificate", label_id="Sertifikat", label_en="Certificate")
    assert (item.label("id"), item.label("en"), item.label("jv")) == (
        "Sertifikat",
        "Certificate",
        "Sertifikat",
    )
    assert MissingItem(key="unknown").label("en") == "unknown"


def test_the_sms_texts_keep_their_indonesian_wording() -> None:
    from siapkerja_core.services.otp import SMS_LANGUAGE

    assert SMS_LANGUAGE == "id"
    purpose = translations.text("sms.purpose.registration", SMS_LANGUAGE)
    sms = translations.text(
        "sms.code", SMS_LANGUAGE, service="SIAPkerja", purpose=purpose, code="123456", minutes=5
    )
    assert sms == (
        "SIAPkerja: kode OTP pendaftaran akun Anda 123456, berlaku 5 menit. "
        "JANGAN BERIKAN kode ini kepada siapa pun, termasuk petugas."
    )
    notice = translations.text("sms.notice", SMS_LANGUAGE, service="SIAPkerja")
    assert "Kendala Masuk ke Akun?" in notice
