"""The profile's personal sections: biodata, contact, and the KTP and domicile addresses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Final

import attrs
from attrs import field, frozen

from siapkerja_core import regions
from siapkerja_core.contact import (
    InvalidEmail,
    InvalidPhone,
    mask_email,
    mask_phone,
    normalize_email,
    normalize_phone,
)
from siapkerja_core.profile.codes import OccupationCode
from siapkerja_core.profile.dates import MIN_YEAR
from siapkerja_core.profile.enums import EmploymentStatus, MaritalStatus, Religion, Sex
from siapkerja_core.profile.errors import ProfileError, _invalid, _invalid_because, _Reason
from siapkerja_core.profile.fields import (
    _checked_by,
    _clean_optional_line,
    _enum_field,
    _instance_of,
    _lenient,
    _text,
    _to_employment_status,
    _to_marital_status,
    _to_religion,
    _to_sex,
    _Validator,
)
from siapkerja_core.profile.lengths import (
    MAX_LINE_LENGTH,
    MAX_STREET_LENGTH,
    POSTAL_CODE_DIGITS,
    RT_RW_DIGITS,
    VILLAGE_CODE_DIGITS,
)

__all__ = ["Address", "Biodata", "Contact", "latest_birth_date", "refuse_future_birth_date"]

# Biodata
# --------------------------------------------------------------------------


def _parse_birth_date(value: object) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise _Reason.of("reason.date_format") from None
    if type(value) is not date:  # a datetime is a date too, but not a birth date
        raise _Reason.of("reason.date")
    if value.year < MIN_YEAR:
        raise _Reason.of("reason.date_too_early", year=MIN_YEAR)
    return value


def _to_birth_date(value: date | str | None) -> date | None:
    return None if value is None else _lenient(_parse_birth_date, value)


_EASTERNMOST_OFFSET: Final = timedelta(hours=9)
"""WIT (Papua, Maluku), UTC+9: the Indonesian time zone whose calendar day begins first."""


def latest_birth_date(now: datetime) -> date:
    """The latest birth date that can be true at ``now`` (UTC): today in Indonesia's east.

    A birth date is a calendar date where the person was born, not a UTC
    instant, so "today" is the latest date anywhere in the country: a child
    born this morning in Jayapura (WIT) is already born on a date that is
    still tomorrow in UTC.
    """
    return (now + _EASTERNMOST_OFFSET).date()


def refuse_future_birth_date(born: date | None, now: datetime) -> None:
    """Refuse a birth date after :func:`latest_birth_date` (``now`` in UTC).

    Not a check of :class:`Biodata` itself, which knows no clock: the services
    that write a profile (an edit, an import) call it with their clock's
    ``now``, so a value object read back from storage years later stays valid.

    :raises ProfileError: ``invalid_field`` at ``biodata.birth_date``.
    """
    if born is not None and born > latest_birth_date(now):
        raise _invalid_because("biodata.birth_date", "reason.date_in_future")


def _birth_date_repr(value: date | None) -> str:
    return "None" if value is None else "'****-**-**'"


@frozen(kw_only=True)
class Biodata:
    """*Biodata*: who the person is, beyond the Dukcapil-verified name.

    Every attribute is optional so that a profile can be filled in steps;
    :mod:`siapkerja_core.completeness` says what is still missing. The
    ``repr`` hides the birth date.
    """

    birth_place: str | None = field(
        default=None,
        converter=_clean_optional_line,
        validator=_text(MAX_LINE_LENGTH, optional=True),
    )
    birth_date: date | None = field(
        default=None,
        converter=_to_birth_date,
        validator=_checked_by(_parse_birth_date, optional=True),
        repr=_birth_date_repr,
    )
    sex: Sex | None = field(
        default=None, converter=_to_sex, validator=_enum_field(Sex, optional=True)
    )
    marital_status: MaritalStatus | None = field(
        default=None,
        converter=_to_marital_status,
        validator=_enum_field(MaritalStatus, optional=True),
    )
    religion: Religion | None = field(
        default=None, converter=_to_religion, validator=_enum_field(Religion, optional=True)
    )
    headline: str | None = field(
        default=None,
        converter=_clean_optional_line,
        validator=_text(MAX_LINE_LENGTH, optional=True),
    )
    occupation: OccupationCode | None = field(
        default=None, validator=_instance_of(OccupationCode, optional=True)
    )
    """The codes of the headline's (or the sought) occupation, when known."""
    employment_status: EmploymentStatus | None = field(
        default=None,
        converter=_to_employment_status,
        validator=_enum_field(EmploymentStatus, optional=True),
    )
    """Declared by the holder; read by programme requirements (:mod:`siapkerja_core.programmes`).
    No completeness rule asks for it, and no disclosure scope shows it."""


# --------------------------------------------------------------------------
# Contact
# --------------------------------------------------------------------------


def _parse_email(value: object) -> str:
    if not isinstance(value, str):
        raise _Reason.of("reason.text")
    try:
        return normalize_email(value)
    except InvalidEmail as error:
        raise _Reason(error.message_id.rstrip("."), error.message_en.rstrip(".")) from None


def _parse_phone(value: object) -> str:
    if not isinstance(value, str):
        raise _Reason.of("reason.text")
    try:
        return normalize_phone(value)
    except InvalidPhone as error:
        raise _Reason(error.message_id.rstrip("."), error.message_en.rstrip(".")) from None


