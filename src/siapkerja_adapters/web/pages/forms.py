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

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.datastructures import FormData

from siapkerja_adapters.web.problems import retry_after, status_of
from siapkerja_core.contact import MAX_EMAIL_INPUT, MAX_PHONE_INPUT
from siapkerja_core.errors import InputError, SiapkerjaError
from siapkerja_core.i18n import WIB
from siapkerja_core.nik import MAX_NIK_INPUT
from siapkerja_core.passwords import MAX_PASSWORD_LENGTH
from siapkerja_core.profile import ProfileError, YearMonth
from siapkerja_core.profile.dates import MAX_YEAR
from siapkerja_core.profile.lengths import MAX_NAME_LENGTH
from siapkerja_core.wording import clock_text, holder_zone, moment_text

if TYPE_CHECKING:
    from siapkerja_core.profile import Profile
    from siapkerja_core.service import Siapkerja
    from siapkerja_core.views import Account

__all__ = [
    "ACHIEVEMENT_FIELDS",
    "ADDRESS_FIELDS",
    "BIODATA_FIELDS",
    "CERTIFICATE_FIELDS",
    "EDUCATION_FIELDS",
    "GPA_MAX_LENGTH",
    "GPA_PATTERN",
    "INPUT_LIMITS",
    "LANGUAGE_FIELDS",
    "MONTH_PATTERN",
    "WORK_FIELDS",
    "YEAR_DIGITS",
    "YEAR_PATTERN",
    "FormErrors",
    "FormKit",
    "account_zone",
    "bdi",
    "day_label",
    "error_fields",
    "event_window",
    "float_or_raw",
    "form_kit",
    "form_text",
    "int_or_raw",
    "month_or_raw",
    "national_phone",
    "optional",
    "page_status",
    "profile_field",
    "time_element",
    "time_label",
    "too_long",
    "zone_of",
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
    "registration.email_checks_locked": ("email",),
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
MAX_IDENTIFIER_INPUT: Final = max(MAX_NIK_INPUT, MAX_PHONE_INPUT, MAX_EMAIL_INPUT)
"""A sign-in or recovery identifier is a NIK, a mobile number or an e-mail address."""
INPUT_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "nik": MAX_NIK_INPUT,
        "full_name": MAX_NAME_LENGTH,
        "mother_name": MAX_NAME_LENGTH,
        "email": MAX_EMAIL_INPUT,
        "phone": MAX_PHONE_INPUT,
        "password": MAX_PASSWORD_LENGTH,
        "new_password": MAX_PASSWORD_LENGTH,
        "identifier": MAX_IDENTIFIER_INPUT,
    }
)
"""The most characters the server takes in each text field of the sign-in and
registration forms: the forms' ``maxlength`` (``limits`` in their context), the
core's own constants so the page and the server never disagree."""


def too_long(form_values: Mapping[str, str], labels: Mapping[str, str]) -> list[SiapkerjaError]:
    """``input.too_long`` for each of ``labels``' fields longer than :data:`INPUT_LIMITS`.

    ``labels``: field name -> catalogue key of its label. A browser honours
    ``maxlength``; a script or a paste into an old browser need not.
    """
    found: list[SiapkerjaError] = []
    for name, label_key in labels.items():
        limit = INPUT_LIMITS[name]
        if len(form_values.get(name, "")) > limit:
            found.append(InputError.of("too_long", name, label_key, limit=limit))
    return found


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
CERTIFICATE_FIELDS: Final = ("name", "issuer", "valid_from", "valid_until", "score")
ACHIEVEMENT_FIELDS: Final = ("title", "organiser", "date", "description")
LANGUAGE_FIELDS: Final = ("name", "level")
_ENTRY_FIELDS: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = {
    "work": ("work", WORK_FIELDS),
    "education": ("edu", EDUCATION_FIELDS),
    "certificates": ("cert", CERTIFICATE_FIELDS),
    "achievements": ("ach", ACHIEVEMENT_FIELDS),
    "languages": ("lang", LANGUAGE_FIELDS),
}
"""A list section's entry form: its fields' prefix and names (``education[1].gpa`` is
the input ``edu_gpa`` of the entry's own form; a path without a field, the first)."""


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
    if section in _ENTRY_FIELDS:
        prefix, names = _ENTRY_FIELDS[section]
        return f"{prefix}_{name if name in names else names[0]}"
    if section in ("skills", "photo", "visibility", "stakeholder"):
        return section
    return None


def error_fields(error: SiapkerjaError) -> tuple[str, ...]:
    """The form fields ``error`` concerns: ``nik.*`` the NIK, ``otp.*`` the code, ….

    Empty when it concerns the whole form (``login.failed`` stays generic on purpose).
    """
    code = error.full_code
    if code == "registration.invalid_name":
        field = error.params.get("field")
        if isinstance(field, str):
            return (field,)
        return ("full_name",) if error.params.get("field_en") == "Full name" else ("mother_name",)
    if code == "registration.mismatch":
        fields = error.params.get("fields")
        return tuple(str(f) for f in fields) if isinstance(fields, tuple) else ()
    if code in _CODE_FIELDS:
        return _CODE_FIELDS[code]
    if error.domain == "input":
        field = error.params.get("field")
        return (field,) if isinstance(field, str) else ()
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


