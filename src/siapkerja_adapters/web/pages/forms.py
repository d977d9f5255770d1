"""What a form shows of a refusal: the field an error concerns, its status, the summary.

This module owns the translation of the library's typed errors into what a
person sees on a form — the field an error concerns (:func:`error_fields`,
:func:`profile_field`), the HTTP status of the page that shows it
(:func:`page_status`, on the status table of
:mod:`siapkerja_adapters.web.problems`, with a form's refusal answered as
400 rather than the API's 401/422), and :class:`FormErrors`, the summary and
per-field messages a template shows — plus the small readers and wordings of
form values every screen shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from typing import Final

from starlette.datastructures import FormData

from siapkerja_adapters.web.problems import retry_after, status_of
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.gates import local_zone
from siapkerja_core.profile import ProfileError, YearMonth

__all__ = [
    "ADDRESS_FIELDS",
    "BIODATA_FIELDS",
    "EDUCATION_FIELDS",
    "WORK_FIELDS",
    "FormErrors",
    "day_label",
    "error_fields",
    "float_or_raw",
    "form_text",
    "int_or_raw",
    "local_time_label",
    "national_phone",
    "optional",
    "page_status",
    "profile_field",
    "time_label",
]

_DOMAIN_FIELDS: Final[Mapping[str, str]] = {
    "nik": "nik",
    "email": "email",
    "phone": "phone",
    "password": "password",
    "otp": "code",
    "reset": "code",
}
_CODE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "registration.nik_not_found": ("nik",),
    "registration.nik_inactive": ("nik",),
    "registration.already_registered": ("nik",),
    "registration.verification_locked": ("nik",),
    "registration.email_taken": ("email",),
    "registration.phone_taken": ("phone",),
    "card.purpose_required": ("event",),
    "card.unknown_purpose": ("event",),
    # The gate screen's sign-in (pages/gate.py): the key, or the event, is what to fix.
    "gate.station_credential_required": ("station_key",),
    "gate.unknown_station": ("station_key",),
    "gate.station_retired": ("station_key",),
    "gate.station_not_for_event": ("station_key",),
    "gate_screen.key_required": ("station_key",),
    "gate_screen.throttled": ("station_key",),
    "gate.unknown_event": ("event_id",),
    "gate.event_cancelled": ("event_id",),
    "gate_screen.choose_event": ("event_id",),
    "gate_screen.code_required": ("code",),
}
BIODATA_FIELDS: Final = frozenset(
    {
        "birth_place",
        "birth_date",
        "sex",
        "marital_status",
        "religion",
        "headline",
        "employment_status",
    }
)
ADDRESS_FIELDS: Final = ("village_code", "street", "rt", "rw", "postal_code")
WORK_FIELDS: Final = ("title", "company", "start", "end", "location", "description")
EDUCATION_FIELDS: Final = ("institution", "level", "major", "start_year", "end_year", "gpa")


def profile_field(path: str | None) -> str | None:
    """The profile form's field for a :class:`ProfileError` path (``"work[0].start"``)."""
    if not path or path == "$":
        return None
    head, _, rest = path.partition(".")
    section = head.split("[")[0]
    name = rest.split(".")[0].split("[")[0]
    if section == "biodata":
        return name if name in BIODATA_FIELDS else None
    if section in ("ktp_address", "domicile_address"):
        prefix = "ktp" if section == "ktp_address" else "dom"
        return f"{prefix}_{name if name in ADDRESS_FIELDS else 'village_code'}"
    if section == "work":
        return f"work_{name if name in WORK_FIELDS else 'title'}"
    if section == "education":
        return f"edu_{name if name in EDUCATION_FIELDS else 'institution'}"
    if section in ("skills", "languages", "photo", "visibility", "stakeholder"):
        return section
    return None


