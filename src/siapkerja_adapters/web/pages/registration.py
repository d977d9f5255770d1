"""Registration, steps 1 and 2: the identity Dukcapil checks, then the contact details.

This module owns ``/daftar`` (NIK, full name and mother's maiden name — the
mother's name is a knowledge check and is never sent back to the page) and
``/daftar/kontak`` (e-mail, mobile number, password), and the registration
under way kept in the session: :func:`current_registration` reads it and
:func:`registration_step` sends a visitor to the step their registration is
at. Step 3, the SMS code, is :mod:`.verification`.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, form_text, too_long
from siapkerja_adapters.web.pages.site import REGISTRATION_KEY, Site, get_route, post_route
from siapkerja_core.contact import InvalidEmail, InvalidPhone, normalize_email, normalize_phone
from siapkerja_core.errors import InputError, RegistrationError, SiapkerjaError
from siapkerja_core.nik import InvalidNik, parse_nik
from siapkerja_core.passwords import WeakPassword
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.services.registration import name_refusal
from siapkerja_core.views import Registration

__all__ = ["RegistrationPages", "current_registration", "registration_step"]

_STEP1: Final = ("nik", "full_name", "mother_name")
_STEP2: Final = ("email", "phone", "password")
_LIMITS: Final = {"limits": INPUT_LIMITS}


def identity_refusal(nik: str, full_name: str, mother_name: str) -> SiapkerjaError | None:
    """Every problem of step 1 at once (an empty form flags all three fields), or ``None``.

    The same checks the core makes (:func:`parse_nik`, :func:`name_refusal`), made
    before asking it: the core stops at the first problem, a person should see all.
    """
    found: list[SiapkerjaError] = too_long({"nik": nik}, {"nik": "input.field.nik"})
    if not nik:
        found.append(InputError.of("required", "nik", "input.field.nik"))
    elif not found:
        try:
            parse_nik(nik)
        except InvalidNik as error:
            found.append(error)
    for value, field in ((full_name, "full_name"), (mother_name, "mother_name")):
        refusal = name_refusal(value, field)
        if refusal is not None:
            found.append(refusal)
    return InputError.gather(found)


def contact_refusal(email: str, phone: str, password: str) -> SiapkerjaError | None:
    """Every problem of step 2 a form can see before the core checks the password's
    strength: the e-mail address, the number, an empty or too long password."""
    found: list[SiapkerjaError] = []
    try:
        normalize_email(email)
    except InvalidEmail as error:
        found.append(error)
    try:
        normalize_phone(phone)
    except InvalidPhone as error:
        found.append(error)
    if not password:
        found.append(WeakPassword("empty"))
    elif len(password) > INPUT_LIMITS["password"]:
        found.append(WeakPassword("too_long", max_length=INPUT_LIMITS["password"]))
    return InputError.gather(found)


async def current_registration(site: Site, request: Request) -> Registration | None:
    """The registration under way in this session, or ``None`` (a stale one is forgotten)."""
    registration_id = request.session.get(REGISTRATION_KEY)
    if not isinstance(registration_id, str):
        return None
    try:
        return await site.call(site.svc.registration, registration_id)
    except RegistrationError:
        request.session.pop(REGISTRATION_KEY, None)
        return None


def registration_step(
    site: Site, request: Request, registration: Registration | None, wanted: RegistrationStatus
) -> Response | None:
    """Where to send a visitor whose registration is not at ``wanted`` (or ``None``)."""
    if registration is None:
        site.flash_key(request, "error", "verify.none")
        return site.redirect(request, "register")
    if registration.status is wanted:
        return None
    if registration.status is RegistrationStatus.EXPIRED:
        request.session.pop(REGISTRATION_KEY, None)
        site.flash_error(request, RegistrationError("expired"))
        return site.redirect(request, "register")
    if registration.status is RegistrationStatus.CONFIRMED:
        request.session.pop(REGISTRATION_KEY, None)
        site.flash_error(request, RegistrationError("already_confirmed"))
        return site.redirect(request, "login")
    if registration.status is RegistrationStatus.PENDING_OTP:
        return site.redirect(request, "verify")
    return site.redirect(request, "register_contact")


class RegistrationPages:
    """*Daftar*: the identity step and the contact step."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/daftar", self.register, "register"),
            post_route("/daftar", self.register_submit, "register_submit"),
            get_route("/daftar/kontak", self.contact, "register_contact"),
            post_route("/daftar/kontak", self.contact_submit, "register_contact_submit"),
        ]

    async def register(self, request: Request) -> Response:
        site = self.site
        if await site.current_account(request) is not None:
            return site.redirect(request, "profile")
        return site.render_public(request, "register.html", _LIMITS, None)

    async def register_submit(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        nik = form_text(form, "nik")
        full_name = form_text(form, "full_name")
        mother = form.get("mother_name")
        mother_name = mother if isinstance(mother, str) else ""
        # The mother's name is a knowledge check: it is not sent back to the page.
        context = {"values": {"nik": nik, "full_name": full_name}, **_LIMITS}
        refusal = identity_refusal(nik, full_name, mother_name)
        if refusal is not None:
            return site.form_error(request, "register.html", refusal, context, form_fields=_STEP1)
        try:
            registration = await site.call(
                site.svc.register, nik=nik, full_name=full_name, mother_name=mother_name
            )
        except SiapkerjaError as error:
            return site.form_error(request, "register.html", error, context, form_fields=_STEP1)
        request.session[REGISTRATION_KEY] = registration.id
        return site.redirect(request, "register_contact")

    async def contact(self, request: Request) -> Response:
        site = self.site
        registration = await current_registration(site, request)
        elsewhere = registration_step(site, request, registration, RegistrationStatus.VERIFIED)
        return elsewhere or site.render(request, "register_contact.html", _LIMITS)

    async def contact_submit(self, request: Request) -> Response:
        site = self.site
        registration = await current_registration(site, request)
        elsewhere = registration_step(site, request, registration, RegistrationStatus.VERIFIED)
        if elsewhere is not None or registration is None:
            return elsewhere or site.redirect(request, "register")
        form = await request.form()
        email = form_text(form, "email")
        phone = form_text(form, "phone")
        given = form.get("password")
        password = given if isinstance(given, str) else ""
        context = {"values": {"email": email, "phone": phone}, **_LIMITS}
        try:
            refusal = contact_refusal(email, phone, password)
            if refusal is not None:
                raise refusal
            await site.call(
                site.svc.submit_contact,
                registration.id,
                email=email,
                phone=phone,
                password=password,
            )
        except SiapkerjaError as error:
            return site.form_error(
                request, "register_contact.html", error, context, form_fields=_STEP2
            )
        return site.redirect(request, "verify")