def _problems(error: SiapkerjaError) -> tuple[SiapkerjaError, ...]:
    """The problems ``error`` stands for: its own, or each of those it gathers."""
    if isinstance(error, ProfileError):
        return error.errors
    gathered = error.params.get("errors")
    if isinstance(gathered, tuple) and gathered:
        return tuple(p for e in gathered if isinstance(e, SiapkerjaError) for p in _problems(e))
    return (error,)


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
        *,
        now: datetime | None = None,
        zone: tzinfo | None = None,
    ) -> None:
        """Add ``error`` (every problem of a ProfileError or of a refusal of several
        fields, ``registration.incomplete``), tied to the fields of this form.

        ``now`` and ``zone`` word a wait ("coba lagi besok pukul 09.15 WIB").
        """
        known = set(form_fields)
        for problem in _problems(error):
            message = problem.message(lang, now=now, zone=zone)
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


MONTH_PATTERN: Final = (
    r"[0-9]{4}-[0-9]{1,2}|[0-9]{1,2} ?(/|-|\.) ?[0-9]{4}|[A-Za-z]{3,}\.? ?[0-9]{4}"
)
"""The HTML ``pattern`` of a month typed as text (a browser without ``type="month"``):
what :func:`month_or_raw` reads, as a hint (the server decides)."""
GPA_PATTERN: Final = r"[0-4]([.,][0-9]{1,2})?"
"""The HTML ``pattern`` of an IPK: 0 to 4, two decimals at most, a comma or a point."""
GPA_MAX_LENGTH: Final = len("4.00")
"""The longest IPK typed (the core rounds to two decimals)."""
YEAR_DIGITS: Final = len(str(MAX_YEAR))
"""A year's digits (the core takes :data:`~siapkerja_core.profile.dates.MIN_YEAR` to
``MAX_YEAR``)."""
YEAR_PATTERN: Final = f"[0-9]{{{YEAR_DIGITS}}}"
_MONTH_NUMBERS: Final = re.compile(r"([0-9]{1,2})\s*[/.-]\s*([0-9]{4})")
_MONTH_WORDS: Final = re.compile(r"([^\W\d_]+)\.?\s*,?\s*([0-9]{4})")
_MONTH_NAMES: Final = (
    ("januari", "january"),
    ("februari", "february"),
    ("maret", "march"),
    ("april", "april"),
    ("mei", "may"),
    ("juni", "june"),
    ("juli", "july"),
    ("agustus", "august", "agt", "ags"),
    ("september", "september", "sept"),
    ("oktober", "october"),
    ("november", "november", "nop", "nopember"),
    ("desember", "december"),
)
"""Each month's names (Indonesian, English, the usual Indonesian short forms); a word of
three letters or more that begins one of them names that month ("Jun", "Juni", "June")."""


def _month_of(word: str) -> int | None:
    word = word.casefold()
    if len(word) < 3:
        return None
    found = {i for i, names in enumerate(_MONTH_NAMES, 1) for n in names if n.startswith(word)}
    return found.pop() if len(found) == 1 else None


def month_or_raw(value: str) -> str:
    """A month as the core reads it, ``"2021-06"``, from what people type: ``"2021-06"``,
    ``"06/2021"``, ``"6-2021"``, ``"Juni 2021"``, ``"Jun 2021"``, ``"June 2021"``; else the
    text as typed, for the core to refuse by name.

    A ``type="month"`` input sends ``2021-06``, but some browsers show it as a
    plain text box, where a person writes the month as on a form on paper.
    """
    text = value.strip()
    if (numbers := _MONTH_NUMBERS.fullmatch(text)) is not None:
        return f"{numbers[2]}-{int(numbers[1]):02d}"
    words = _MONTH_WORDS.fullmatch(text)
    if words is not None and (month := _month_of(words[1])) is not None:
        return f"{words[2]}-{month:02d}"
    return text


def national_phone(phone: str | None) -> str:
    """``+6281299999999`` as people write it: ``081299999999``."""
    if not phone:
        return ""
    return "0" + phone[3:] if phone.startswith("+62") else phone


def day_label(day: date, lang: str) -> str:
    return f"{day.day} {YearMonth.of(day).label(lang)}"


def time_label(moment: datetime | None, lang: str = "id", zone: tzinfo | None = None) -> str:
    """``moment`` as a holder reads it: ``"6 Desember 2026, 16.32 WIB"`` /
    ``"6 December 2026, 16:32 WIB"``, in ``zone`` (the holder's, :func:`zone_of`, or an
    event's own: :attr:`siapkerja_core.gates.Event.zone`), else WIB; no seconds.

    Stored times are UTC; a person in Indonesia should not have to add seven hours.
    Templates use the ``local_time`` filter (:func:`time_element`), which wraps this in
    ``<time datetime="…">``.
    """
    return "" if moment is None else moment_text(moment, lang, zone)