def _to_email(value: str | None) -> str | None:
    return None if value is None else _lenient(_parse_email, value)


def _to_phone(value: str | None) -> str | None:
    return None if value is None else _lenient(_parse_phone, value)


def _canonical(parse: Callable[[object], str]) -> _Validator:
    """The value must parse *and* already be in its canonical form."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        try:
            canonical = parse(value)
        except _Reason as reason:
            raise _invalid(attribute.name, reason.reason_id, reason.reason_en) from None
        if canonical != value:
            raise _invalid_because(attribute.name, "reason.not_canonical")

    return check


def _email_repr(value: str | None) -> str:
    return "None" if value is None else repr(mask_email(value))


def _phone_repr(value: str | None) -> str:
    return "None" if value is None else repr(mask_phone(value))


@frozen(kw_only=True)
class Contact:
    """Email (normalised) and Indonesian mobile number (E.164). The ``repr`` masks both."""

    email: str | None = field(
        default=None, converter=_to_email, validator=_canonical(_parse_email), repr=_email_repr
    )
    phone: str | None = field(
        default=None, converter=_to_phone, validator=_canonical(_parse_phone), repr=_phone_repr
    )


# --------------------------------------------------------------------------
# Address
# --------------------------------------------------------------------------


def _to_village_code(value: str) -> str:
    try:
        return "".join(value.split()).replace(".", "")
    except AttributeError:
        return value


def _check_village_code(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not (
        len(value) == VILLAGE_CODE_DIGITS and value.isascii() and value.isdigit()
    ):
        raise _invalid_because(attribute.name, "reason.village_code")
    if regions.village(value) is None:
        raise ProfileError("village", field=attribute.name, village_code=value)


def _parse_rt_rw(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _Reason.of("reason.digits")
    digits = value.strip()
    if not (1 <= len(digits) <= RT_RW_DIGITS and digits.isascii() and digits.isdigit()):
        raise _Reason.of("reason.rt_rw")
    if int(digits) == 0:
        raise _Reason.of("reason.rt_rw_zero")
    return digits.zfill(RT_RW_DIGITS)


def _to_rt_rw(value: str | int | None) -> str | None:
    return None if value is None else _lenient(_parse_rt_rw, value)


_POSTAL_CODE: Final = re.compile(f"[1-9][0-9]{{{POSTAL_CODE_DIGITS - 1}}}")


def _parse_postal_code(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or _POSTAL_CODE.fullmatch(value.strip()) is None:
        raise _Reason.of("reason.postal_code")
    return value.strip()


def _to_postal_code(value: str | int | None) -> str | None:
    return None if value is None else _lenient(_parse_postal_code, value)


def _hidden_repr(value: object) -> str:
    return "None" if value is None else "'***'"


@frozen(kw_only=True)
class Address:
    """An Indonesian address, down to the Kemendagri village (*desa/kelurahan*) code.

    ``village_code`` is required (dots and spaces are dropped); ``street``,
    ``rt``/``rw`` (zero-padded to 3 digits) and ``postal_code`` are optional.
    The region names come from :mod:`siapkerja_core.regions`. The ``repr``
    hides the street, RT and RW.
    """

    village_code: str = field(converter=_to_village_code, validator=_check_village_code)
    street: str | None = field(
        default=None,
        converter=_clean_optional_line,
        validator=_text(MAX_STREET_LENGTH, optional=True),
        repr=_hidden_repr,
    )
    rt: str | None = field(
        default=None,
        converter=_to_rt_rw,
        validator=_checked_by(_parse_rt_rw, optional=True),
        repr=_hidden_repr,
    )
    rw: str | None = field(
        default=None,
        converter=_to_rt_rw,
        validator=_checked_by(_parse_rt_rw, optional=True),
        repr=_hidden_repr,
    )
    postal_code: str | None = field(
        default=None,
        converter=_to_postal_code,
        validator=_checked_by(_parse_postal_code, optional=True),
    )

    def _names(self) -> list[str]:
        return [r.name for r in regions.path(self.village_code)]

    @property
    def village_name(self) -> str:
        """*Desa/kelurahan*, e.g. ``"Palmerah"``."""
        return self._names()[3]

    @property
    def district_name(self) -> str:
        """*Kecamatan*, e.g. ``"Pal Merah"``."""
        return self._names()[2]

    @property
    def regency_name(self) -> str:
        """*Kabupaten/kota*, e.g. ``"Kota Administrasi Jakarta Barat"``."""
        return self._names()[1]

    @property
    def province_name(self) -> str:
        """*Provinsi*, e.g. ``"Daerah Khusus Ibukota Jakarta"``."""
        return self._names()[0]

    @property
    def region_line(self) -> str:
        """The regions on one line, village first, as on the profile page.

        ``"Palmerah, Pal Merah, Kota Adm. Jakarta Barat, DKI Jakarta"``.
        """
        province, regency, district, village = self._names()
        return ", ".join(
            (
                village,
                district,
                regions.short_name(regency, "regency"),
                regions.short_name(province, "province"),
            )
        )

    def one_line(self) -> str:
        """The full address on one line: street, RT/RW, regions, postal code."""
        parts = [self.street] if self.street else []
        if self.rt or self.rw:
            parts.append(f"RT {self.rt or '-'}/RW {self.rw or '-'}")
        parts.append(self.region_line)
        line = ", ".join(parts)
        return f"{line} {self.postal_code}" if self.postal_code else line


# --------------------------------------------------------------------------
