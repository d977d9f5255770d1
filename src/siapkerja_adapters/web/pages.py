"""The HTML pages: the brief's screens over the service facade, one route each.

This module owns :class:`Pages` — every page of the web binding and its
routes — and the translation of the library's typed errors into what a
person sees: the form field an error concerns (:func:`error_fields`) and
the HTTP status of the page that shows it (:func:`page_status`, on the
status table of :mod:`siapkerja_adapters.web.problems`, with a form's
refusal answered as 400 rather than the API's 401/422).

Every page works without JavaScript. Forms post back to their own address
and answer with a redirect on success (post/redirect/get) or with the same
form, the error summary announced (``role="alert"``) and each error tied to
its field. Every POST passes the CSRF check first
(:func:`~siapkerja_adapters.web.security.verify_csrf`). Calls into the facade
run in a worker thread: password hashing and storage must not block the
event loop.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any, Final, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from siapkerja_adapters.web.i18n import CATALOGUE, Translator, select_language
from siapkerja_adapters.web.problems import retry_after, status_of
from siapkerja_adapters.web.security import CsrfError, csrf_token, new_session, verify_csrf
from siapkerja_adapters.web.threads import WorkerThreads
from siapkerja_core import regions
from siapkerja_core.cards import CardError
from siapkerja_core.converter import structure
from siapkerja_core.disclosure import IDENTITY_NIK, IDENTITY_NIK_MASKED, Audience, ProfileView
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.journey import LoginError, RegistrationError
from siapkerja_core.model import AccessRecord, Account, Registration, RegistrationStatus
from siapkerja_core.profile import (
    MAX_PHOTO_BYTES,
    MIN_PHOTO_BYTES,
    NEVER_PUBLISHED,
    Achievement,
    Address,
    Certificate,
    Education,
    EducationLevel,
    LanguageLevel,
    MaritalStatus,
    Profile,
    ProfileError,
    Religion,
    Section,
    Sex,
    Stakeholder,
    WorkExperience,
    YearMonth,
)
from siapkerja_core.service import Siapkerja

__all__ = ["Pages", "error_fields", "page_status", "profile_field"]

logger = logging.getLogger("siapkerja.web")

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]

_AUTH: Final = "auth"
_PUBLIC_PAGES_KEPT: Final = 2048
SCAN_HEADERS: Final = {"X-Robots-Tag": "noindex, nofollow"}
"""Headers of a scan page, besides the security headers every page carries."""
_REGISTRATION: Final = "reg"
_RESET: Final = "reset"
_FLASH: Final = "flash"
_OTP_DIGITS: Final = 6
_MAX_LANGUAGE_ROWS: Final = 20
_MAX_EVENT_LENGTH: Final = 64
_MAX_QUERY_LENGTH: Final = 60
_FORM_PART_BYTES: Final = 64 * 1024
_PUBLISHABLE: Final = tuple(s for s in Section if s not in NEVER_PUBLISHED)

# --------------------------------------------------------------------------
# Typed errors -> form fields and HTTP statuses
# --------------------------------------------------------------------------

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
}
_BIODATA_FIELDS: Final = frozenset(
    {"birth_place", "birth_date", "sex", "marital_status", "religion", "headline"}
)
_ADDRESS_FIELDS: Final = ("village_code", "street", "rt", "rw", "postal_code")
_WORK_FIELDS: Final = ("title", "company", "start", "end", "location", "description")
_EDUCATION_FIELDS: Final = ("institution", "level", "major", "start_year", "end_year", "gpa")


def profile_field(path: str | None) -> str | None:
    """The profile form's field for a :class:`ProfileError` path (``"work[0].start"``)."""
    if not path or path == "$":
        return None
    head, _, rest = path.partition(".")
    section = head.split("[")[0]
    name = rest.split(".")[0].split("[")[0]
    if section == "biodata":
        return name if name in _BIODATA_FIELDS else None
    if section in ("ktp_address", "domicile_address"):
        prefix = "ktp" if section == "ktp_address" else "dom"
        return f"{prefix}_{name if name in _ADDRESS_FIELDS else 'village_code'}"
    if section == "work":
        return f"work_{name if name in _WORK_FIELDS else 'title'}"
    if section == "education":
        return f"edu_{name if name in _EDUCATION_FIELDS else 'institution'}"
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
# Small helpers
# --------------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(value: str) -> str | None:
    return value or None


def _int_or_raw(value: str) -> int | str | None:
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() else value


def _float_or_raw(value: str) -> float | str | None:
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value


def _national(phone: str | None) -> str:
    """``+6281299999999`` as people write it: ``081299999999``."""
    if not phone:
        return ""
    return "0" + phone[3:] if phone.startswith("+62") else phone


def _day_label(day: date, lang: str) -> str:
    return f"{day.day} {YearMonth.of(day).label(lang)}"