def event_window(
    opens: datetime, closes: datetime, lang: str = "id", zone: tzinfo | None = None
) -> tuple[str, str]:
    """An event's opening and closing as a list shows them, in ``zone`` (the event's own):
    ``("6 Desember 2026, 08.00 WIB", "16.00 WIB")`` when both fall on the same day."""
    start, end = opens.astimezone(zone or WIB), closes.astimezone(zone or WIB)
    shown = time_label(closes, lang, zone)
    if start.date() == end.date():
        shown = f"{clock_text(end, lang)} {end.tzname()}"
    return time_label(opens, lang, zone), shown


def zone_of(profile: Profile | None, nik: str | None = None) -> tzinfo:
    """The zone the holder of ``profile`` (and ``nik``) reads times in: WIB, WITA or WIT
    of the domicile address, else the KTP address, else the NIK's region; WIB unknown."""
    domicile = profile.domicile_address if profile is not None else None
    ktp = profile.ktp_address if profile is not None else None
    return holder_zone(
        domicile.village_code if domicile is not None else None,
        ktp.village_code if ktp is not None else None,
        nik,
    )


def account_zone(svc: Siapkerja, account: Account) -> tzinfo:
    """:func:`zone_of` the signed-in holder (their profile, else their NIK)."""
    try:
        profile: Profile | None = svc.profile(account.id)
    except SiapkerjaError:
        profile = None
    return zone_of(profile, account.nik)


def bdi(text: str) -> Markup:
    """``<bdi>text</bdi>``, escaped: a holder's value inside a line of the app's own words
    (an issuer, then "Skor 84"), where the line's own ``<bdi>`` would let an override in
    the value run over the words after it."""
    return Markup("<bdi>{}</bdi>").format(text)


@pass_context
def time_element(context: Context, moment: datetime | None, zone: tzinfo | None = None) -> Markup:
    """The ``local_time`` template filter: ``<time datetime="ISO">6 Desember 2026, 16.32
    WIB</time>`` in the page's language and zone (``zone`` argument, else the context's
    ``zone``, else WIB). The ISO moment lets a script show the browser's own zone."""
    if moment is None:
        return Markup("")
    shown = zone or context.get("zone")
    lang = str(context.get("lang") or "id")
    label = time_label(moment, lang, shown if isinstance(shown, tzinfo) else None)
    iso = moment.astimezone(UTC).isoformat(timespec="seconds")
    return Markup('<time datetime="{}">{}</time>').format(iso, label)


class FormKit:
    """The form macros of ``_forms.html`` for one page: ``f.field(...)``, ``f.csrf()``.

    ``_forms.html`` is imported without context, so Jinja builds its module
    once instead of once per render (a module with every macro, from a copy of
    the page's context: about half of rendering the sign-in page). What a macro
    needs of the page — the CSRF token, the form's errors, the translator, the
    help link — a kit holds and passes as arguments; templates call the same
    macros with the same arguments as before. Made per render by the
    ``form_kit`` global (:func:`form_kit`). A template that still imports
    ``_forms.html`` ``with context`` (a deployer's copy of an earlier one)
    passes none of them, and the macros read the page's own.
    """

    __slots__ = ("_csrf_token", "_errors", "_help_url", "_macros", "_t")

    def __init__(
        self, macros: object, csrf_token: object, errors: object, t: object, help_url: object
    ) -> None:
        self._macros = macros
        self._csrf_token = csrf_token
        self._errors = errors
        self._t = t
        self._help_url = help_url

    def csrf(self) -> object:
        return self._macros.csrf(self._csrf_token)  # type: ignore[attr-defined]

    def error_summary(self, errors: object) -> object:
        return self._macros.error_summary(errors, kit_t=self._t)  # type: ignore[attr-defined]

    def described(self, *args: object) -> object:
        return self._macros.described(*args)  # type: ignore[attr-defined]

    def messages(self, name: object, hint: object, error: object) -> object:
        return self._macros.messages(name, hint, error, kit_t=self._t)  # type: ignore[attr-defined]

    def field(self, *args: object, **kwargs: object) -> object:
        return self._macros.field(*args, kit_errors=self._errors, kit_t=self._t, **kwargs)  # type: ignore[attr-defined]

    def textarea(self, *args: object, **kwargs: object) -> object:
        return self._macros.textarea(*args, kit_errors=self._errors, kit_t=self._t, **kwargs)  # type: ignore[attr-defined]

    def select(self, *args: object, **kwargs: object) -> object:
        return self._macros.select(*args, kit_errors=self._errors, kit_t=self._t, **kwargs)  # type: ignore[attr-defined]

    def consent_and_help(self) -> object:
        return self._macros.consent_and_help(kit_t=self._t, kit_help_url=self._help_url)  # type: ignore[attr-defined]


@pass_context
def form_kit(
    context: Context, csrf_token: object, errors: object, t: object, help_url: object
) -> FormKit:
    """The page's :class:`FormKit` over ``_forms.html``'s module (built once per template)."""
    macros = context.environment.get_template("_forms.html").module
    return FormKit(macros, csrf_token, errors, t, help_url)
