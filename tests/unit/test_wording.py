"""siapkerja_core.wording: waits, moments and sizes as a person reads them (issue 14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_core.errors import LoginError, OtpError, RegistrationError
from siapkerja_core.gates import local_zone
from siapkerja_core.i18n import WIB
from siapkerja_core.wording import (
    WaitKind,
    clock_text,
    describe_wait,
    holder_zone,
    moment_text,
    size_text,
    wait_text,
)

NOW = datetime(2026, 12, 6, 2, 32, 10, tzinfo=UTC)  # 09.32 WIB
WITA = local_zone("7371")
WIT = local_zone("9171")

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
waits = st.floats(min_value=-1e6, max_value=10 * 86400, allow_nan=False)
zones = st.sampled_from([WIB, WITA, WIT])
langs = st.sampled_from(["id", "en"])


@pytest.mark.parametrize(
    ("seconds", "indonesian", "english"),
    [
        (0, "sebentar lagi", "in a moment"),
        (59, "sebentar lagi", "in a moment"),
        (60, "dalam 1 menit", "in 1 minute"),
        (61, "dalam 2 menit", "in 2 minutes"),
        (300, "dalam 5 menit", "in 5 minutes"),
        (3599, "dalam 1 jam", "in 1 hour"),
        (3 * 3600, "dalam 3 jam", "in 3 hours"),
        # 74964 seconds from 09.32 WIB: 06.21.34 the next morning, said as 06.22.
        (74964, "besok pukul 06.22 WIB", "tomorrow at 06:22 WIB"),
        (3 * 86400, "pada 9 Desember 2026 pukul 09.33 WIB", "on 9 December 2026 at 09:33 WIB"),
    ],
)
def test_waits_are_worded_in_minutes_hours_or_a_clock(
    seconds: int, indonesian: str, english: str
) -> None:
    assert wait_text(seconds, now=NOW, lang="id") == indonesian
    assert wait_text(seconds, now=NOW, lang="en") == english


def test_a_wait_ending_tomorrow_is_read_in_the_holders_zone() -> None:
    # 22.30 WIB is 00.30 WIT: five hours are "tomorrow" in Jakarta, later today in Jayapura.
    late = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
    assert wait_text(5 * 3600, now=late, zone=WIB) == "besok pukul 03.30 WIB"
    assert wait_text(5 * 3600, now=late, zone=WIT, lang="en") == "in 5 hours"
    # Rounded up to hours the wait would pass midnight: the clock time instead.
    assert wait_text(5000, now=late, zone=WIB) == "pukul 23.54 WIB"
    assert describe_wait(5000, now=late, zone=WIB).kind is WaitKind.TODAY


def test_a_deadline_may_be_given_as_a_moment() -> None:
    end = NOW + timedelta(minutes=4, seconds=1)
    assert wait_text(end, now=NOW) == "dalam 5 menit"
    assert wait_text(timedelta(hours=2), now=NOW, lang="en") == "in 2 hours"


def _promise(seconds: float, now: datetime, zone: object) -> datetime:
    return describe_wait(seconds, now=now, zone=zone).at  # type: ignore[arg-type]


@given(a=waits, b=waits, now=moments, zone=zones)
def test_a_longer_wait_is_never_promised_sooner(
    a: float, b: float, now: datetime, zone: object
) -> None:
    shorter, longer = sorted((a, b))
    assert _promise(shorter, now, zone) <= _promise(longer, now, zone)


@given(seconds=waits, now=moments, zone=zones)
def test_a_wait_is_never_promised_before_it_ends(
    seconds: float, now: datetime, zone: object
) -> None:
    assert _promise(seconds, now, zone) >= now + timedelta(seconds=max(0.0, seconds))


@given(seconds=waits, now=moments, zone=zones, lang=langs)
def test_a_wait_is_never_negative_nor_zero_nor_seconds(
    seconds: float, now: datetime, zone: object, lang: str
) -> None:
    wait = describe_wait(seconds, now=now, zone=zone)  # type: ignore[arg-type]
    words = wait.text(lang)
    assert wait.count >= (1 if wait.kind in (WaitKind.MINUTES, WaitKind.HOURS) else 0)
    assert not re.search(r"(^|\D)(0|-\d+) (menit|jam|minutes?|hours?)", words)
    assert "detik" not in words
    assert "second" not in words
    assert re.search(r"\d\d[.:]\d\d[.:]\d\d", words) is None  # no seconds on a clock


def test_a_wait_must_be_a_finite_number() -> None:
    with pytest.raises(ValueError, match="finite"):
        describe_wait(float("inf"), now=NOW)


@given(moment=moments, zone=zones, lang=langs)
def test_a_moment_has_no_seconds_and_names_its_zone(
    moment: datetime, zone: object, lang: str
) -> None:
    words = moment_text(moment, lang, zone)  # type: ignore[arg-type]
    assert re.fullmatch(r"\d{1,2} \w+ \d{4}, \d\d[.:]\d\d (WIB|WITA|WIT)", words)
    assert "UTC" not in words


def test_moments_and_clocks_in_each_language() -> None:
    moment = datetime(2026, 12, 6, 9, 32, 45, 123456, tzinfo=UTC)
    assert moment_text(moment, "id") == "6 Desember 2026, 16.32 WIB"
    assert moment_text(moment, "en") == "6 December 2026, 16:32 WIB"
    assert moment_text(moment, "id", WITA) == "6 Desember 2026, 17.32 WITA"
    assert moment_text(moment.replace(tzinfo=None), "id") == "6 Desember 2026, 16.32 WIB"
    assert clock_text(moment, "id") == "09.32"
    assert clock_text(moment, "en") == "09:32"


def test_the_holders_zone_is_the_domicile_then_the_ktp_then_the_nik() -> None:
    assert holder_zone("9171010001", "3171010001", "3173071203940042") is WIT
    assert holder_zone(None, "7371010001", "3173071203940042") is WITA
    assert holder_zone(None, None, "9171071203940042") is WIT
    assert holder_zone("", "", "") is WIB
    assert holder_zone() is WIB


def test_sizes_read_as_people_say_them() -> None:
    assert size_text(2 * 1024 * 1024) == "2 MB"
    assert size_text(1536 * 1024, "id") == "1,5 MB"
    assert size_text(1536 * 1024, "en") == "1.5 MB"
    assert size_text(300 * 1024) == "300 KB"
    assert size_text(99) == "99 byte"


def test_error_messages_word_their_wait_and_keep_the_seconds_as_a_param() -> None:
    error = OtpError("send_limit", retry_after=74964)
    assert error.params["retry_after"] == 74964
    assert error.message("id", now=NOW) == (
        "Batas pengiriman kode tercapai. Coba lagi besok pukul 06.22 WIB."
    )
    assert error.message("en", now=NOW, zone=WIT) == (
        "The sending limit is reached. Try again tomorrow at 08:22 WIT."
    )
    throttled = LoginError("throttled", retry_after=290).message("id", now=NOW)
    assert throttled.startswith("Terlalu banyak percobaan masuk. Coba lagi dalam 5 menit,")
    locked = RegistrationError("verification_locked", retry_after=40).message("en", now=NOW)
    assert locked == "Too many verification attempts for this NIK. Try again in a moment."
    # A plug-in's daily limit without its own wait still reads.
    assert OtpError("daily_limit").message("id").endswith("Coba lagi nanti.")
    for code in ("cooldown", "send_limit", "daily_limit"):
        for lang in ("id", "en"):
            text = OtpError(code, retry_after=74964).message(lang, now=NOW)
            assert "74964" not in text
            assert "detik" not in text
            assert "seconds" not in text