def _time_label(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _flash_entry(kind: str, text_id: str, text_en: str) -> list[str]:
    return [kind, text_id, text_en]


def _catalogue_pair(key: str, **params: object) -> tuple[str, str]:
    id_text, en_text = CATALOGUE[key]
    return id_text.format(**params), en_text.format(**params)


# --------------------------------------------------------------------------
# The scanned profile, ready for its template
# --------------------------------------------------------------------------


def _address_line(data: Mapping[str, Any]) -> str:
    try:
        return structure(dict(data), Address).one_line()
    except SiapkerjaError:
        return str(data.get("village_code", ""))


def present_view(view: ProfileView, lang: str) -> dict[str, Any]:
    """The sections of ``view`` in the brief's order, each value already worded in ``lang``."""
    t = Translator(lang)
    data = view.data
    rows: list[tuple[str, str]] = []
    if view.nik is not None:
        rows.append((t("scan.nik"), view.nik))
    birth = data.get(Section.BIRTH.value)
    if isinstance(birth, Mapping):
        place = birth.get("birth_place") or ""
        born = birth.get("birth_date")
        day = _day_label(date.fromisoformat(born), lang) if isinstance(born, str) else ""
        rows.append((t("scan.birth"), ", ".join(p for p in (place, day) if p) or "-"))
    for section, key, enum in (
        (Section.SEX, "scan.sex", Sex),
        (Section.MARITAL_STATUS, "scan.marital_status", MaritalStatus),
        (Section.RELIGION, "scan.religion", Religion),
    ):
        if section.value in data:
            value = data[section.value]
            rows.append((t(key), enum(value).label(lang) if value else "-"))
    contact = data.get(Section.CONTACT.value)
    email = None
    if isinstance(contact, Mapping):
        email = contact.get("email")
        rows.append((t("scan.phone"), _national(contact.get("phone")) or "-"))
    for section, key in (
        (Section.KTP_ADDRESS, "scan.ktp_address"),
        (Section.DOMICILE_ADDRESS, "scan.domicile_address"),
    ):
        if section.value in data:
            address = data[section.value]
            rows.append((t(key), _address_line(address) if address else "-"))
    photo = data.get(Section.PHOTO.value)
    photo_uri = (
        f"data:{photo['media_type']};base64,{photo['content']}"
        if isinstance(photo, Mapping)
        else None
    )
    work = [structure(item, WorkExperience) for item in data.get(Section.WORK.value) or ()]
    education = [structure(item, Education) for item in data.get(Section.EDUCATION.value) or ()]
    certificates = [
        structure(item, Certificate) for item in data.get(Section.CERTIFICATES.value) or ()
    ]
    achievements = [
        structure(item, Achievement) for item in data.get(Section.ACHIEVEMENTS.value) or ()
    ]
    return {
        "name": view.full_name,
        "email": email,
        "headline": data.get(Section.HEADLINE.value),
        "photo": photo_uri,
        "biodata": rows,
        "skills": [s["name"] for s in data.get(Section.SKILLS.value) or ()],
        "languages": [
            (item["name"], LanguageLevel(item["level"]).label(lang))
            for item in data.get(Section.LANGUAGES.value) or ()
        ],
        "work": [
            {
                "title": w.title,
                "company": w.company,
                "period": w.period_label(lang),
                "location": w.location,
                "description": w.description,
            }
            for w in work
        ],
        "education": [
            {
                "institution": e.institution,
                "detail": " • ".join(
                    p for p in (e.level.value, None if e.gpa is None else f"{e.gpa:g}") if p
                ),
                "major": e.major,
                "period": e.period_label(lang),
            }
            for e in education
        ],
        "certificates": [
            {
                "name": c.name,
                "detail": " • ".join(
                    p for p in (c.issuer, c.score and t("scan.score", score=c.score)) if p
                ),
                "period": c.period_label(lang),
            }
            for c in certificates
        ],
        "achievements": [
            {
                "title": a.title,
                "organiser": a.organiser,
                "date": a.date.label(lang),
                "description": a.description,
            }
            for a in achievements
        ],
    }


def _field_label(name: str, t: Translator) -> str:
    if name == IDENTITY_NIK:
        return t("field.nik")
    if name == IDENTITY_NIK_MASKED:
        return t("field.nik_masked")
    try:
        return Section(name).label(t.lang)
    except ValueError:
        return name


def _who(entry: AccessRecord, t: Translator) -> str:
    if entry.audience == Audience.VERIFIER.value:
        return t("history.verifier", name=entry.verifier_name or entry.verifier_id or "?")
    key = {
        Audience.HOLDER.value: "history.holder",
        Audience.ACCOUNT.value: "history.account",
    }.get(entry.audience, "history.anonymous")
    return t(key)


# --------------------------------------------------------------------------
# The profile form's values
# --------------------------------------------------------------------------


def profile_values(profile: Profile) -> dict[str, Any]:
    """Every field of the profile forms, as the form shows it."""
    b = profile.biodata
    values: dict[str, Any] = {
        "stakeholder": profile.stakeholder.value,
        "birth_place": b.birth_place or "",
        "birth_date": b.birth_date.isoformat() if b.birth_date else "",
        "sex": b.sex.value if b.sex else "",
        "marital_status": b.marital_status.value if b.marital_status else "",
        "religion": b.religion.value if b.religion else "",
        "headline": b.headline or "",
        "skills": ", ".join(s.name for s in profile.skills),
        "same_address": "1"
        if profile.ktp_address is not None and profile.ktp_address == profile.domicile_address
        else "",
        "published": [s.value for s in _PUBLISHABLE if s in profile.visibility.published],
    }
    for prefix, address in (("ktp", profile.ktp_address), ("dom", profile.domicile_address)):
        for name in _ADDRESS_FIELDS:
            value = None if address is None else getattr(address, name)
            values[f"{prefix}_{name}"] = value or ""
    rows = [(lang.name, lang.level.value) for lang in profile.languages]
    rows.append(("", ""))
    values["lang_rows"] = len(rows)
    for index, (name, level) in enumerate(rows):
        values[f"lang_name_{index}"] = name
        values[f"lang_level_{index}"] = level
    job = profile.work[0] if profile.work else None
    for name in _WORK_FIELDS:
        value = None if job is None else getattr(job, name)
        values[f"work_{name}"] = "" if value is None else str(value)
    school = profile.education[0] if profile.education else None
    for name in _EDUCATION_FIELDS:
        value = None if school is None else getattr(school, name)
        if isinstance(value, EducationLevel):
            value = value.value
        elif isinstance(value, float):
            value = f"{value:.2f}"
        values[f"edu_{name}"] = "" if value is None else str(value)
    return values


def _address_changes(form: FormData, prefix: str) -> dict[str, Any] | None:
    parts = {name: _text(form, f"{prefix}_{name}") for name in _ADDRESS_FIELDS}
    if not any(parts.values()):
        return None
    return {
        name: _optional(value) if name != "village_code" else value for name, value in parts.items()
    }


def profile_changes(section: str, form: FormData, profile: Profile) -> dict[str, Any]:
    """The ``update_profile`` keywords one profile form asks for (not the photo)."""
    if section == "biodata":
        return {
            "stakeholder": _text(form, "stakeholder") or profile.stakeholder.value,
            "biodata": {name: _optional(_text(form, name)) for name in sorted(_BIODATA_FIELDS)},
        }
    if section == "addresses":
        ktp = _address_changes(form, "ktp")
        same = _text(form, "same_address") == "1"
        return {
            "ktp_address": ktp,
            "domicile_address": ktp if same else _address_changes(form, "dom"),
        }
    if section == "skills":
        seen: set[str] = set()
        skills: list[str] = []
        for part in _text(form, "skills").split(","):
            name = " ".join(part.split())
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                skills.append(name)
        return {"skills": skills}
    if section == "languages":
        raw_rows = _text(form, "lang_rows")
        count = min(int(raw_rows) if raw_rows.isdigit() else 0, _MAX_LANGUAGE_ROWS + 1)
        languages = [
            {"name": name, "level": _text(form, f"lang_level_{i}")}
            for i in range(count)
            if (name := _text(form, f"lang_name_{i}"))
        ]
        return {"languages": languages}
    if section == "work":
        entry = {name: _text(form, f"work_{name}") for name in _WORK_FIELDS}
        rest: list[Any] = list(profile.work[1:])
        if not any(entry.values()):
            return {"work": rest}
        job = {
            name: (value if name in ("title", "company", "start") else _optional(value))
            for name, value in entry.items()
        }
        return {"work": [job, *rest]}
    if section == "education":
        entry = {name: _text(form, f"edu_{name}") for name in _EDUCATION_FIELDS}
        rest = list(profile.education[1:])
        if not any(entry.values()):
            return {"education": rest}
        school: dict[str, Any] = {
            "institution": entry["institution"],
            "level": entry["level"],
            "major": _optional(entry["major"]),
            "start_year": _int_or_raw(entry["start_year"]) or "",
            "end_year": _int_or_raw(entry["end_year"]),
            "gpa": _float_or_raw(entry["gpa"]),
        }
        return {"education": [school, *rest]}
    if section == "visibility":
        published = [v for v in form.getlist("published") if isinstance(v, str)]
        return {"visibility": {"published": published}}
    raise HTTPException(status_code=404)


# --------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------


class Pages:
    """Every HTML page of the binding over one service.

    :param svc: the service facade.
    :param templates: the Jinja2 templates (autoescaped).
    :param dev: development mode (the SMS outbox page and banner).
    :param threads: the worker threads facade calls run in (a pool of its own if ``None``).
    """

    def __init__(
        self,
        svc: Siapkerja,
        templates: Jinja2Templates,
        *,
        dev: bool = False,
        threads: WorkerThreads | None = None,
    ) -> None:
        self.svc = svc
        self.templates = templates
        self.dev = dev
        self.threads = threads if threads is not None else WorkerThreads()
        # Rendered anonymous scan pages, per public view object: the core caches
        # a card's public view per (card, version) while its profile is unchanged,
        # so the same object means the same page. Bounded; oldest dropped first.
        self._public_pages: OrderedDict[tuple[Any, ...], tuple[ProfileView, bytes]] = OrderedDict()

    # --- routes ---------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The routes, GET and POST of one address side by side (the POST ones CSRF-checked)."""

        def get(path: str, endpoint: Endpoint, name: str) -> Route:
            return Route(path, endpoint, methods=["GET"], name=name)

        def post(path: str, endpoint: Endpoint, name: str, *, files: int = 0) -> Route:
            part = _FORM_PART_BYTES

            async def protected(request: Request) -> Response:
                try:
                    await verify_csrf(request, max_files=files, max_part_size=part)
                    return await endpoint(request)
                finally:
                    await request.close()  # an uploaded file's temporary file

            return Route(path, protected, methods=["POST"], name=name)

        routes: list[BaseRoute] = [
            # First: the scan is the busiest route (every phone that reads a card).
            get("/v/{token}", self.scan, "scan"),
            get("/", self.login, "login"),
            post("/", self.login_submit, "login_submit"),
            get("/daftar", self.register, "register"),
            post("/daftar", self.register_submit, "register_submit"),
            get("/daftar/kontak", self.contact, "register_contact"),
            post("/daftar/kontak", self.contact_submit, "register_contact_submit"),
            get("/verifikasi", self.verify, "verify"),
            post("/verifikasi", self.verify_submit, "verify_submit"),
            post("/verifikasi/kirim-ulang", self.resend, "verify_resend"),
            get("/verifikasi/ubah-hp", self.change_phone, "verify_change_phone"),
            post("/verifikasi/ubah-hp", self.change_phone_submit, "verify_change_phone_submit"),
            get("/keluar", self.logout, "logout"),
            post("/keluar", self.logout_submit, "logout_submit"),
            get("/pemulihan", self.recovery, "recovery"),
            post("/pemulihan", self.recovery_submit, "recovery_submit"),
            get("/pemulihan/atur-ulang", self.reset, "recovery_reset"),
            post("/pemulihan/atur-ulang", self.reset_submit, "recovery_reset_submit"),
            get("/profil", self.profile, "profile"),
            post("/profil/foto", self.photo_submit, "profile_photo", files=1),
            post("/profil/{section}", self.profile_submit, "profile_section"),
            get("/kartu", self.card, "card"),
            get("/kartu/kode-akses.json", self.access_code, "card_access_code"),
            post("/kartu/terbitkan", self.issue, "card_issue"),
            post("/kartu/rotasi", self.rotate, "card_rotate"),
            get("/riwayat", self.history, "history"),
            post(
                "/riwayat/persetujuan/{consent_id}/tarik",
                self.withdraw,
                "history_withdraw",
            ),
        ]
        if self.dev:
            routes.append(get("/dev/outbox", self.outbox, "dev_outbox"))
        return routes

    # --- plumbing ------------------------------------------------------------------------

    async def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a facade call in a worker thread."""
        return await self.threads.run(function, *args, **kwargs)

    @staticmethod
    def url(
        request: Request, name: str, /, query: Mapping[str, str] | None = None, **params: Any
    ) -> str:
        """The path of route ``name`` (mount point and base path included), with ``query``."""
        path = request.url_for(name, **params).path
        return f"{path}?{urlencode(query)}" if query else path

    def redirect(
        self, request: Request, name: str, /, fragment: str = "", **params: Any
    ) -> Response:
        target = self.url(request, name, **params)
        return RedirectResponse(target + (f"#{fragment}" if fragment else ""), status_code=303)

    @staticmethod
    def flash(request: Request, kind: str, text_id: str, text_en: str) -> None:
        """Keep a message for the next page (``kind``: ``success`` or ``error``)."""
        messages = request.session.get(_FLASH)
        messages = messages if isinstance(messages, list) else []
        messages.append(_flash_entry(kind, text_id, text_en))
        request.session[_FLASH] = messages[-4:]

    def flash_key(self, request: Request, kind: str, key: str, **params: object) -> None:
        self.flash(request, kind, *_catalogue_pair(key, **params))

    def flash_error(self, request: Request, error: SiapkerjaError) -> None:
        self.flash(request, "error", error.message_id, error.message_en)

    def context(self, request: Request, lang: str, *, session: bool = True) -> dict[str, Any]:
        """The template context every page shares.

        :param session: read flash messages and make a CSRF token; ``False`` for
            pages without forms that must not start a session (anonymous scans).
        """
        t = Translator(lang)
        has_session = session and "session" in request.scope
        flashes: list[tuple[str, str]] = []
        if has_session:
            stored = request.session.pop(_FLASH, [])
            flashes = [
                (str(entry[0]), str(entry[1] if lang == "id" else entry[2]))
                for entry in (stored if isinstance(stored, list) else [])
                if isinstance(entry, list) and len(entry) == 3
            ]
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        query["lang"] = t.other
        return {
            "request": request,
            "t": t,
            "lang": lang,
            "dev": self.dev,
            "csrf_token": csrf_token(request) if has_session else "",
            "url": partial(self.url, request),
            "switch_url": f"{request.url.path}?{urlencode(query)}",
            "flashes": flashes,
            "errors": FormErrors(),
            "values": {},
            "account": None,
            "help_url": self.svc.settings.get("help_url", "https://kemnaker.go.id/"),
        }

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        lang = select_language(request)
        full = self.context(request, lang)
        full.update(context or {})
        return self.templates.TemplateResponse(
            request, template, full, status_code=status, headers=dict(headers or {})
        )

    def form_error(
        self,
        request: Request,
        template: str,
        error: SiapkerjaError,
        context: Mapping[str, Any],
        *,
        form_fields: Iterable[str] = (),
        rename: Mapping[str, str] | None = None,
    ) -> Response:
        """The form again, with ``error`` in the summary and on its field, and its status."""
        status, headers = page_status(error, self.svc.now())
        errors = FormErrors()
        if status == 500:
            logger.error("server-side error on a page: %s", error, exc_info=error)
            errors.add(Translator(select_language(request))("errors.server"))
        else:
            errors.add_error(error, select_language(request), form_fields, rename)
        return self.render(
            request, template, {**context, "errors": errors}, status=status, headers=headers
        )

    async def current_account(self, request: Request) -> Account | None:
        """The signed-in account (the core re-checks the session), or ``None``."""
        token = request.session.get(_AUTH)
        if not isinstance(token, str):
            return None
        try:
            return await self.call(self.svc.authenticate, token)
        except LoginError:
            new_session(request.session)
            return None

    def to_login(self, request: Request) -> Response:
        self.flash_key(request, "error", "errors.sign_in")
        return self.redirect(request, "login")

    async def current_registration(self, request: Request) -> Registration | None:
        registration_id = request.session.get(_REGISTRATION)
        if not isinstance(registration_id, str):
            return None
        try:
            return await self.call(self.svc.registration, registration_id)
        except RegistrationError:
            request.session.pop(_REGISTRATION, None)
            return None

    # --- errors ---------------------------------------------------------------------------

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """The page of an :class:`HTTPException` (404, 405, 403 CSRF, 413 …)."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        key = {
            403: "errors.csrf",
            404: "errors.not_found",
            405: "errors.method",
            413: "errors.too_large",
        }.get(status, "errors.bad_request" if status < 500 else "errors.server")
        if isinstance(exc, CsrfError):
            key = "errors.csrf"
        headers = dict(getattr(exc, "headers", None) or {})
        t = Translator(select_language(request))
        return self.render(
            request,
            "error.html",
            {"title": t("errors.title"), "message": t(key)},
            status=status,
            headers=headers,
        )

    async def error_page(self, scope: Scope) -> tuple[int, str]:
        """The last-resort 500 page (an exception escaped a page)."""
        request = Request(scope)
        lang = select_language(request) if "session" in scope else "id"
        context = self.context(request, lang)
        t = context["t"]
        context.update({"title": t("errors.title"), "message": t("errors.server")})
        return 500, self.templates.get_template("error.html").render(context)

    # --- sign-in ---------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if await self.current_account(request) is not None:
            return self.redirect(request, "profile")
        return self.render(request, "login.html")

    async def login_submit(self, request: Request) -> Response:
        form = await request.form()
        identifier = _text(form, "identifier")
        password = form.get("password")
        try:
            account = await self.call(
                self.svc.login, identifier, password if isinstance(password, str) else ""
            )
        except SiapkerjaError as error:
            return self.form_error(
                request, "login.html", error, {"values": {"identifier": identifier}}
            )
        self.sign_in(request, account)
        return self.redirect(request, "profile")

    @staticmethod
    def sign_in(request: Request, account: Account) -> None:
        if account.session is None:  # the facade always opens one on login and confirm
            raise RuntimeError("the account came back without a session")
        new_session(request.session)
        request.session[_AUTH] = account.session.token

    async def logout(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.redirect(request, "login")
        return self.render(request, "logout.html", {"account": account})

    async def logout_submit(self, request: Request) -> Response:
        token = request.session.get(_AUTH)
        if isinstance(token, str):
            await self.call(self.svc.logout, token)
        new_session(request.session)
        self.flash_key(request, "success", "login.signed_out")
        return self.redirect(request, "login")

    # --- registration -------------------------------------------------------------------------

    _STEP1: Final = ("nik", "full_name", "mother_name")
    _STEP2: Final = ("email", "phone", "password")

    async def register(self, request: Request) -> Response:
        if await self.current_account(request) is not None:
            return self.redirect(request, "profile")
        return self.render(request, "register.html")

    async def register_submit(self, request: Request) -> Response:
        form = await request.form()
        nik = _text(form, "nik")
        full_name = _text(form, "full_name")
        mother = form.get("mother_name")
        try:
            registration = await self.call(
                self.svc.register,
                nik=nik,
                full_name=full_name,
                mother_name=mother if isinstance(mother, str) else "",
            )
        except SiapkerjaError as error:
            # The mother's name is a knowledge check: it is not sent back to the page.
            values = {"nik": nik, "full_name": full_name}
            return self.form_error(
                request, "register.html", error, {"values": values}, form_fields=self._STEP1
            )
        request.session[_REGISTRATION] = registration.id
        return self.redirect(request, "register_contact")

    def _registration_step(
        self, request: Request, registration: Registration | None, wanted: RegistrationStatus
    ) -> Response | None:
        """Where to send a visitor whose registration is not at ``wanted`` (or ``None``)."""
        if registration is None:
            self.flash_key(request, "error", "verify.none")
            return self.redirect(request, "register")
        if registration.status is wanted:
            return None
        if registration.status is RegistrationStatus.EXPIRED:
            request.session.pop(_REGISTRATION, None)
            self.flash_error(request, RegistrationError("expired"))
            return self.redirect(request, "register")
        if registration.status is RegistrationStatus.CONFIRMED:
            request.session.pop(_REGISTRATION, None)
            self.flash_error(request, RegistrationError("already_confirmed"))
            return self.redirect(request, "login")
        if registration.status is RegistrationStatus.PENDING_OTP:
            return self.redirect(request, "verify")
        return self.redirect(request, "register_contact")

    async def contact(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.VERIFIED)
        return elsewhere or self.render(request, "register_contact.html")

    async def contact_submit(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.VERIFIED)
        if elsewhere is not None or registration is None:
            return elsewhere or self.redirect(request, "register")
        form = await request.form()
        email = _text(form, "email")
        phone = _text(form, "phone")
        password = form.get("password")
        try:
            await self.call(
                self.svc.submit_contact,
                registration.id,
                email=email,
                phone=phone,
                password=password if isinstance(password, str) else "",
            )
        except SiapkerjaError as error:
            return self.form_error(
                request,
                "register_contact.html",
                error,
                {"values": {"email": email, "phone": phone}},
                form_fields=self._STEP2,
            )
        return self.redirect(request, "verify")

    # --- verification -------------------------------------------------------------------------

    def verify_context(self, registration: Registration) -> dict[str, Any]:
        otp = registration.otp
        wait = 0
        if otp is not None:
            wait = max(0, math.ceil((otp.resend_available_at - self.svc.now()).total_seconds()))
        return {
            "registration": registration,
            "phone": registration.phone_masked,
            "delivered": otp is not None and otp.delivered,
            "sms_failure": registration.sms_failure,
            "attempts_left": None if otp is None else otp.attempts_left,
            "cooldown": wait,
            "resend_at": None if otp is None else otp.resend_available_at.isoformat(),
            "digits": range(1, _OTP_DIGITS + 1),
            "digit_count": _OTP_DIGITS,
        }

    async def verify(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.PENDING_OTP)
        if elsewhere is not None or registration is None:
            return elsewhere or self.redirect(request, "register")
        return self.render(request, "verify.html", self.verify_context(registration))

    async def verify_submit(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.PENDING_OTP)
        if elsewhere is not None or registration is None:
            return elsewhere or self.redirect(request, "register")
        form = await request.form()
        code = _text(form, "code") or "".join(
            _text(form, f"d{i}") for i in range(1, _OTP_DIGITS + 1)
        )
        try:
            account = await self.call(self.svc.confirm_otp, registration.id, code)
        except SiapkerjaError as error:
            fresh = await self.current_registration(request) or registration
            return self.form_error(
                request,
                "verify.html",
                error,
                self.verify_context(fresh),
                form_fields=("code_digits",),
                rename={"code": "code_digits"},
            )
        self.sign_in(request, account)
        self.flash_key(request, "success", "verify.done")
        return self.redirect(request, "profile")

    async def resend(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.PENDING_OTP)
        if elsewhere is not None or registration is None:
            return elsewhere or self.redirect(request, "register")
        try:
            await self.call(self.svc.resend_otp, registration.id)
        except SiapkerjaError as error:
            return self.form_error(request, "verify.html", error, self.verify_context(registration))
        self.flash_key(request, "success", "verify.resent")
        return self.redirect(request, "verify")

    async def change_phone(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.PENDING_OTP)
        return elsewhere or self.render(request, "change_phone.html")

    async def change_phone_submit(self, request: Request) -> Response:
        registration = await self.current_registration(request)
        elsewhere = self._registration_step(request, registration, RegistrationStatus.PENDING_OTP)
        if elsewhere is not None or registration is None:
            return elsewhere or self.redirect(request, "register")
        form = await request.form()
        phone = _text(form, "phone")
        try:
            await self.call(self.svc.change_phone, registration.id, phone=phone)
        except SiapkerjaError as error:
            return self.form_error(
                request,
                "change_phone.html",
                error,
                {"values": {"phone": phone}},
                form_fields=("phone",),
            )
        self.flash_key(request, "success", "verify.sent")
        return self.redirect(request, "verify")

    # --- recovery -----------------------------------------------------------------------------

    async def recovery(self, request: Request) -> Response:
        return self.render(request, "recovery.html")

    async def recovery_submit(self, request: Request) -> Response:
        form = await request.form()
        identifier = _text(form, "identifier")
        try:
            answer = await self.call(self.svc.request_password_reset, identifier)
        except SiapkerjaError as error:
            return self.form_error(
                request,
                "recovery.html",
                error,
                {"values": {"identifier": identifier}},
                form_fields=("identifier",),
            )
        request.session[_RESET] = answer.id
        self.flash(request, "success", answer.message_id, answer.message_en)
        return self.redirect(request, "recovery_reset")

    async def reset(self, request: Request) -> Response:
        if not isinstance(request.session.get(_RESET), str):
            return self.redirect(request, "recovery")
        return self.render(request, "reset.html")

    async def reset_submit(self, request: Request) -> Response:
        request_id = request.session.get(_RESET)
        if not isinstance(request_id, str):
            return self.redirect(request, "recovery")
        form = await request.form()
        code = _text(form, "code")
        password = form.get("new_password")
        try:
            await self.call(
                self.svc.reset_password,
                request_id,
                code,
                password if isinstance(password, str) else "",
            )
        except SiapkerjaError as error:
            return self.form_error(
                request,
                "reset.html",
                error,
                {},
                form_fields=("code", "new_password"),
                rename={"password": "new_password"},
            )
        request.session.pop(_RESET, None)
        self.flash_key(request, "success", "reset.done")
        return self.redirect(request, "login")

    # --- profile ------------------------------------------------------------------------------

    def _profile_data(self, account: Account, village_query: str) -> dict[str, Any]:
        profile = self.svc.profile(account.id)
        completeness = self.svc.completeness(account.id)
        warnings = self.svc.profile_warnings(account.id)
        try:
            card = self.svc.card(account.id)
        except CardError:
            card = None
        villages: list[tuple[str, str]] = []
        if village_query:
            villages = [
                (region.code, Address(village_code=region.code).region_line)
                for region in regions.search(village_query, level="village", limit=10)
            ]
        return {
            "profile": profile,
            "completeness": completeness,
            "warnings": warnings,
            "has_card": card is not None,
            "villages": villages,
            "village_query": village_query,
            "region_lines": {
                "ktp": profile.ktp_address.region_line if profile.ktp_address else None,
                "dom": profile.domicile_address.region_line if profile.domicile_address else None,
            },
            "photo_uri": profile.photo.data_uri() if profile.photo else None,
        }

    def _profile_context(
        self, account: Account, data: Mapping[str, Any], values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        shown = profile_values(data["profile"])
        shown.update(values or {})
        return {
            **data,
            "account": account,
            "values": shown,
            "stakeholders": list(Stakeholder),
            "sexes": list(Sex),
            "marital_statuses": list(MaritalStatus),
            "religions": list(Religion),
            "language_levels": list(LanguageLevel),
            "education_levels": list(EducationLevel),
            "publishable": _PUBLISHABLE,
            "min_photo": MIN_PHOTO_BYTES,
            "max_photo": MAX_PHOTO_BYTES,
        }

    async def profile(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        query = request.query_params.get("desa", "").strip()[:_MAX_QUERY_LENGTH]
        data = await self.call(self._profile_data, account, query)
        return self.render(request, "profile.html", self._profile_context(account, data))

    async def _profile_refused(
        self,
        request: Request,
        account: Account,
        error: SiapkerjaError,
        values: Mapping[str, Any] | None = None,
    ) -> Response:
        data = await self.call(self._profile_data, account, "")
        context = self._profile_context(account, data, values)
        return self.form_error(
            request, "profile.html", error, context, form_fields=self._profile_fields(context)
        )

    @staticmethod
    def _profile_fields(context: Mapping[str, Any]) -> set[str]:
        return {*context["values"], "languages", "photo", "visibility", "skills"}

    async def profile_submit(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        section = request.path_params["section"]
        form = await request.form()
        profile = await self.call(self.svc.profile, account.id)
        changes = profile_changes(section, form, profile)
        try:
            await self.call(partial(self.svc.update_profile, account.id, **changes))
        except SiapkerjaError as error:
            submitted: dict[str, Any] = {
                key: value for key, value in form.items() if isinstance(value, str)
            }
            if section == "visibility":
                submitted["published"] = form.getlist("published")
            if section == "addresses":
                submitted.setdefault("same_address", "")
            submitted.pop("csrf_token", None)
            return await self._profile_refused(request, account, error, submitted)
        self.flash_key(request, "success", "profile.saved")
        return self.redirect(request, "profile", fragment=section)

    async def photo_submit(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        form = await request.form()
        upload = form.get("photo")
        if not isinstance(upload, UploadFile) or not upload.filename:
            data = await self.call(self._profile_data, account, "")
            errors = FormErrors()
            errors.add(Translator(select_language(request))("profile.photo_required"), "photo")
            context = {**self._profile_context(account, data), "errors": errors}
            return self.render(request, "profile.html", context, status=400)
        content = await upload.read(MAX_PHOTO_BYTES + 1)
        try:
            if len(content) > MAX_PHOTO_BYTES:
                raise ProfileError(
                    "photo_size",
                    field="photo",
                    size=upload.size or len(content),
                    min_size=MIN_PHOTO_BYTES,
                    max_size=MAX_PHOTO_BYTES,
                )
            await self.call(
                partial(self.svc.update_profile, account.id, photo={"content": content})
            )
        except SiapkerjaError as error:
            return await self._profile_refused(request, account, error)
        self.flash_key(request, "success", "profile.saved")
        return self.redirect(request, "profile", fragment="photo")

    # --- the card -----------------------------------------------------------------------------

    def _card_data(self, account: Account, event: str) -> dict[str, Any]:
        try:
            card = self.svc.card(account.id)
        except CardError as error:
            return {
                "card": None,
                "card_error": None if error.code == "no_card" else error,
                "completeness": self.svc.completeness(account.id),
            }
        link = self.svc.card_qr(account.id)
        data: dict[str, Any] = {
            "card": card,
            "card_svg": card.to_svg(),
            "link": link,
            "link_svg": link.svg(),
            "event": event,
            "access": None,
            "period": self.svc.cards.access_period,
        }
        if event:
            access = self.svc.card_qr(account.id, mode="access", purpose=event)
            data["access"] = access
            data["access_svg"] = access.svg()
            data["access_expires"] = _time_label(access.expires_at)
            left = (
                0.0
                if access.expires_at is None
                else (access.expires_at - self.svc.now()).total_seconds()
            )
            data["access_expires_in"] = max(1, math.ceil(left))
        return data

    async def card(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        event = request.query_params.get("acara", "").strip()[:_MAX_EVENT_LENGTH]
        try:
            data = await self.call(self._card_data, account, event)
        except SiapkerjaError as error:
            data = await self.call(self._card_data, account, "")
            context = {**data, "account": account, "values": {"event": event}}
            return self.form_error(request, "card.html", error, context, form_fields=("event",))
        context = {**data, "account": account, "values": {"event": event}}
        return self.render(request, "card.html", context)

    async def access_code(self, request: Request) -> Response:
        """JSON for the card page's script: a fresh access code and its QR as SVG."""
        lang = select_language(request)
        account = await self.current_account(request)
        if account is None:
            message = Translator(lang)("errors.sign_in")
            return JSONResponse({"code": "login.required", "message": message}, status_code=401)
        purpose = request.query_params.get("purpose", "").strip()[:_MAX_EVENT_LENGTH]
        try:
            access = await self.call(self.svc.card_qr, account.id, "access", purpose)
        except SiapkerjaError as error:
            status, headers = page_status(error, self.svc.now())
            return JSONResponse(
                {"code": error.full_code, "message": error.message(lang)},
                status_code=status,
                headers=headers,
            )
        expires = access.expires_at
        seconds = 0 if expires is None else (expires - self.svc.now()).total_seconds()
        return JSONResponse(
            {
                "purpose": access.purpose,
                "token": access.token,
                "svg": access.svg(),
                "expires_at": None if expires is None else expires.isoformat(),
                "expires_label": _time_label(expires),
                "expires_in": max(1, math.ceil(seconds)),
                "period": self.svc.cards.access_period,
            }
        )

    async def issue(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        try:
            await self.call(self.svc.issue_card, account.id)
        except SiapkerjaError as error:  # ProfileIncomplete above all
            return await self._profile_refused(request, account, error)
        self.flash_key(request, "success", "card.issued")
        return self.redirect(request, "card")

    async def rotate(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        try:
            await self.call(self.svc.rotate_card, account.id)
        except SiapkerjaError as error:
            self.flash_error(request, error)
        else:
            self.flash_key(request, "success", "card.rotated")
        return self.redirect(request, "card")

    # --- the scanned profile ------------------------------------------------------------------

    async def scan(self, request: Request) -> Response:
        """``/v/<token>``: the profile a link QR opens, as much as the viewer may see."""
        if not isinstance(request.session.get(_AUTH), str):
            return await self._anonymous_scan(request)
        viewer = await self.current_account(request)
        lang = select_language(request)
        try:
            view = await self.call(self.svc.resolve, request.path_params["token"], viewer)
        except SiapkerjaError as error:
            return self.scan_error(request, error, viewer)
        context = {
            "view": view,
            "page": present_view(view, lang),
            "holder": view.audience is Audience.HOLDER,
            "account": viewer,
        }
        return self.render(request, "scan.html", context, headers=SCAN_HEADERS)

    async def _anonymous_scan(self, request: Request) -> Response:
        """The scan of a visitor without a session: no session is read or written.

        Every scan still resolves the token (version, revocation) and writes the
        holder's ledger; only the rendering of an unchanged public view is reused.
        Most such scans never get here: :mod:`~siapkerja_adapters.web.fast_scan`
        answers them before the session and routing layers.
        """
        try:
            view = await self.call(self.svc.resolve, request.path_params["token"])
        except SiapkerjaError as error:
            return self.scan_error(request, error, None)
        body = self.public_scan_page(request, view, select_language(request))
        return Response(body, media_type="text/html; charset=utf-8", headers=SCAN_HEADERS)

    def public_scan_page(self, request: Request, view: ProfileView, lang: str) -> bytes:
        """The rendered page of a public ``view``, from the cache while the view is unchanged.

        The core caches a card's public view per (card, version) while its
        profile is unchanged, so the same view object means the same page; the
        page also depends on its own address (the language switch, the links
        below a mount point), so that is part of the key. Bounded; the oldest
        page is dropped first.
        """
        scope = request.scope
        key = (
            id(view),
            lang,
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b""),
        )
        cached = self._public_pages.get(key)
        if cached is None or cached[0] is not view:
            context = {"view": view, "page": present_view(view, lang), "holder": False}
            full = self.context(request, lang, session=False)
            full.update(context)
            body = self.templates.get_template("scan.html").render(full).encode("utf-8")
            cached = (view, body)
            self._public_pages[key] = cached
            while len(self._public_pages) > _PUBLIC_PAGES_KEPT:
                self._public_pages.popitem(last=False)
        return cached[1]

    def scan_error(
        self, request: Request, error: SiapkerjaError, viewer: Account | None
    ) -> Response:
        """A token that opens nothing: 410 when revoked or expired, 404 otherwise — never a 500."""
        lang = select_language(request)
        status, headers = page_status(error, self.svc.now())
        status = 410 if status == 410 else (404 if status < 500 else status)
        return self.render(
            request,
            "error.html",
            {
                "title": Translator(lang)("scan.invalid"),
                "message": error.message(lang),
                "account": viewer,
            },
            status=status,
            headers={**headers, **SCAN_HEADERS},
        )

    # --- the access history and consents ------------------------------------------------------

    def _history_data(self, account: Account, lang: str) -> dict[str, Any]:
        t = Translator(lang)
        ledger = sorted(self.svc.access_log(account.id), key=lambda e: e.at, reverse=True)
        consents = sorted(self.svc.consents(account.id), key=lambda c: c.granted_at, reverse=True)
        names = {e.verifier_id: e.verifier_name for e in ledger if e.verifier_id}
        missing = {c.verifier_id for c in consents} - set(names)
        if missing:
            # The facade has no lookup by id yet: read the registered names in one unit of work.
            with self.svc.storage.transaction() as tx:
                for verifier_id in missing:
                    verifier = tx.verifiers.get(verifier_id)
                    names[verifier_id] = None if verifier is None else verifier.name
        return {
            "entries": [
                {
                    "at": _time_label(e.at),
                    "who": _who(e, t),
                    "channel": t("history.access" if e.channel == "access" else "history.link"),
                    "purpose": e.purpose or "-",
                    "fields": ", ".join(_field_label(f, t) for f in e.fields) or "-",
                }
                for e in ledger
            ],
            "consents": [
                {
                    "id": c.id,
                    "verifier": names.get(c.verifier_id) or c.verifier_id,
                    "purpose": c.purpose,
                    "granted": _time_label(c.granted_at),
                    "withdrawn": _time_label(c.withdrawn_at) if c.withdrawn_at else None,
                    "fields": t("history.all_fields")
                    if c.fields is None
                    else ", ".join(_field_label(f, t) for f in sorted(c.fields)),
                }
                for c in consents
            ],
        }

    async def history(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        data = await self.call(self._history_data, account, select_language(request))
        return self.render(request, "history.html", {**data, "account": account})

    async def withdraw(self, request: Request) -> Response:
        account = await self.current_account(request)
        if account is None:
            return self.to_login(request)
        consent_id = request.path_params["consent_id"]
        try:
            await self.call(self.svc.withdraw_consent, account.id, consent_id)
        except SiapkerjaError as error:
            self.flash_error(request, error)
        else:
            self.flash_key(request, "success", "history.withdrawn")
        return self.redirect(request, "history")

    # --- development --------------------------------------------------------------------------

    async def outbox(self, request: Request) -> Response:
        """The SMS the console or memory sender "sent", newest first (development mode only)."""
        if not self.dev:  # not even routed outside dev mode; kept as a second lock
            raise HTTPException(status_code=404)
        sender = self.svc.sms
        kept = getattr(sender, "messages", None)
        messages = None
        if kept is not None:
            messages = [
                {"to": _national(m.to), "at": _time_label(m.sent_at), "text": m.text}
                for m in reversed(list(kept))
            ]
        account = await self.current_account(request)
        return self.render(
            request,
            "outbox.html",
            {
                "messages": messages,
                "sender": self.svc.settings.adapter_name("sms"),
                "account": account,
            },
        )