def error_fields(error: SiapkerjaError) -> tuple[str, ...]:
    """The form fields ``error`` concerns: ``nik.*`` the NIK, ``otp.*`` the code, ….

    Empty when it concerns the whole form (``login.failed`` stays generic on purpose).
    """
    code = error.full_code
    if code == "registration.invalid_name":
        return ("full_name",) if error.params.get("field_en") == "Full name" else ("mother_name",)
    if code == "registration.mismatch":
        fields = error.params.get("fields")
        return tuple(str(f) for f in fields) if isinstance(fields, tuple) else ()
    if code in _CODE_FIELDS:
        return _CODE_FIELDS[code]
    if isinstance(error, ProfileError):
        field = profile_field(error.field)
        return () if field is None else (field,)
    field = _DOMAIN_FIELDS.get(error.domain)
    return () if field is None else (field,)


def page_status(error: SiapkerjaError, now: datetime | None = None) -> tuple[int, dict[str, str]]:
    """The status of the page showing ``error``, and its headers (``Retry-After``).

    The API's table, except that a refused form is a 400 (not 401/403/422)
    and any other server-side fault is a plain 500.
    """
    status = status_of(error)
    if status in (401, 403, 422):
        status = 400
    elif status >= 500 and status != 503:
        status = 500
    headers: dict[str, str] = {}
    seconds = retry_after(error, status, now)
    if seconds is not None:
        headers["Retry-After"] = str(seconds)
    return status, headers


class FormErrors:
    """The errors of one form: the summary's items in order and each field's message."""

    def __init__(self) -> None:
        self.items: list[tuple[str | None, str]] = []
        """(anchor id or ``None``, message) for the error summary."""
        self.fields: dict[str, str] = {}

    def add(self, message: str, field: str | None = None) -> None:
        anchor = None
        if field is not None:
            anchor = "f-d1" if field == "code_digits" else f"f-{field}"
            field = "code" if field == "code_digits" else field
            self.fields.setdefault(field, message)
        self.items.append((anchor, message))

    def add_error(
        self,
        error: SiapkerjaError,
        lang: str,
        form_fields: Iterable[str] = (),
        rename: Mapping[str, str] | None = None,
    ) -> None:
        """Add ``error`` (every problem of a ProfileError), tied to the fields of this form."""
        known = set(form_fields)
        problems = error.errors if isinstance(error, ProfileError) else (error,)
        for problem in problems:
            message = problem.message(lang)
            tied = [
                (rename or {}).get(f, f)
                for f in error_fields(problem)
                if (rename or {}).get(f, f) in known
            ]
            if not tied:
                self.add(message)
            for field in tied:
                self.add(message, field)

    def get(self, field: str) -> str | None:
        return self.fields.get(field)

    def __bool__(self) -> bool:
        return bool(self.items)


# --------------------------------------------------------------------------
# Reading form values, wording dates and phones
# --------------------------------------------------------------------------


def form_text(form: FormData, name: str) -> str:
    """A text field's value, stripped; ``""`` when absent or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(value: str) -> str | None:
    return value or None


def int_or_raw(value: str) -> int | str | None:
    """A number when it is one; else the text as typed, for the core to refuse by name."""
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() else value


def float_or_raw(value: str) -> float | str | None:
    """A decimal (comma or point) when it is one; else the text as typed."""
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value


def national_phone(phone: str | None) -> str:
    """``+6281299999999`` as people write it: ``081299999999``."""
    if not phone:
        return ""
    return "0" + phone[3:] if phone.startswith("+62") else phone


def day_label(day: date, lang: str) -> str:
    return f"{day.day} {YearMonth.of(day).label(lang)}"


def time_label(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def local_time_label(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """``moment`` as a holder reads it: ``"2026-12-06 16:32 WIB"``, in ``zone`` (an event's
    own: :attr:`siapkerja_core.gates.Event.zone`) or else WIB (Asia/Jakarta), the zone named.

    Stored times are UTC; a person in Indonesia should not have to add seven hours.
    """
    if moment is None:
        return ""
    local = moment.astimezone(zone or local_zone(None))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
